"""``benchling-webhook setup``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, AwsProfileOpt, ProfileOpt, RegionOpt, YesOpt

if TYPE_CHECKING:
    from benchling_webhook.cli.console import Console
    from benchling_webhook.setup.wizard import SetupResult


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
    prefix: Annotated[str | None, _opt("Package name prefix [default: benchling].", "--prefix")] = None,
    metadata_key: Annotated[str | None, _opt("Metadata key linking packages to entries [default: experiment_id].",
                                             "--metadata-key")] = None,
    vpc_id: Annotated[str | None, _opt("Existing VPC id, or 'new' to create one [default: new].", "--vpc-id")] = None,
    image_uri: Annotated[str | None, _opt("Container image URI (default: built at deploy).", "--image-uri")] = None,
    athena_workgroup: Annotated[str | None, _opt("Athena workgroup for linked-package queries [default: primary].",
                                                 "--athena-workgroup")] = None,
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
    from benchling_webhook.cli.prompts import create_prompter
    from benchling_webhook.setup.wizard import SetupCancelled, SetupWizard, save_setup

    cli = get_context(ctx)
    flags = {k: _flag(v) for k, v in locals().items() if k in _FLAGS}  # the options that answer wizard questions
    flags["client_secret"] = _client_secret(client_secret, client_secret_stdin)
    existing = _existing(cli, profile)
    services = _services(cli, profile, aws_profile, region, existing is not None)
    prompter = create_prompter(yes)
    cli.console.info(f"{'Editing' if existing else 'Creating'} profile '{profile}' ({cli.store.config_path(profile)})")
    wizard = SetupWizard(prompter, services, profile=profile, existing=existing, flags=flags,
                         skip_validation=skip_validation, notify=_notifier(cli.console), progress=cli.console.status)
    result = wizard.run()
    _summarise(cli.console, result, profile)
    if prompter.interactive and not prompter.confirm(f"Save profile '{profile}'?", default=True):
        raise SetupCancelled("before saving", hint="re-run: benchling-webhook setup")
    path = save_setup(result, profile, services, cli.store)
    cli.console.success(f"saved profile '{profile}' to {path}")
    flag = "" if profile == DEFAULT else f" --profile {profile}"
    cli.console.info(f"next: benchling-webhook deploy{flag}")


_FLAGS = {"catalog", "quilt_stack", "quilt_queue_url", "quilt_database", "tenant", "app_definition_id", "client_id",
          "benchling_base_url", "bucket", "prefix", "metadata_key", "region", "vpc_id", "image_uri",
          "athena_workgroup", "athena_results_location", "nat_gateways", "min_tasks", "max_tasks", "cpu", "memory",
          "fargate_spot", "alarm_email"}


def _flag(value: Any) -> str | None:
    """Wizard answers are text: numbers as digits, ``--fargate-spot/--no-fargate-spot`` as on/off."""
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


def _existing(cli: Any, profile: str) -> Any:
    """The current profile as defaults; a broken one is reported and replaced (setup is its repair)."""
    from benchling_webhook.errors import ConfigError

    if not cli.store.exists(profile):
        return None
    try:
        return cli.store.load(profile)
    except ConfigError as exc:
        cli.console.warning(f"{exc.message} — starting from empty values (the old file is kept as config.json.bak)")
        return None


def _services(cli: Any, profile: str, aws_profile: str | None, region: str | None, exists: bool) -> Any:
    """Session-backed services, after a check that --profile and --aws-profile are not swapped."""
    from benchling_webhook.setup.services import SetupServices
    from benchling_webhook.setup.wizard import check_profile_names

    services = SetupServices(lambda: cli.aws_session(aws_profile, cli.resolve_region(region, aws_profile).name))
    warning = check_profile_names(profile, aws_profile, profile_exists=exists, benchling_profiles=cli.store.list(),
                                  aws_profiles=services.aws_profiles())
    if warning:
        cli.console.warning(warning)
    return services


def _notifier(console: Console) -> Any:
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


def _summarise(console: Console, result: SetupResult, profile: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from benchling_webhook.cli.render import render_cost
    from benchling_webhook.stack.cost import estimate_monthly_cost

    config = result.config
    vpc = config.deployment.vpc
    cost = estimate_monthly_cost(config.deployment, config.deployment.region)
    table = Table(title=f"Profile '{profile}'", show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    rows = [
        ("Quilt catalog", config.quilt.catalog or "-"), ("Quilt stack", config.quilt.stack_arn or "-"),
        ("Packager queue", config.quilt.queue_url or "- (direct mode: quilt3)"),
        ("Athena database", config.quilt.database or "-"),
        ("Benchling", f"{config.benchling.tenant}.benchling.com, app {config.benchling.app_definition_id}"),
        ("Client id", config.benchling.client_id),
        ("Client secret", "Secrets Manager: " + ("unchanged" if result.secret is None else "will be written")),
        ("Packages", f"s3://{config.packages.bucket}/{config.packages.prefix}/<entry> "
                     f"(metadata key {config.packages.metadata_key})"),
        ("Region", config.deployment.region), ("Image", config.deployment.image_uri or "built at deploy"),
        ("VPC", f"{vpc.vpc_id} ({', '.join(vpc.private_subnet_ids) or 'subnets not discovered'})" if vpc
         else "new (2 AZs, NAT gateways)"),
        *_sizing_rows(config),
        ("Monthly cost", f"~${cost.total:,.2f} fixed, estimated (breakdown below)"),
    ]
    for key, value in rows:
        table.add_row(key, Text(value))
    console.info("")
    console.info("Step 5/5 · Summary")
    console.render(table)
    render_cost(console, cost)
    for note in result.notes:
        console.warning(note)


def _sizing_rows(config: Any) -> list[tuple[str, str]]:
    """The sizing/cost options and, with an Athena database, where linked-package queries run."""
    from benchling_webhook.stack.inputs import athena_results_location

    d = config.deployment
    ha = "one per AZ, HA" if d.nat_gateways > 1 else "no HA"
    nat = "- (the existing VPC's own)" if d.vpc else f"{d.nat_gateways} ({ha})"
    rows = [("NAT gateways", nat),
            ("Tasks", f"{d.min_tasks} to {d.max_tasks} x {d.cpu / 1024:g} vCPU / {d.memory / 1024:g} GB "
                      f"(cpu {d.cpu}, memory {d.memory})"),
            ("Fargate Spot", "on (1 on-demand task, the rest on Spot)" if d.fargate_spot else "off"),
            ("Alarm email", d.alarm_email or "- (alarms without notifications)")]
    if config.quilt.database:
        rows.append(("Athena", f"workgroup {config.quilt.athena_workgroup or 'primary'}, results "
                               f"{athena_results_location(config)}"))
    return rows
