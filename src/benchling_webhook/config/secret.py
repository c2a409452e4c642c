"""``BenchlingCredentials``: the JSON document in the Secrets Manager secret that ``BenchlingSecret`` names.

``setup`` writes it and the server reads it through this one model, so the document's keys
(``tenant``, ``client_id``, ``client_secret``, ``app_definition_id``) cannot drift apart. Reading
accepts camelCase keys too and ignores extra ones; the client secret is a ``SecretStr``, so no repr,
log line or validation error shows it.
"""

from __future__ import annotations

import json

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr

from benchling_webhook.config.values import Tenant


class BenchlingCredentials(BaseModel):
    """The Benchling app's client credentials and the tenant and app they belong to."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    tenant: Tenant
    client_id: str = Field(validation_alias=AliasChoices("client_id", "clientId"))
    client_secret: SecretStr = Field(validation_alias=AliasChoices("client_secret", "clientSecret"))
    app_definition_id: str | None = Field(
        default=None, validation_alias=AliasChoices("app_definition_id", "appDefinitionId"))

    def to_json(self) -> str:
        """The document as ``setup`` stores it (snake_case keys, the client secret in clear)."""
        return json.dumps({"tenant": self.tenant, "client_id": self.client_id,
                           "client_secret": self.client_secret.get_secret_value(),
                           "app_definition_id": self.app_definition_id})
