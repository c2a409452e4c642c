"""``benchling-webhook manifest``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from benchling_webhook.cli.context import get_context
from benchling_webhook.cli.options import DEFAULT, ProfileOpt


def manifest(
    ctx: typer.Context,
    profile: ProfileOpt = DEFAULT,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="App name shown in Benchling.")] = None,
) -> None:
    """Write the Benchling App manifest (canvas feature, configuration items, webhook subscriptions) as YAML."""
    from benchling_webhook.ops.manifest import build_manifest, render_manifest

    cli = get_context(ctx)
    config = cli.store.load(profile) if cli.store.exists(profile) else None
    text = render_manifest(build_manifest(config, profile=profile, name=name))
    if output is None:
        cli.console.data(text.rstrip("\n"))
        return
    output.write_text(text, encoding="utf-8")
    cli.console.success(f"wrote {output}")
    cli.console.info("next: upload it in Benchling under Developer Console → Apps → Create app → From manifest")
