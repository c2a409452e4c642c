"""What the scientist is told in Benchling: app session messages, and the sentences they and the canvas use.

Benchling's App Status API (docs/benchling.md, "Messages the scientist sees"): a *session* is one unit of
work of the app (``POST /app-sessions``: app id, name, timeout, messages); messages are plain text of 3 to
200 characters with a style (INFO, SUCCESS, WARNING, ERROR), where ``{id:<api id>}`` becomes a chip that
links the item; ``PATCH /app-sessions/{id}`` adds messages and ends it (SUCCEEDED, FAILED,
COMPLETED_WITH_WARNINGS). A canvas whose ``sessionId`` names a session shows that session's status and
messages in place, and the app's sessions are its log in Benchling.

How the app uses it (``hooks.py``):

* work started from the canvas (Update package, a new canvas) opens a session with an INFO message and the
  "updating…" canvas carries its id; the result closes it (SUCCESS, WARNING when the configuration leaves
  the entry out, ERROR on failure);
* an entry event whose packaging fails for good (the inbox dead-letters it) is reported as a FAILED session,
  attached to the entry's canvas when the worker knows one.

Session calls are best effort: a failure is logged and the canvas still says everything. Text is built
from our own sentences and ``BenchlingWebhookError.message`` only — never a traceback — and ``scrub``
removes AWS ARNs and signed URLs, so no secret, stack trace or internal ARN reaches a user.
"""

from __future__ import annotations

import asyncio
import logging
import re
from enum import StrEnum
from typing import Any

from benchling_webhook.errors import BenchlingWebhookError

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 200
SESSION_TIMEOUT_SECONDS = 1800
_ARN = re.compile(r"arn:aws[a-z-]*:[^\s,;)\]]+")
_URL = re.compile(r"https?://\S+")
_BRACES = re.compile(r"([{}])")


class SessionStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    COMPLETED_WITH_WARNINGS = "COMPLETED_WITH_WARNINGS"


class MessageStyle(StrEnum):
    INFO = "INFO"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    ERROR = "ERROR"


def scrub(text: str) -> str:
    """``text`` without AWS ARNs or URLs (pre-signed URLs carry credentials), whitespace flattened."""
    return " ".join(_URL.sub("(link removed)", _ARN.sub("(AWS resource)", text)).split())


def failure_sentence(error: BaseException, doing: str = "update the package") -> str:
    """One sentence a scientist can read (``Could not update the package: …``); details stay in the logs."""
    if isinstance(error, BenchlingWebhookError):
        return f"Could not {doing}: {scrub(error.message).rstrip('.')}."
    return f"Could not {doing} because of an unexpected error (details are in the server logs)."


def session_message(text: str, style: MessageStyle, about: str | None = None) -> dict[str, str]:
    """A session message: ``text`` (scrubbed, braces escaped, at most 200 characters), led by a chip of the
    Benchling item ``about`` (an API id such as ``etr_…``) when given."""
    from benchling_sdk.apps.status.helpers import ref_by_id

    lead = f"{ref_by_id(about)}: " if about else ""
    body = _BRACES.sub(r"\\\1", scrub(text))
    room = MAX_MESSAGE_CHARS - len(lead)
    if len(body) > room:
        body = body[: room - 1].rstrip("\\") + "…"
    return {"content": (lead + body).ljust(3, "."), "style": style.value}


class AppSessions:
    """``POST``/``PATCH /api/v2/app-sessions`` via ``client.sdk.apps``; every call is best effort.

    Args:
        client: the worker's ``BenchlingClient`` (anything with ``.sdk``, a ``benchling_sdk.Benchling``).
        timeout_seconds: how long Benchling keeps a session open before marking it timed out (a worker that
            dies mid-run never closes its session).
    """

    def __init__(self, client: Any, timeout_seconds: int = SESSION_TIMEOUT_SECONDS) -> None:
        self._client = client
        self.timeout_seconds = timeout_seconds

    async def start(self, app_id: str, name: str, message: dict[str, str]) -> str | None:
        """Open a session with a first message; its id, or ``None`` when Benchling refused."""
        from benchling_sdk.models import AppSessionCreate

        body = {"appId": app_id, "name": _name(name), "timeoutSeconds": self.timeout_seconds,
                "messages": [message]}
        session = await self._run("start a session", lambda: self._client.sdk.apps.create_session(
            AppSessionCreate.from_dict(body)))
        session_id = getattr(session, "id", None)
        return session_id if isinstance(session_id, str) else None

    async def close(self, session_id: str, status: SessionStatus, message: dict[str, str] | None = None) -> None:
        """End the session with ``status``, adding ``message`` as its last one."""
        from benchling_sdk.models import AppSessionUpdate

        body: dict[str, Any] = {"status": status.value}
        if message is not None:
            body["messages"] = [message]
        update = AppSessionUpdate.from_dict(body)
        await self._run(f"close session {session_id}",
                        lambda: self._client.sdk.apps.update_session(session_id, update))

    async def report(self, app_id: str, name: str, status: SessionStatus, message: dict[str, str]) -> str | None:
        """A session that is over as soon as it starts (an outcome nobody was waiting for)."""
        session_id = await self.start(app_id, name, message)
        if session_id is not None:
            await self.close(session_id, status)
        return session_id

    async def _run(self, what: str, call: Any) -> Any:
        try:
            return await asyncio.to_thread(call)
        except Exception as exc:  # best effort: the canvas still tells the user
            log.warning("app session call failed", extra={"action": what, "error": _reason(exc)})
            return None


def _name(name: str) -> str:
    text = " ".join(name.split())[:100]
    return text if len(text) >= 3 else "Quilt package"


def _reason(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__} (HTTP {status})" if status else type(exc).__name__
