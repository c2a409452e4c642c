"""The state table the workers share: its schema, named once, and how the local environment creates it.

One DynamoDB table holds short-lived coordination records, each under its own partition key: an entry's
lease (``lease#<entry id>``), a webhook's de-duplication record (``webhook#<id>``), a canvas claim
(``canvas#<entry>#<feature>``). Records carry ``expires_at`` (epoch seconds), the table's time-to-live
attribute: DynamoDB deletes expired records itself, typically within two days, so readers compare ``expires_at``
with the clock (docs/aws.md, *DynamoDB*).

The stack's construct (``stack/constructs/state_table.py``) and ``create_state_table`` (the emulator's table)
both use these names; the worker reads the table's name from ``STATE_TABLE``.
"""

from __future__ import annotations

from typing import Any

PARTITION_KEY = "pk"
TTL_ATTRIBUTE = "expires_at"


def create_state_table(dynamodb: Any, name: str) -> str:
    """Create the state table with the stack's schema (on-demand, TTL on ``expires_at``); returns its name.

    ``dynamodb`` is a boto3 DynamoDB client; the call waits until the table is active.
    """
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": PARTITION_KEY, "AttributeType": "S"}],
    )
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                          "AttributeName": TTL_ATTRIBUTE})
    return name
