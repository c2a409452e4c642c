"""``benchling-webhook serve``: the container's command (its environment: docs/container.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from benchling_webhook.constants import EnvVars, ServerRole


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "0.0.0.0",
    port: Annotated[int | None, typer.Option(
        "--port", min=1, max=65535, help=f"Port to listen on [env var: {EnvVars.PORT}] (default 8080).")] = None,
    role: Annotated[ServerRole, typer.Option(
        "--role", help="web: receive webhooks; worker: process the inbox; all: both in one process.")] = "web",
    local: Annotated[bool, typer.Option(
        "--local", help="Development: server + worker on an embedded AWS emulator and Benchling sandbox.")] = False,
) -> None:
    """Run the webhook server and/or the inbox worker, configured by environment variables (the stack sets them)."""
    if local:
        _serve_local(ctx, "127.0.0.1" if host == "0.0.0.0" else host, port)
        return
    from benchling_webhook.server.serve import load_settings
    from benchling_webhook.server.serve import serve as run

    run(load_settings(), host=host, port=port, role=role)


def _serve_local(ctx: typer.Context, host: str, port: int | None) -> None:
    import os
    import tempfile
    import time
    from pathlib import Path

    from benchling_webhook.cli.context import get_context
    from benchling_webhook.sandbox.environment import LocalEnvironment, describe

    console = get_context(ctx).console
    with tempfile.TemporaryDirectory(prefix="benchling-webhook-local-") as tmp, \
            LocalEnvironment(log_dir=Path(tmp), inherited_env=os.environ) as env:
        with console.status("starting the AWS emulator, the Benchling sandbox and the server…"):
            env.start(port=port, host=host)
        for key, value in describe(env).items():
            console.info(f"{key:>18}: {value}")
        console.info("Ctrl-C stops everything")
        try:
            while env.server is not None and env.server.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            console.info("stopping…")
