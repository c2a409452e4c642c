"""``POST /sandbox/send`` and ``POST /sandbox/configure``: the sandbox acts as Benchling towards the server.

Lets a person exploring ``demo --keep-running`` or ``serve --local`` send events with curl, without
holding the sandbox's private key:

    curl -X POST <sandbox>/sandbox/send -H 'content-type: application/json' \\
         -d '{"type": "v2.entry.updated.fields", "resourceId": "etr_Ab12Cd34"}'

and change the app's configuration as an admin would in the Configuration tab (values by item name, see
``config/app_items.py``); Benchling then sends ``v2-beta.app.configuration.updated``, and so does this:

    curl -X POST <sandbox>/sandbox/configure -H 'content-type: application/json' \\
         -d '{"values": {"Entry schemas to skip": ["ts_Lb8PzQ3v"]}}'
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from benchling_webhook.config.app_items import APP_ITEMS
from benchling_webhook.sandbox.apps import CONFIGURATION_UPDATED, AppRequestError
from benchling_webhook.sandbox.canvases import DEFAULT_APP_ID


async def _deliver(state: Any, message: dict[str, Any], path: str, app_id: str = DEFAULT_APP_ID) -> JSONResponse:
    """Sign ``message`` as Benchling would and post it to the attached server; its answer as JSON."""
    target = state.webhook_target
    if not target:
        return JSONResponse({"error": "no webhook server is attached to this sandbox"}, status_code=409)
    webhook_id = f"msg_{uuid.uuid4().hex[:20]}"
    body, headers = state.signed(state.envelope(message, app_id=app_id), webhook_id=webhook_id)
    headers["content-type"] = "application/json"
    async with httpx.AsyncClient(timeout=10.0) as client:
        try:
            answer = await client.post(target.rstrip("/") + "/" + path.lstrip("/"), content=body, headers=headers)
        except httpx.HTTPError as exc:
            return JSONResponse({"error": f"the server is unreachable: {type(exc).__name__}"}, status_code=502)
    try:
        server_answer: Any = answer.json()
    except ValueError:
        server_answer = answer.text[:500]
    return JSONResponse({"webhook_id": webhook_id, "server_status": answer.status_code,
                         "server_answer": server_answer})


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


def create_relay_router() -> APIRouter:
    router = APIRouter(tags=["sandbox"])

    @router.post("/sandbox/send")
    async def send(request: Request, path: str = "/event") -> JSONResponse:
        message = await _json(request)
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return JSONResponse({"error": "the body must be a JSON message with a string 'type', e.g. "
                                          "{\"type\": ...}"}, status_code=400)
        return await _deliver(request.app.state.sandbox, message, path)

    @router.post("/sandbox/configure")
    async def configure(request: Request) -> JSONResponse:
        body = await _json(request)
        values = body.get("values") if isinstance(body, dict) else None
        known = {item.name for item in APP_ITEMS}
        if not isinstance(values, dict) or not set(values) <= known:
            return JSONResponse({"error": f"the body must be {{\"values\": {{...}}}} with names from {sorted(known)}"},
                                status_code=400)
        app_id = str(body.get("appId") or DEFAULT_APP_ID)
        state = request.app.state.sandbox
        try:
            state.apps.configure(app_id, values)
        except AppRequestError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return await _deliver(state, dict(CONFIGURATION_UPDATED), "/lifecycle", app_id)

    return router
