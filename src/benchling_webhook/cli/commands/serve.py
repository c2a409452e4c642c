"""``benchling-webhook serve``: the container's command (SPEC §4.5)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class Role(StrEnum):
    web = "web"
    worker = "worker"
    all = "all"


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "0.0.0.0",
    port: Annotated[int | None, typer.Option(
        "--port", min=1, max=65535, help="Port to listen on [env var: PORT] (default 8080).")] = None,
    role: Annotated[Role, typer.Option(
        "--role", help="web: receive webhooks; worker: process the inbox; all: both in one process.")] = Role.web,
) -> None:
    """Run the webhook server and/or the inbox worker, configured by the environment (SPEC §4.5)."""
    from benchling_webhook.server.serve import load_settings
    from benchling_webhook.server.serve import serve as run

    run(load_settings(), host=host, port=port, role=role.value)
