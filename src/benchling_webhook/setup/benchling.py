"""The Benchling steps: the app (a manifest to create it from, on a first run) and its client credentials.

The credentials are checked with a real token request. On a re-run the client secret may be left
empty: the stored one (Secrets Manager) is read back, used for the check, and written again only when
the secret document would change (new tenant, client or app, or a new deployment region).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from benchling_webhook.config.models import BenchlingConfig, ProfileConfig
from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.config.values import normalize_tenant
from benchling_webhook.errors import ConfigError, SetupCancelled
from benchling_webhook.setup.secrets import region_of_arn
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.step import Finding, Interview, ProfileDraft, Step


class ManifestStep(Step):
    """A first interactive run without an app definition id offers to write the app manifest."""

    def __init__(self, old: BenchlingConfig | None, profile: str) -> None:
        self.old = old
        self.profile = profile

    def collect(self, interview: Interview, services: SetupServices) -> None:
        if self.old is not None or not interview.interactive or interview.given("app_definition_id") is not None:
            return
        if interview.confirm("Do you already have a Benchling app for this webhook?", default=True):
            return
        path = Path(interview.ask("manifest_path", "benchling-app-manifest.yaml") or "benchling-app-manifest.yaml")
        services.write_manifest(path, self.profile)
        interview.say("success", f"wrote the app manifest to {path}")
        interview.say("info", "In Benchling: Developer Console → Apps → Create app → From manifest (upload the "
                              "file), then open the app's Overview for the app definition id and generate client "
                              "credentials.")
        if not interview.confirm("Continue once the app exists?", default=True):
            raise SetupCancelled("before the Benchling step",
                                 hint=f"create the app from {path}, then re-run: benchling-webhook setup")


class BenchlingStep(Step):
    """Tenant, app definition id and client credentials, accepted by Benchling's token endpoint."""

    subject = "Benchling values"

    def __init__(self, old: BenchlingConfig | None, base_url: str | None = None) -> None:
        self.old = old
        self.base_url = base_url or (old.base_url if old else None)
        self.tenant = old.tenant if old else None
        self.app_definition_id = old.app_definition_id if old else None
        self.client_id = old.client_id if old else None
        self.client_secret: str | None = None  # entered now; None keeps the stored one
        self._stored: dict[str, Any] | None = None

    def collect(self, interview: Interview, services: SetupServices) -> None:
        keep = bool(self.old and self.old.secret_arn)
        self.tenant = interview.ask("tenant", self.tenant)
        self.app_definition_id = interview.ask("app_definition_id", self.app_definition_id)
        self.client_id = interview.ask("client_id", self.client_id)
        entered = interview.ask("client_secret", None, required=not keep,
                                instruction="(leave empty to keep the stored one)" if keep else None)
        if entered or not interview.repeating:
            self.client_secret = entered

    def check(self, services: SetupServices) -> list[Finding]:
        if not (self.tenant and self.client_id):
            return []
        secret = self.client_secret or self._stored_client_secret(services)
        services.verify_benchling(self.tenant, self.client_id, secret, self.base_url)
        return [Finding("success", "Benchling accepted the client credentials for tenant "
                                   f"{normalize_tenant(self.tenant)}")]

    def build(self, draft: ProfileDraft) -> None:
        draft.benchling.update(tenant=self.tenant or "", client_id=self.client_id or "",
                               app_definition_id=self.app_definition_id or "",
                               secret_arn=self.old.secret_arn if self.old else None, base_url=self.base_url)

    def secret_to_write(self, config: ProfileConfig, services: SetupServices) -> BenchlingCredentials | None:
        """The secret document to write, or ``None`` when the stored one is already right."""
        new, old = config.benchling, self.old
        stored = old is not None and old.secret_arn and region_of_arn(old.secret_arn) == config.deployment.region
        same = old is not None and (old.tenant, old.client_id, old.app_definition_id) == (
            new.tenant, new.client_id, new.app_definition_id)
        if not self.client_secret and stored and same:
            return None
        secret = self.client_secret or self._stored_client_secret(services)
        return BenchlingCredentials(tenant=new.tenant, client_id=new.client_id, client_secret=SecretStr(secret),
                               app_definition_id=new.app_definition_id)

    def _stored_client_secret(self, services: SetupServices) -> str:
        arn = self.old.secret_arn if self.old else None
        if arn is None:
            raise ConfigError("no client secret was given", hint="pass --client-secret-stdin or enter it")
        if self._stored is None:
            self._stored = services.read_secret(arn)
        return str(self._stored.get("client_secret", ""))
