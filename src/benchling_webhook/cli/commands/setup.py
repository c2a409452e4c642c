"""``benchling-webhook setup``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer

from benchling_webhook.cli.context import CliContext, get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, ProfileOpt, RegionOpt, YesOpt

if TYPE_CHECKING:
    from benchling_webhook.cli.console import Console
    from benchling_webhook.config.models import ProfileConfig
    from benchling_webhook.setup.questions import Notify
    from benchling_webhook.setup.services import SetupServices


def _opt(help_: str, *names: str) -> Any:
    return typer.Option(*names, help=help_, show_default=False)


def setup(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    aws_profile: AwsProfileOpt = None,
    region: RegionOpt = None,
    yes: YesOpt = False,
    catalog: Annotated[str | None, _opt("Quilt catalog URL (finds the region and the Quilt stack).",
                                        "--catalog")] = None,
    quilt_stack: Annotated[str | None, _opt("Quilt stack name or ARN when several serve the catalog.",
                                            "--quilt-stack")] = None,
    quilt_queue_url: Annotated[str | None, _opt("Quilt packager queue URL (without a Quilt stack).",
                                                "--quilt-queue-url")] = None,
    quilt_database: Annotated[str | None, _opt("Athena database (without a Quilt stack).", "--quilt-database")] = None,
    tenant: Annotated[str | None, _opt("Benchling tenant: acme, acme.benchling.com or its URL.", "--tenant")] = None,
    app_definition_id: Annotated[str | None, _opt("Benchling app definition id (appdef_…).",
                                                  "--app-definition-id")] = None,
    client_id: Annotated[str | None, _opt("Benchling app client id.", "--client-id")] = None,
    client_secret: Annotated[str | None, _opt("Benchling app client secret (prefer --client-secret-stdin).",
                                              "--client-secret")] = None,
    client_secret_stdin: Annotated[bool, _opt("Read the client secret from stdin.", "--client-secret-stdin")] = False,
    benchling_base_url: Annotated[str | None, _opt("Benchling API base URL override (a local sandbox).",
                                                   "--benchling-base-url")] = None,
    bucket: Annotated[str | None, _opt("S3 bucket the packages go to.", "--bucket")] = None,
    bucket_versioning: Annotated[bool | None, _opt(
        "Turn on the bucket's versioning if it is off (setup stops at an unversioned bucket otherwise).",
        "--bucket-versioning/--no-bucket-versioning")] = None,
    prefix: Annotated[str | None, _opt("Package name prefix [default: benchling].", "--prefix")] = None,
    metadata_key: Annotated[str | None, _opt("Metadata key linking packages to entries [default: experiment_id].",
                                             "--metadata-key")] = None,
    workflow: Annotated[str | None, _opt("Quilt workflow of the bucket's .quilt/workflows/config.yml, or 'none'.",
                                         "--workflow")] = None,
    vpc_id: Annotated[str | None, _opt("Existing VPC id, or 'new' to create one [default: new].", "--vpc-id")] = None,
    image_uri: Annotated[str | None, _opt("Container image URI (default: built at deploy).", "--image-uri")] = None,
    athena_workgroup: Annotated[str | None, _opt(
        "Athena workgroup for linked-package queries, or 'new' for one the stack creates with Athena-managed "
        "results [default: the Quilt stack's, else new].", "--athena-workgroup")] = None,
    athena_results_location: Annotated[str | None, _opt(
        "Athena query results location s3://bucket/prefix/ [default: the package bucket's "
        ".benchling-webhook/athena-results/].", "--athena-results-location")] = None,
    nat_gateways: Annotated[int | None, _opt("NAT gateways of a new VPC: 2 (HA) or 1 [default: 2].",
                                             "--nat-gateways")] = None,
    min_tasks: Annotated[int | None, _opt("Minimum running tasks [default: 2].", "--min-tasks")] = None,
    max_tasks: Annotated[int | None, _opt("Maximum tasks when scaling out [default: 10].", "--max-tasks")] = None,
    cpu: Annotated[int | None, _opt("Task CPU units: 256, 512, 1024, 2048 or 4096 [default: 1024].", "--cpu")] = None,
    memory: Annotated[int | None, _opt("Task memory in MiB, a Fargate size for --cpu [default: 2048].",
                                       "--memory")] = None,
    fargate_spot: Annotated[bool | None, _opt("Run tasks above the first on Fargate Spot [default: off].",
                                              "--fargate-spot/--no-fargate-spot")] = None,
    alarm_email: Annotated[str | None, _opt("Email for the alarms (an SNS subscription; '' removes it).",
                                            "--alarm-email")] = None,
    skip_validation: Annotated[bool, _opt("Save without checking Benchling, the bucket and the VPC.",
                                          "--skip-validation")] = False,
) -> None:
    """Create or edit a profile: Quilt stack, Benchling app, packages, deployment (secret → Secrets Manager)."""
    from benchling_webhook.cli.prompts import create_asker
    from benchling_webhook.cli.render import render_setup_summary
    from benchling_webhook.errors import SetupCancelled
    from benchling_webhook.setup.wizard import SetupWizard, save_setup

    cli = get_context(ctx)
    answers = _answers(ctx.params, _client_secret(client_secret, client_secret_stdin))
    existing = _existing(cli, profile)
    services = _services(cli, profile, aws_profile, region, existing is not None)
    asker = create_asker(yes)
    cli.console.info(f"{'Editing' if existing else 'Creating'} profile '{profile}' ({cli.store.config_path(profile)})")
    wizard = SetupWizard(asker, services, profile=profile, existing=existing, answers=answers,
                         benchling_base_url=benchling_base_url, skip_validation=skip_validation,
                         notify=_notifier(cli.console))
    result = wizard.run()
    render_setup_summary(cli.console, result, profile)
    if asker.interactive and not asker.confirm(f"Save profile '{profile}'?", default=True):
        raise SetupCancelled("before saving", hint="re-run: benchling-webhook setup")
    path = save_setup(result, profile, services, cli.store)
    cli.console.success(f"saved profile '{profile}' to {path}")
    flag = "" if profile == DEFAULT else f" --profile {profile}"
    cli.console.info(f"next: benchling-webhook deploy{flag}")


def _answers(params: Mapping[str, Any], client_secret: str | None) -> dict[str, str | None]:
    """The options named after a wizard question answer it (``--tenant`` answers ``tenant``).

    Answers are text: numbers as digits, ``--fargate-spot/--no-fargate-spot`` as on/off; the client
    secret is the one read from the option or stdin.
    """
    from benchling_webhook.setup.questions import QUESTIONS

    answers = {name: _text(value) for name, value in params.items() if name in QUESTIONS}
    answers["client_secret"] = client_secret
    return answers


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "on" if value else "off"
    return None if value is None else str(value)


def _client_secret(value: str | None, from_stdin: bool) -> str | None:
    from benchling_webhook.errors import ConfigError

    if value is not None and from_stdin:
        raise ConfigError("--client-secret and --client-secret-stdin are mutually exclusive",
                          hint="pass the secret one way (stdin keeps it out of your shell history)")
    if from_stdin:
        secret = typer.get_text_stream("stdin").read().strip()
        if not secret:
            raise ConfigError("--client-secret-stdin read nothing", hint="pipe the secret in: ... | benchling-webhook "
                              "setup --client-secret-stdin")
        return secret
    return value


def _existing(cli: CliContext, profile: str) -> ProfileConfig | None:
    """The current profile as defaults; a broken one is reported and replaced (setup is its repair)."""
    from benchling_webhook.errors import ConfigError

    if not cli.store.exists(profile):
        return None
    try:
        return cli.store.load(profile)
    except ConfigError as exc:
        cli.console.warning(f"{exc.message} — starting from empty values (the old file is kept as config.json.bak)")
        return None


def _services(cli: CliContext, profile: str, aws_profile: str | None, region: str | None,
              exists: bool) -> SetupServices:
    """Session-backed services, after a check that --profile and --aws-profile are not swapped."""
    from benchling_webhook.setup.services import SetupServices
    from benchling_webhook.setup.wizard import check_profile_names

    services = SetupServices(lambda: cli.aws_session(aws_profile, cli.resolve_region(region, aws_profile).name),
                             progress=cli.console.status)
    warning = check_profile_names(profile, aws_profile, profile_exists=exists, benchling_profiles=cli.store.list(),
                                  aws_profiles=services.aws_profiles())
    if warning:
        cli.console.warning(warning)
    return services


def _notifier(console: Console) -> Notify:
    def notify(level: str, text: str) -> None:
        if level == "step":
            console.info("")
            console.info(text)
        elif level == "success":
            console.success(text)
        elif level == "warning":
            console.warning(text)
        else:
            console.info(text)
    return notify
