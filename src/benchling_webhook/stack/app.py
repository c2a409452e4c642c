"""``build_stack(profile)``: the CDK app and stack, built in this process from a validated profile.

Configuration never travels through environment variables to a ``cdk`` subprocess: the profile object is
handed to the constructs directly. The stack is environment-agnostic (no account/region baked in), so
zones come from ``Fn::GetAZs`` and no context lookup or AWS call is needed for the auto-created VPC.

Deployable without ``cdk bootstrap``: ``BootstraplessSynthesizer`` (no bootstrap version parameter, no
assets), the ``restrictDefaultSecurityGroup`` flag off (it would add a Lambda-backed custom resource),
and analytics metadata off (it only costs template bytes).
"""

from __future__ import annotations

from typing import Any

from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.constants import DEFAULT_PROFILE, StackOutputs
from benchling_webhook.stack.inputs import StackInputs, build_stack_inputs
from benchling_webhook.stack.node import prepare_jsii

CDK_CONTEXT = {
    "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup": False,
    "aws:cdk:enable-path-metadata": False,
}


def build_stack(profile: ProfileConfig, profile_name: str = DEFAULT_PROFILE,
                image_uri: str | None = None, *, nag: bool = False, outdir: str | None = None,
                ) -> tuple[Any, Any]:
    """The ``(App, Stack)`` for a profile; ``nag=True`` adds cdk-nag's AwsSolutions checks (tests)."""
    return build_stack_from_inputs(build_stack_inputs(profile, profile_name, image_uri), nag=nag, outdir=outdir)


def build_stack_from_inputs(inputs: StackInputs, *, nag: bool = False, outdir: str | None = None,
                            ) -> tuple[Any, Any]:
    prepare_jsii()
    try:
        import aws_cdk as cdk
    except ImportError:
        from benchling_webhook.errors import ConfigError

        raise ConfigError("synthesizing the stack needs the AWS CDK library (aws-cdk-lib), which is not installed",
                          hint="pip install 'benchling-webhook[stack]'") from None

    from benchling_webhook.stack.constructs.api import WebhookApi, namespace_for
    from benchling_webhook.stack.constructs.athena import LinkedPackagesWorkgroup
    from benchling_webhook.stack.constructs.monitoring import Monitoring
    from benchling_webhook.stack.constructs.network import build_network
    from benchling_webhook.stack.constructs.queues import InboxQueues
    from benchling_webhook.stack.constructs.revisions import RevisionEvents
    from benchling_webhook.stack.constructs.service import WebhookService
    from benchling_webhook.stack.constructs.state_table import StateTable
    from benchling_webhook.stack.nag import add_acknowledgments, add_checkov_skips

    # The built-in CloudFormation validation (a wasm engine) costs ~5 s per synth; tests run cfn-lint.
    app = cdk.App(analytics_reporting=False, builtin_cloud_formation_validation=False, stack_traces=False,
                  tree_metadata=False, context=CDK_CONTEXT, outdir=outdir)
    stack = cdk.Stack(
        app, inputs.stack_name, stack_name=inputs.stack_name,
        synthesizer=cdk.BootstraplessSynthesizer(),
        description=f"benchling-webhook ({inputs.profile_name}): Benchling webhooks to Quilt packages",
    )
    network = build_network(stack, inputs)
    queues = InboxQueues(stack, "Queues")
    state = StateTable(stack, "State")
    revisions = RevisionEvents(stack, "RevisionEvents", bucket=inputs.bucket, prefix=inputs.package_prefix) \
        if inputs.revision_events else None
    api = WebhookApi(stack, "Api", network, api_name=inputs.stack_name,
                     namespace=namespace_for(inputs.profile_name, inputs.vpc is not None),
                     throttle_rate=inputs.throttle_rate, throttle_burst=inputs.throttle_burst)
    workgroup = LinkedPackagesWorkgroup(stack, "Athena", name=inputs.created_workgroup_name) \
        if inputs.create_athena_workgroup else None
    service = WebhookService(stack, "Webhook", inputs=inputs, network=network, api=api, queues=queues,
                             state=state, revisions=revisions, workgroup=workgroup)
    Monitoring(stack, "Monitoring", inputs=inputs, api=api, service=service, queues=queues, revisions=revisions)
    # CloudFormation's ScalableTarget and Dashboard schemas have no Tags (cfn-lint E3002), though CDK offers them.
    cdk.Tags.of(stack).add("benchling-webhook:profile", inputs.profile_name,
                           exclude_resource_types=["AWS::ApplicationAutoScaling::ScalableTarget",
                                                   "AWS::CloudWatch::Dashboard"])

    outputs = {
        StackOutputs.WEBHOOK_URL: (api.endpoint, "Paste into the Benchling app's webhook URL (Suffixed routing)"),
        StackOutputs.SERVICE_LOG_GROUP: (service.log_group.log_group_name, "Container logs"),
        StackOutputs.API_LOG_GROUP: (api.access_logs.log_group_name, "API Gateway access logs"),
        StackOutputs.CLUSTER_NAME: (service.cluster.cluster_name, "ECS cluster"),
        StackOutputs.SERVICE_NAME: (service.service.service_name, "ECS service"),
        StackOutputs.INBOX_QUEUE_URL: (queues.inbox.queue_url, "Inbox queue (FIFO)"),
        StackOutputs.INBOX_DLQ_URL: (queues.dead_letter.queue_url, "Inbox dead-letter queue (FIFO)"),
        StackOutputs.BACKFILL_QUEUE_URL: (queues.backfill.queue_url, "Backfill queue (FIFO), drained after the inbox"),
        StackOutputs.STATE_TABLE_NAME: (state.table.table_name, "DynamoDB table of the workers' leases and claims"),
    }
    if revisions is not None:
        outputs[StackOutputs.REVISION_EVENTS_QUEUE_URL] = (revisions.queue.queue_url,
                                                           "Quilt package-revision events for the worker")
    for key, (value, description) in outputs.items():
        cdk.CfnOutput(stack, key, value=value, description=description)
    add_checkov_skips(stack)
    if nag:
        import cdk_nag

        add_acknowledgments(stack, inputs)
        cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app, verbose=True))
    return app, stack
