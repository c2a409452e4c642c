"""Health routes (docs/container.md).

``/health`` always answers 200 (the container stays up to report its problem) and says
``"mode":"degraded"`` with a reason while the secret or configuration is unusable; each call re-checks
(at most once per the secret store's ``recheck_interval``), so a secret created after start-up heals the
server without a restart. ``/health/ready`` is 503 until webhooks can be accepted; ``/health/live`` only
says the process answers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from benchling_webhook import __version__
from benchling_webhook.server.deps import RuntimeDep

router = APIRouter(tags=["health"])


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@router.get("/health", summary="Health, with the degraded reason if any")
async def health(runtime: RuntimeDep) -> dict[str, Any]:
    _, problem = await runtime.readiness()
    body: dict[str, Any] = {"status": "healthy", "version": __version__, "timestamp": _now(),
                            "verification": "enabled" if runtime.verifier is not None else "disabled"}
    if problem is not None:
        body["mode"] = "degraded"
        body["reason"] = problem
    if runtime.verifier is None:
        body["warning"] = "webhook signature verification is DISABLED"
    return body


@router.get("/health/ready", summary="200 when webhooks can be accepted, else 503")
async def ready(runtime: RuntimeDep) -> JSONResponse:
    _, problem = await runtime.readiness()
    if problem is not None:
        return JSONResponse({"status": "not ready", "reason": problem, "timestamp": _now()}, status_code=503)
    return JSONResponse({"status": "ready", "timestamp": _now()})


@router.get("/health/live", summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "alive", "timestamp": _now()}
