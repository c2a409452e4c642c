"""``benchling-webhook test``."""

from __future__ import annotations

from typing import Annotated

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, JsonOpt, ProfileOpt, RegionOpt


def test(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
    url: Annotated[str | None, typer.Option(
        "--url", help="Test this endpoint instead of the profile's deployed stack.")] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for each answer.")] = 10.0,
    json_: JsonOpt = False,
) -> None:
    """Smoke-test the deployed endpoint (or --url): health, unsigned webhooks refused, routes, latency."""
    from benchling_webhook.cli.render import render_smoke_report
    from benchling_webhook.constants import StackOutputs
    from benchling_webhook.errors import SmokeTestFailedError
    from benchling_webhook.ops.smoke import normalize_base_url, run_smoke_test, with_verification

    cli = get_context(ctx)
    verification = None
    if url is None:
        from benchling_webhook.constants import stack_name_for
        from benchling_webhook.ops.outputs import read_deployed_stack

        region = cli.resolve_region(region, aws_profile, cli.profile_region(profile)).name
        cloudformation = cli.aws_client("cloudformation", aws_profile, region)
        stack = read_deployed_stack(cloudformation, stack_name_for(profile), profile)
        url = stack.output(StackOutputs.WEBHOOK_URL, "webhook endpoint", profile)
        cluster, service = stack.outputs.get(StackOutputs.CLUSTER_NAME), stack.outputs.get(StackOutputs.SERVICE_NAME)
        if cluster and service:
            from benchling_webhook.aws.ecs import describe_service

            described = describe_service(cli.aws_client("ecs", aws_profile, region), cluster, service)
            verification = described.verification if described else None
    with cli.console.status(f"testing {normalize_base_url(url)}"):
        report = with_verification(run_smoke_test(url, timeout=timeout), verification)
    if json_:
        cli.console.json(report.to_dict())
    else:
        render_smoke_report(cli.console, report)
    if not report.passed:
        raise SmokeTestFailedError(report.base_url, [c.name for c in report.checks if not c.passed],
                                   len(report.checks))
