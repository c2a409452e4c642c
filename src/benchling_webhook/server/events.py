"""Webhook envelopes and inbox messages (pydantic), and the routing of ``message.type`` to a kind.

The envelope is validated only as far as routing needs; everything else Benchling sends is kept
(``extra="allow"``) because the worker re-fetches current state and never trusts payload data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field


class EventKind(StrEnum):
    ENTRY = "entry"
    CANVAS_INITIALIZED = "canvas_initialized"
    CANVAS_CREATED = "canvas_created"
    CANVAS_INTERACTION = "canvas_interaction"
    CONFIGURATION = "configuration"  # an admin changed the App Configuration: queued, the worker re-reads it
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
    "v2-beta.app.configuration.updated": EventKind.CONFIGURATION,
}


def kind_of(message_type: str) -> EventKind:
    return EVENT_KINDS.get(message_type, EventKind.UNKNOWN)


class _Head(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class MessageHead(_Head):
    type: str
    resource_id: str | None = Field(default=None, alias="resourceId")
    canvas_id: str | None = Field(default=None, alias="canvasId")

    @property
    def kind(self) -> EventKind:
        return kind_of(self.type)


class Message(MessageHead, _Open):
    id: str | None = None
    button_id: str | None = Field(default=None, alias="buttonId")
    feature_id: str | None = Field(default=None, alias="featureId")
    user_id: str | None = Field(default=None, alias="userId")


class IdRef(_Head):
    id: str


class AppRef(IdRef, _Open):
    pass


class AppDefinitionRef(IdRef, _Open):
    version_number: str | int | None = Field(default=None, alias="versionNumber")


class EnvelopeHead(_Head):
    """What the ack path reads of the body Benchling posts: routing and the tenant/app checks. The rest is
    skipped, not parsed (about a third of the cost of ``Envelope``); the worker parses the whole body."""

    base_url: str = Field(alias="baseURL")
    app: IdRef
    app_definition: IdRef = Field(alias="appDefinition")
    message: MessageHead


class Envelope(EnvelopeHead, _Open):
    """The body Benchling posts."""

    version: str | None = None
    tenant_id: str | None = Field(default=None, alias="tenantId")
    app: AppRef
    app_definition: AppDefinitionRef = Field(alias="appDefinition")
    channel: str | None = None
    message: Message


class InboxMessage(BaseModel):
    """What the web role puts in the inbox and the worker takes out (SQS message body, JSON)."""

    model_config = ConfigDict(populate_by_name=True)

    webhook_id: str = Field(alias="webhookId")
    received_at: datetime = Field(alias="receivedAt")
    envelope: Envelope

    def to_body(self) -> str:
        return self.model_dump_json(by_alias=True)

    @classmethod
    def from_body(cls, body: str | bytes) -> InboxMessage:
        return cls.model_validate_json(body)

    def log_fields(self) -> dict[str, Any]:
        """The fields every log line about this event carries."""
        m = self.envelope.message
        return {"webhook_id": self.webhook_id, "event_type": m.type,
                "entry_id": m.resource_id, "canvas_id": m.canvas_id}


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    """A webhook just verified and parsed, on its way to the inbox: the ack path's lighter stand-in for an
    ``InboxMessage`` (building a pydantic model costs more than the rest of this). ``to_body`` gives the
    same JSON as ``InboxMessage.to_body`` but embeds the body exactly as Benchling sent it, so the worker
    sees what Benchling sent and the ack path skips a serialisation."""

    webhook_id: str
    envelope: EnvelopeHead
    raw_envelope: bytes
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_body(self) -> str:
        head = orjson.dumps({"webhookId": self.webhook_id, "receivedAt": self.received_at})
        return head[:-1].decode() + ',"envelope":' + self.raw_envelope.decode() + "}"

    def to_message(self) -> InboxMessage:
        return InboxMessage.from_body(self.to_body())


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
