"""The local environment's state table: the stack's schema on the emulator, serving conditional writes."""

from __future__ import annotations

import pytest

from benchling_webhook.sandbox.benchling import SandboxState
from benchling_webhook.sandbox.environment import DEMO_STATE_TABLE, seed_aws
from benchling_webhook.sandbox.moto_server import MotoServer


def test_seeded_emulator_has_the_state_table_on_demand_with_ttl(aws: MotoServer) -> None:
    resources = seed_aws(aws, SandboxState())
    dynamodb = aws.client("dynamodb")

    table = dynamodb.describe_table(TableName=DEMO_STATE_TABLE)["Table"]
    ttl = dynamodb.describe_time_to_live(TableName=DEMO_STATE_TABLE)["TimeToLiveDescription"]

    assert resources.state_table == DEMO_STATE_TABLE == "benchling-webhook-state"
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expires_at")


def test_the_emulated_table_refuses_a_second_holder_of_a_lease(aws: MotoServer) -> None:
    """The calls the workers make (conditional put, update, get, delete) behave as on DynamoDB."""
    seed_aws(aws, SandboxState())
    dynamodb = aws.client("dynamodb")
    key = {"pk": {"S": "lease#etr_1"}}

    def take(owner: str, now: int) -> None:
        dynamodb.put_item(TableName=DEMO_STATE_TABLE,
                          Item={**key, "owner": {"S": owner}, "expires_at": {"N": str(now + 60)}},
                          ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                          ExpressionAttributeValues={":now": {"N": str(now)}})

    take("task-a", 1000)
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        take("task-b", 1030)
    dynamodb.update_item(TableName=DEMO_STATE_TABLE, Key=key, UpdateExpression="SET expires_at = :t",
                         ConditionExpression="#o = :me",
                         ExpressionAttributeNames={"#o": "owner"},
                         ExpressionAttributeValues={":t": {"N": "1120"}, ":me": {"S": "task-a"}})
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        take("task-b", 1090)  # renewed: still held
    take("task-b", 1121)  # expired: taken over
    assert dynamodb.get_item(TableName=DEMO_STATE_TABLE, Key=key)["Item"]["owner"] == {"S": "task-b"}
    dynamodb.delete_item(TableName=DEMO_STATE_TABLE, Key=key, ConditionExpression="#o = :me",
                         ExpressionAttributeNames={"#o": "owner"}, ExpressionAttributeValues={":me": {"S": "task-b"}})
    assert "Item" not in dynamodb.get_item(TableName=DEMO_STATE_TABLE, Key=key)
