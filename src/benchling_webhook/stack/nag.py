"""cdk-nag AwsSolutions findings we accept, each with the reason a reviewer needs.

Everything else the AwsSolutions pack reports is fixed in the constructs (SSL-only and encrypted queues,
a DLQ, VPC flow logs, container insights, no managed policies, tasks without public IPs). The tests run
the pack on a synth and fail on any finding not listed here.
"""

from __future__ import annotations

from typing import Any

from benchling_webhook.stack.inputs import StackInputs


def acknowledgments(inputs: StackInputs) -> dict[str, str]:
    """Finding id → reason (finding ids are cdk-nag v3's ``Rule[finding]`` form)."""
    reasons = {
        "AwsSolutions-APIG4": "Benchling cannot send IAM/JWT credentials: each webhook is authenticated by its "
                              "ECDSA Standard-Webhooks signature, verified in the app, plus the "
                              "optional IP allowlist.",
        "AwsSolutions-ECS2": "The environment holds non-secret configuration only (queue URLs, bucket, the "
                             "secret's ARN); the Benchling client secret is fetched from Secrets Manager at "
                             "runtime.",
        "AwsSolutions-IAM5[Resource::*]": "ecr:GetAuthorizationToken has no resource-level permissions; image "
                                          "pulls themselves are limited to the image's repository.",
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{inputs.bucket}/*]":
            "The worker writes and prunes objects anywhere under the package bucket's prefixes and reads Quilt "
            "manifests under .quilt/; the bucket itself is named.",
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
