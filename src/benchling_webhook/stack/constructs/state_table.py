"""The state table the worker tasks share (``aws/state_table.py`` says what it holds).

* On-demand billing: a few requests per event, nothing to size or scale.
* Partition key ``pk`` (string), no sort key; time to live on ``expires_at``.
* Encrypted at rest with an AWS-owned key (DynamoDB's default, no KMS charges): the records hold entry,
  webhook and task ids and timestamps, no entry data.
* No fixed name: CloudFormation names it, and the task gets the name as ``STATE_TABLE``.
* Removed with the stack, without point-in-time recovery: each record describes work in flight or just
  done and expires on its own; a restored copy would only hand back leases and claims nobody holds.
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from benchling_webhook.aws.state_table import PARTITION_KEY, TTL_ATTRIBUTE


class StateTable(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self, "Table",
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=TTL_ATTRIBUTE,
            encryption=dynamodb.TableEncryption.DEFAULT,
            # Transient state only (see the module's docstring): nothing to keep when the stack goes.
            removal_policy=RemovalPolicy.DESTROY,
        )
