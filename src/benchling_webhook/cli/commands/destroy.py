"""``benchling-webhook destroy``."""

from __future__ import annotations

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, ProfileOpt, RegionOpt, YesOpt


def destroy(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    yes: YesOpt = False,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
) -> None:
    """Delete the profile's stack (no synth needed): endpoint, service, queues and logs go with it."""
    from benchling_webhook.aws.cloudformation import CloudFormation
    from benchling_webhook.cli.render import RichDeployObserver, ask, render_destroy
    from benchling_webhook.constants import stack_name_for
    from benchling_webhook.errors import BenchlingWebhookError
    from benchling_webhook.stack.destroy import Destroyer

    cli = get_context(ctx)
    region = cli.resolve_region(region, aws_profile, cli.profile_region(profile)).name
    destroyer = Destroyer(CloudFormation(cli.aws_client("cloudformation", aws_profile, region)))
    name = stack_name_for(profile)
    region_name = destroyer.cfn.region
    if destroyer.exists(name) and not (yes or ask(f"Delete stack {name} in {region_name}? The webhook URL stops "
                                                  "working and its queues and logs are deleted.")):
        raise BenchlingWebhookError("destroy cancelled; nothing was deleted",
                                    hint="re-run with --yes to skip the question")
    with RichDeployObserver(cli.console) as observer:
        result = destroyer.destroy(name, on_event=observer.event)
    render_destroy(cli.console, result)
