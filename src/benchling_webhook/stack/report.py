"""What a deploy produced, as data for the CLI to render and for ``deployments.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from benchling_webhook.constants import StackOutputs

ROUTING_REMINDER = ('In Benchling (Developer Console → your app → Webhook URL) paste the URL above and choose '
                    '"Suffixed" routing: Benchling then appends /event, /lifecycle or /canvas.')


@dataclass(frozen=True)
class DeploymentReport:
    stack_name: str
    region: str
    status: str
    outputs: dict[str, str] = field(default_factory=dict)
    image_uri: str = ""
    changed: bool = True
    seconds: float = 0.0
    who: str = ""
    account: str = ""
    dry_run: bool = False
    summary: str = ""

    @property
    def webhook_url(self) -> str:
        return self.outputs.get(StackOutputs.WEBHOOK_URL, "")

    def record(self) -> dict[str, Any]:
        """The ``deployments.json`` entry (the store adds the time)."""
        return {
            "stackName": self.stack_name, "region": self.region, "account": self.account,
            "endpoint": self.webhook_url, "image": self.image_uri, "status": self.status, "who": self.who,
            "changes": self.summary, "seconds": round(self.seconds, 1),
        }


class Recorder(Protocol):
    def record(self, report: DeploymentReport) -> None: ...


class DeploymentRecorder:
    """Appends each executed deploy to the profile's ``deployments.json``."""

    def __init__(self, store: Any, profile_name: str) -> None:
        self.store = store
        self.profile_name = profile_name

    def record(self, report: DeploymentReport) -> None:
        self.store.record_deployment(self.profile_name, report.record())


class NoopRecorder:
    """Dry runs record nothing."""

    def record(self, report: DeploymentReport) -> None:
        return None
