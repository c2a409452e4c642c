"""cdk-nag AwsSolutions findings we accept, each with the reason a reviewer needs.

Everything else the AwsSolutions pack reports is fixed in the constructs (SSL-only and encrypted queues,
a DLQ, VPC flow logs, container insights, no managed policies, tasks without public IPs). The tests run
the pack on a synth and fail on any finding not listed here.
"""

from __future__ import annotations

from typing import Any

from benchling_webhook.constants import BACKFILL_OUTCOMES_PREFIX
from benchling_webhook.stack.inputs import StackInputs

# The state table (stack/constructs/state_table.py): cdk-nag and checkov both ask for point-in-time recovery.
STATE_TABLE_WITHOUT_BACKUPS = ("The state table holds only short-lived leases, de-duplication records and canvas "
                               "claims, each expiring on its own; a restored copy would hand back leases nobody "
                               "holds, so there is nothing to back up.")


def acknowledgments(inputs: StackInputs) -> dict[str, str]:
    """Finding id → reason (finding ids are cdk-nag v3's ``Rule[finding]`` form)."""
    reasons = {
        "AwsSolutions-APIG4": "Benchling cannot send IAM/JWT credentials: each webhook is authenticated by its "
                              "ECDSA Standard-Webhooks signature, verified in the app, plus the "
                              "optional IP allowlist.",
        "AwsSolutions-ECS2": "The environment holds non-secret configuration only (queue URLs, bucket, the "
                             "secret's ARN); the Benchling client secret is fetched from Secrets Manager at "
                             "runtime.",
        "AwsSolutions-DDB3": STATE_TABLE_WITHOUT_BACKUPS,
        "AwsSolutions-IAM5[Resource::*]": "ecr:GetAuthorizationToken has no resource-level permissions; image "
                                          "pulls themselves are limited to the image's repository.",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{inputs.bucket}/{inputs.package_prefix}/*]":
            "Each entry's package lives under <prefix>/<display id>/, whose names the entries choose; the worker "
            "writes and prunes only below the profile's package prefix.",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{inputs.bucket}/.quilt/named_packages/"
        f"{inputs.package_prefix}/*]":
            "Quilt's registry names one object per revision of each package under the prefix (read by the canvas; "
            "written in direct mode only).",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{inputs.bucket}/.quilt/packages/*]":
            "Quilt's manifests are named by their top hash (read by the canvas; written in direct mode only).",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{inputs.bucket}/{BACKFILL_OUTCOMES_PREFIX}*]":
            "One outcome marker per backfilled entry (<run>/<entry id>/<outcome>), written only, outside every "
            "package.",
    }
    if inputs.athena_database:
        table = f"arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/{inputs.athena_database}/*"
        reasons[f"AwsSolutions-IAM5[Resource::{table}]"] = (
            "Linked-package queries read the Quilt database's tables, whose names the Quilt stack chooses; the "
            "database itself is named.")
    if inputs.athena_results:
        bucket, prefix = inputs.athena_results
        reasons[f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{prefix}*]"] = (
            "Athena names each query's result objects itself (<query id>.csv); access is limited to the results "
            "prefix.")
    return reasons


def add_acknowledgments(stack: Any, inputs: StackInputs) -> None:
    import aws_cdk as cdk

    rules = [cdk.Acknowledgment(id=rule, reason=reason) for rule, reason in acknowledgments(inputs).items()]
    cdk.Validations.of(stack).acknowledge(*rules)


# checkov findings that do not apply, with the reason, written into each resource's Metadata where checkov
# (and a reviewer) reads it. checkov runs on the deployed template, so these travel with every synth.
CHECKOV_SKIPS: dict[str, tuple[tuple[str, str], ...]] = {
    "AWS::SQS::Queue": (("CKV_AWS_27", "encrypted at rest with SQS-managed keys (SqsManagedSseEnabled: true); "
                                       "the check only recognises KmsMasterKeyId"),),
    "AWS::Logs::LogGroup": (("CKV_AWS_158", "CloudWatch Logs encrypts every log group at rest; the lines hold no "
                                            "secret values, so a customer key would add cost and a key policy only"),),
    "AWS::SNS::Topic": (("CKV_AWS_26", "alarm notifications only; CloudWatch cannot publish to a topic encrypted "
                                       "with the AWS-managed SNS key, and the messages hold no data"),),
    "AWS::DynamoDB::Table": (
        ("CKV_AWS_28", STATE_TABLE_WITHOUT_BACKUPS),
        ("CKV_AWS_119", "encrypted at rest with DynamoDB's AWS-owned key; the records hold entry, webhook and task "
                        "ids and timestamps only, so a customer key would add cost and a key policy only"),
    ),
}


def add_checkov_skips(stack: Any) -> None:
    import aws_cdk as cdk

    for construct in stack.node.find_all():
        if isinstance(construct, cdk.CfnResource) and construct.cfn_resource_type in CHECKOV_SKIPS:
            skips = CHECKOV_SKIPS[construct.cfn_resource_type]
            construct.add_metadata("checkov", {"skip": [{"id": check, "comment": comment} for check, comment in skips]})
