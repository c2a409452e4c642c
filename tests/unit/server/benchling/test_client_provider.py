from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.server.benchling.client import BenchlingClientProvider, CurrentClient
from benchling_webhook.server.settings import ServerSettings


class Secrets:
    def __init__(self) -> None:
        self.value = BenchlingCredentials(tenant="acme-bio", client_id="c1", client_secret=SecretStr("s1"))
        self.reads = 0

    def get(self) -> BenchlingCredentials:
        self.reads += 1
        return self.value

    def reload(self) -> BenchlingCredentials:
        return self.get()


class FakeClient:
    def __init__(self, settings: ServerSettings, credentials: BenchlingCredentials, **options: Any) -> None:
        self.secret = credentials.client_secret.get_secret_value()
        self.closed = False
        self.on_unauthorized = options.get("on_unauthorized")

    def use_credentials(self, client_id: str, client_secret: str) -> None:
        self.secret = client_secret

    def get_entry(self, entry_id: str) -> dict[str, Any]:
        return {"id": entry_id, "via": self.secret}

    def close(self) -> None:
        self.closed = True


def test_one_client_per_credentials_and_a_new_one_after_rotation() -> None:
    secrets = Secrets()
    provider = BenchlingClientProvider(ServerSettings(), secrets, factory=FakeClient)  # type: ignore[arg-type]
    first = provider()
    assert provider() is first
    secrets.value = BenchlingCredentials(tenant="acme-bio", client_id="c1", client_secret=SecretStr("s2"))
    second = provider()
    assert second is not first and second.secret == "s2"  # type: ignore[attr-defined]
    provider.close()
    assert first.closed and second.closed  # type: ignore[attr-defined]


def test_current_client_resolves_on_every_call() -> None:
    secrets = Secrets()
    current = CurrentClient(BenchlingClientProvider(ServerSettings(), secrets, factory=FakeClient))  # type: ignore[arg-type]
    method = current.get_entry
    assert secrets.reads == 0  # looking the method up does not fetch the secret
    assert method("etr_1") == {"id": "etr_1", "via": "s1"}
    secrets.value = BenchlingCredentials(tenant="acme-bio", client_id="c1", client_secret=SecretStr("s2"))
    assert current.get_entry("etr_1")["via"] == "s2"


def test_a_refused_client_takes_the_re_read_secret_and_stays_the_current_one() -> None:
    secrets = Secrets()
    provider = BenchlingClientProvider(ServerSettings(), secrets, factory=FakeClient)  # type: ignore[arg-type]
    client = provider()
    secrets.value = BenchlingCredentials(tenant="acme-bio", client_id="c1", client_secret=SecretStr("s2"))
    client.on_unauthorized(client)  # type: ignore[attr-defined]  # what BenchlingClient does on a 401
    assert client.secret == "s2"  # type: ignore[attr-defined]
    assert provider() is client  # the rotation is already taken: no second client
