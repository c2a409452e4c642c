"""``benchling-webhook config list|show|validate|path``."""

from __future__ import annotations

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, JsonOpt, ProfileOpt

app = typer.Typer(help="Inspect profiles: list, show (secrets masked), validate, path.", no_args_is_help=True,
                  rich_markup_mode=None)


@app.command("list")
def list_(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the profiles on this machine."""
    cli = get_context(ctx)
    names = cli.store.list()
    if json_:
        cli.console.json({"root": str(cli.store.root), "profiles": names})
        return
    if not names:
        cli.console.info(f"no profiles in {cli.store.root}")
        cli.console.info("hint: create one with: benchling-webhook setup")
        return
    for name in names:
        cli.console.data(name)


@app.command("show")
def show(ctx: typer.Context, profile: ProfileOpt = DEFAULT, json_: JsonOpt = False) -> None:
    """Show a profile with secret values masked (validated first)."""
    from benchling_webhook.config.store import scrub

    cli = get_context(ctx)
    config = cli.store.load(profile)
    data = scrub(config.model_dump(mode="json", by_alias=True, exclude_none=True))
    if json_:
        cli.console.json(data)
        return
    from rich.pretty import Pretty

    cli.console.info(f"profile {profile} ({cli.store.config_path(profile)})")
    cli.console.print(Pretty(data, expand_all=True))


@app.command("validate")
def validate(ctx: typer.Context, profile: ProfileOpt = DEFAULT) -> None:
    """Check that a profile parses and every field is valid."""
    cli = get_context(ctx)
    cli.store.load(profile)
    cli.console.success(f"profile {profile} is valid ({cli.store.config_path(profile)})")


@app.command("path")
def path(ctx: typer.Context, profile: ProfileOpt = DEFAULT) -> None:
    """Print the path of a profile's config file (it need not exist yet)."""
    cli = get_context(ctx)
    cli.console.data(str(cli.store.config_path(profile)))
