"""Webhook envelopes and inbox messages (pydantic), and the routing of ``message.type`` to a kind.

The envelope is validated only as far as routing needs; everything else Benchling sends is kept
(``extra="allow"``) because the worker re-fetches current state and never trusts payload data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class EventKind(StrEnum):
    ENTRY = "entry"
    CANVAS_INITIALIZED = "canvas_initialized"
    CANVAS_CREATED = "canvas_created"
    CANVAS_INTERACTION = "canvas_interaction"
    LIFECYCLE = "lifecycle"
    UNKNOWN = "unknown"


EVENT_KINDS: dict[str, EventKind] = {
    "v2.entry.created": EventKind.ENTRY,
    "v2.entry.updated.fields": EventKind.ENTRY,
    "v2.entry.updated.reviewRecord": EventKind.ENTRY,
    "v2.canvas.initialized": EventKind.CANVAS_INITIALIZED,
    "v2.canvas.created": EventKind.CANVAS_CREATED,
    "v2-beta.canvas.created": EventKind.CANVAS_CREATED,
    "v2.canvas.userInteracted": EventKind.CANVAS_INTERACTION,
    "v2.app.installed": EventKind.LIFECYCLE,
    "v2.app.activateRequested": EventKind.LIFECYCLE,
    "v2.app.deactivated": EventKind.LIFECYCLE,
    "v2-beta.app.configuration.updated": EventKind.LIFECYCLE,
}


def kind_of(message_type: str) -> EventKind:
    return EVENT_KINDS.get(message_type, EventKind.UNKNOWN)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Message(_Open):
    type: str
    id: str | None = None
    resource_id: str | None = Field(default=None, alias="resourceId")
    canvas_id: str | None = Field(default=None, alias="canvasId")
    button_id: str | None = Field(default=None, alias="buttonId")
    feature_id: str | None = Field(default=None, alias="featureId")
    user_id: str | None = Field(default=None, alias="userId")

    @property
    def kind(self) -> EventKind:
        return kind_of(self.type)


class AppRef(_Open):
    id: str


class AppDefinitionRef(_Open):
    id: str
    version_number: str | int | None = Field(default=None, alias="versionNumber")


class Envelope(_Open):
    """The body Benchling posts."""

    version: str | None = None
    base_url: str = Field(alias="baseURL")
    tenant_id: str | None = Field(default=None, alias="tenantId")
    app: AppRef
    app_definition: AppDefinitionRef = Field(alias="appDefinition")
    channel: str | None = None
    message: Message

    @property
    def group_key(self) -> str:
        """What the event is about (entry, else canvas, else installation): logs and coalescing key."""
        m = self.message
        return m.resource_id or m.canvas_id or self.app.id


class InboxMessage(BaseModel):
    """What the web role puts in the inbox and the worker takes out (SQS message body, JSON)."""

    model_config = ConfigDict(populate_by_name=True)

    webhook_id: str = Field(alias="webhookId")
    received_at: datetime = Field(alias="receivedAt")
    envelope: Envelope
    _raw_envelope: str | None = PrivateAttr(default=None)

    @classmethod
    def received(cls, webhook_id: str, envelope: Envelope, raw_envelope: bytes | str | None = None,
                 received_at: datetime | None = None) -> InboxMessage:
        """The message for a webhook just verified and parsed (no re-validation). With ``raw_envelope`` — the
        body exactly as Benchling sent it — ``to_body`` embeds those bytes instead of re-serialising the model:
        the worker sees what Benchling sent, and the ack path saves a serialisation."""
        message = cls.model_construct(webhook_id=webhook_id, received_at=received_at or datetime.now(UTC),
                                      envelope=envelope)
        if raw_envelope is not None:
            message._raw_envelope = raw_envelope.decode() if isinstance(raw_envelope, bytes) else raw_envelope
        return message

    def to_body(self) -> str:
        raw = self._raw_envelope
        if raw is None:
            return self.model_dump_json(by_alias=True)
        head = orjson.dumps({"webhookId": self.webhook_id, "receivedAt": self.received_at})
        return head[:-1].decode() + ',"envelope":' + raw + "}"

    @classmethod
    def from_body(cls, body: str | bytes) -> InboxMessage:
        return cls.model_validate_json(body)

    def log_fields(self) -> dict[str, Any]:
        """The fields every log line about this event carries."""
        m = self.envelope.message
        return {"webhook_id": self.webhook_id, "event_type": m.type,
                "entry_id": m.resource_id, "canvas_id": m.canvas_id}


class InboxPack(BaseModel):
    """Several events in one SQS message (the web role packs events that arrive together; see inbox.py)."""

    events: list[InboxMessage] = Field(min_length=1)


PACK_PREFIX = '{"events":['


def pack_body(bodies: list[str]) -> str:
    """One SQS message body carrying the events whose ``to_body()`` texts are ``bodies``."""
    return PACK_PREFIX + ",".join(bodies) + "]}"


def decode_inbox_body(body: str | bytes) -> list[InboxMessage]:
    """The events of an inbox message body — one ``InboxMessage`` or an ``InboxPack``; raises
    ``pydantic.ValidationError`` for anything else."""
    prefix: str | bytes = PACK_PREFIX.encode() if isinstance(body, bytes) else PACK_PREFIX
    if body.startswith(prefix):  # type: ignore[arg-type]  # str with str, bytes with bytes
        return InboxPack.model_validate_json(body).events
    return [InboxMessage.model_validate_json(body)]
