"""``POST /sandbox/send``: the sandbox signs a webhook with its key and posts it to the server.

Lets a person exploring ``demo --keep-running`` or ``serve --local`` send events with curl, without
holding the sandbox's private key:

    curl -X POST <sandbox>/sandbox/send -H 'content-type: application/json' \\
         -d '{"type": "v2.entry.updated.fields", "resourceId": "etr_Ab12Cd34"}'
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse


def create_relay_router() -> APIRouter:
    router = APIRouter(tags=["sandbox"])

    @router.post("/sandbox/send")
    async def send(request: Request, path: str = "/event") -> JSONResponse:
        state = request.app.state.sandbox
        target = state.webhook_target
        if not target:
            return JSONResponse({"error": "no webhook server is attached to this sandbox"}, status_code=409)
        try:
            message: Any = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be a JSON message, e.g. {\"type\": ...}"}, status_code=400)
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return JSONResponse({"error": "the message needs a string 'type'"}, status_code=400)
        webhook_id = f"msg_{uuid.uuid4().hex[:20]}"
        body, headers = state.signed(state.envelope(message), webhook_id=webhook_id)
        headers["content-type"] = "application/json"
        async with httpx.AsyncClient(timeout=10.0) as client:
            try:
                answer = await client.post(target.rstrip("/") + "/" + path.lstrip("/"), content=body,
                                           headers=headers)
            except httpx.HTTPError as exc:
                return JSONResponse({"error": f"the server is unreachable: {type(exc).__name__}"}, status_code=502)
        try:
            server_answer: Any = answer.json()
        except ValueError:
            server_answer = answer.text[:500]
        return JSONResponse({"webhook_id": webhook_id, "server_status": answer.status_code,
                             "server_answer": server_answer})

    return router
