"""Health routes (docs/container.md).

``/health`` is public (behind the same edge as the webhooks) and says only ``{"status", "version"}``:
``healthy``, or ``degraded`` while the secret or configuration is unusable. It always answers 200 (the
container stays up to report its problem). Why it is degraded goes to the log, once per change of reason
(``benchling-webhook logs``, ``status``), never to the caller: the reason names the secret and the
account. Each call re-checks (at most once per the secret store's ``recheck_interval``), so a secret
created after start-up heals the server without a restart. ``/health/ready`` is 503 until webhooks can be
accepted; ``/health/live`` only says the process answers. Neither carries details either.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from benchling_webhook import __version__
from benchling_webhook.server.deps import RuntimeDep

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@router.get("/health", summary="healthy or degraded, and the version")
async def health(runtime: RuntimeDep) -> dict[str, Any]:
    _, problem = await runtime.readiness()
    _log_change(problem)
    return {"status": "degraded" if problem else "healthy", "version": __version__}


@router.get("/health/ready", summary="200 when webhooks can be accepted, else 503")
async def ready(runtime: RuntimeDep) -> JSONResponse:
    _, problem = await runtime.readiness()
    _log_change(problem)
    if problem is not None:
        return JSONResponse({"status": "not ready", "timestamp": _now()}, status_code=503)
    return JSONResponse({"status": "ready", "timestamp": _now()})


@router.get("/health/live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "alive", "timestamp": _now()}


_last_problem: list[str | None] = [None]


def _log_change(problem: str | None) -> None:
    """Log the degraded reason when it changes (health checks come every few seconds)."""
    if problem != _last_problem[0]:
        _last_problem[0] = problem
        if problem is None:
            logger.info("healthy again")
        else:
            logger.warning("degraded", extra={"reason": problem})
