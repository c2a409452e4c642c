from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from benchling_webhook.errors import SecretUnavailableError
from benchling_webhook.server.secrets import BenchlingSecretStore, parse_secret
from tests.helpers import FakeClock, until

VALUE = {"tenant": "acme-bio", "client_id": "client_abc", "client_secret": "cs_TopSecret",
         "app_definition_id": "appdef_T4nB7cWq1s"}


class FakeSecretsManager:
    def __init__(self, value: dict[str, Any] | str | None) -> None:
        self.value = value
        self.calls = 0

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self.calls += 1
        if self.value is None:
            error = Exception("not found")
            error.response = {"Error": {"Code": "ResourceNotFoundException"}}  # type: ignore[attr-defined]
            raise error
        return {"SecretString": self.value if isinstance(self.value, str) else json.dumps(self.value)}


def test_secret_parses_and_hides_the_client_secret() -> None:
    secret = parse_secret(json.dumps({**VALUE, "extra": "ignored"}))
    assert (secret.tenant, secret.client_id, secret.app_definition_id) == ("acme-bio", "client_abc",
                                                                          "appdef_T4nB7cWq1s")
    assert secret.client_secret.get_secret_value() == "cs_TopSecret"
    assert "cs_TopSecret" not in repr(secret) and "cs_TopSecret" not in str(secret)


@pytest.mark.parametrize("tenant", ["acme-bio", "acme-bio.benchling.com", "https://acme-bio.benchling.com/"])
def test_tenant_forms_are_normalised(tenant: str) -> None:
    assert parse_secret(json.dumps({**VALUE, "tenant": tenant})).tenant == "acme-bio"


def test_camel_case_keys_are_accepted() -> None:
    raw = {"tenant": "acme-bio", "clientId": "c", "clientSecret": "s", "appDefinitionId": "appdef_1"}
    assert parse_secret(json.dumps(raw)).app_definition_id == "appdef_1"


@pytest.mark.parametrize(("raw", "message"), [
    ("not json cs_TopSecret", "is not JSON"),
    ('["cs_TopSecret"]', "not a JSON object"),
    (json.dumps({"tenant": "acme-bio", "client_secret": "cs_TopSecret"}), "missing client_id"),
    (json.dumps({**VALUE, "client_id": 12345, "tenant": ""}), "invalid client_id, tenant"),
])
def test_errors_name_fields_never_values(raw: str, message: str) -> None:
    with pytest.raises(SecretUnavailableError) as info:
        parse_secret(raw, "bw/secret")
    assert message in info.value.reason
    assert "cs_TopSecret" not in info.value.reason and "12345" not in info.value.reason


def test_store_caches_for_the_ttl_then_refreshes_in_the_background() -> None:
    clock, client = FakeClock(), FakeSecretsManager(VALUE)
    store = BenchlingSecretStore("bw", client_factory=lambda: client, ttl=300, clock=clock)

    async def scenario() -> None:
        assert (await store.aget()).client_id == "client_abc"
        await store.aget()
        assert client.calls == 1
        client.value = {**VALUE, "client_id": "rotated"}
        clock.advance(301)
        assert (await store.aget()).client_id == "client_abc"  # stale answer at once ...
        await until(lambda: store.cached is not None and store.cached.client_id == "rotated",  # ... new one soon
                    "the background refresh")

    asyncio.run(scenario())


def test_missing_secret_is_rechecked_at_most_once_per_interval() -> None:
    clock, client = FakeClock(), FakeSecretsManager(None)
    store = BenchlingSecretStore("bw", client_factory=lambda: client, recheck_interval=5, clock=clock)
    for _ in range(3):
        with pytest.raises(SecretUnavailableError, match=r"cannot read secret bw \(ResourceNotFoundException\)"):
            store.get()
    assert client.calls == 1
    client.value = VALUE
    clock.advance(6)
    assert store.get().tenant == "acme-bio"


def test_failed_refresh_keeps_the_old_value() -> None:
    clock, client = FakeClock(), FakeSecretsManager(VALUE)
    store = BenchlingSecretStore("bw", client_factory=lambda: client, ttl=10, clock=clock)
    store.get()
    client.value = "{broken"
    clock.advance(11)
    assert store.get().client_id == "client_abc"


def test_unset_secret_name_says_what_to_set() -> None:
    with pytest.raises(SecretUnavailableError, match="BenchlingSecret is not set"):
        BenchlingSecretStore(None).get()
