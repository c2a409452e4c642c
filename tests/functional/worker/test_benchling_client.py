from __future__ import annotations

import io
import zipfile

import pytest
from pydantic import SecretStr

from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.errors import BenchlingApiError, BenchlingAuthError
from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SandboxFile, api_calls
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.server.benchling.client import (
    BenchlingClient,
    BenchlingClientProvider,
    create_benchling_client,
)
from benchling_webhook.server.settings import ServerSettings
from tests.helpers import FakeClock, load_api_fixture

ENTRY = "etr_Ab12Cd34"


def test_get_entry_returns_the_record_and_reuses_the_token(sandbox: SandboxServer, benchling: BenchlingClient) -> None:
    entry = benchling.get_entry(ENTRY)
    benchling.get_entry(ENTRY)
    assert entry == load_api_fixture("get-entry.json")["entry"]
    assert api_calls(sandbox.state.requests) == [("POST", "/api/v2/token")] + [("GET", f"/api/v2/entries/{ENTRY}")] * 2


def test_rate_limited_calls_wait_for_the_reset_and_succeed(sandbox: SandboxServer, benchling: BenchlingClient,
                                                           clock: FakeClock) -> None:
    sandbox.state.api.inject_rate_limit(2, reset_seconds=3)
    assert benchling.get_entry(ENTRY)["displayId"] == "EXP26000042"
    assert len(clock.waits) == 2
    assert all(3.0 <= wait <= 3.6 for wait in clock.waits)


def test_persistent_rate_limit_surfaces_as_retryable_error(sandbox: SandboxServer, benchling: BenchlingClient) -> None:
    benchling.get_entry(ENTRY)  # token first
    sandbox.state.api.inject_rate_limit(100, reset_seconds=1)
    with pytest.raises(BenchlingApiError) as caught:
        benchling.get_entry(ENTRY)
    assert (caught.value.status, caught.value.retryable) == (429, True)
    assert sandbox.state.api.rate_limited == 95  # five attempts, then up to the inbox


def test_a_rate_limit_window_too_far_away_goes_up_with_its_reset(sandbox: SandboxServer,
                                                                  benchling: BenchlingClient) -> None:
    benchling.get_entry(ENTRY)  # token first
    sandbox.state.api.inject_rate_limit(1, reset_seconds=45)  # past the client's own 30 s of waiting
    with pytest.raises(BenchlingApiError) as caught:
        benchling.get_entry(ENTRY)
    assert (caught.value.status, caught.value.retryable) == (429, True)
    assert caught.value.retry_after == 45  # the inbox holds the event back that long


def test_a_rotated_client_secret_is_read_again_on_the_401_and_the_call_succeeds(sandbox: SandboxServer) -> None:
    secrets = RotatingSecret()
    provider = BenchlingClientProvider(ServerSettings(BENCHLING_BASE_URL=sandbox.url), secrets)  # type: ignore[call-arg]
    client = provider()
    client.get_entry(ENTRY)
    secrets.current = sandbox.state.api.rotate_client_secret()  # the old secret and its token stop working
    assert client.get_entry(ENTRY)["id"] == ENTRY
    assert secrets.reloads == 1 and provider() is client
    assert api_calls(sandbox.state.requests)[-3:] == [
        ("GET", f"/api/v2/entries/{ENTRY}"), ("POST", "/api/v2/token"), ("GET", f"/api/v2/entries/{ENTRY}")]
    provider.close()


class RotatingSecret:
    """The app's secret as Secrets Manager holds it: the admin has put the new client secret there."""

    def __init__(self) -> None:
        self.current = SANDBOX_CLIENT_SECRET
        self.reloads = 0
        self._cached = SANDBOX_CLIENT_SECRET

    def get(self) -> BenchlingCredentials:
        return BenchlingCredentials(tenant="acme-bio", client_id=SANDBOX_CLIENT_ID,
                                    client_secret=SecretStr(self._cached))

    def reload(self) -> BenchlingCredentials:
        self.reloads += 1
        self._cached = self.current
        return self.get()


def test_missing_entry_is_a_non_retryable_404(benchling: BenchlingClient) -> None:
    with pytest.raises(BenchlingApiError) as caught:
        benchling.get_entry("etr_missing")
    assert (caught.value.status, caught.value.retryable) == (404, False)
    assert "etr_missing" in str(caught.value)


def test_wrong_client_secret_is_an_auth_error(sandbox: SandboxServer) -> None:
    with BenchlingClient(sandbox.url, "sandbox-client", "wrong") as client, pytest.raises(BenchlingAuthError):
        client.get_entry(ENTRY)


def test_export_task_and_zip_download(sandbox: SandboxServer, benchling: BenchlingClient) -> None:
    task_id = benchling.start_export(ENTRY)
    task = benchling.get_task(task_id)
    assert task["status"] == "SUCCEEDED"
    sink = io.BytesIO()
    benchling.download_to(task["response"]["downloadURL"], sink)
    with zipfile.ZipFile(sink) as archive:
        assert archive.namelist() == ["EXP26000042.pdf"]
        assert archive.read("EXP26000042.pdf").startswith(b"%PDF-1.4")
    assert sandbox.state.api.export_count(ENTRY) == 1


def test_export_delay_and_failure_modes(sandbox: SandboxServer, benchling: BenchlingClient) -> None:
    sandbox.state.api.export_delay_seconds = 60
    assert benchling.get_task(benchling.start_export(ENTRY))["status"] == "RUNNING"
    sandbox.state.api.export_delay_seconds = 0
    sandbox.state.api.fail_next_exports(1)
    failed = benchling.get_task(benchling.start_export(ENTRY))
    assert failed["status"] == "FAILED" and "being edited" in failed["message"]


def test_attachment_metadata_and_streamed_download(sandbox: SandboxServer, benchling: BenchlingClient) -> None:
    file_id = sandbox.state.api.add_attachment(ENTRY, SandboxFile("big.bin", size=3 * 1024 * 1024 + 7))
    meta = benchling.get_external_file(ENTRY, file_id)
    assert meta["size"] == 3 * 1024 * 1024 + 7
    sink = io.BytesIO()
    assert benchling.download_to(meta["downloadURL"], sink) == meta["size"]  # no bearer token sent along
    assert sink.getvalue()[:64] == sink.getvalue()[1024 * 1024:1024 * 1024 + 64]  # generated pattern


def test_factory_uses_the_base_url_override_and_the_sdk_is_exposed(sandbox: SandboxServer) -> None:
    class Secret:
        tenant, client_id, client_secret = "acme-bio", "sandbox-client", "sandbox-secret"

    settings = ServerSettings(BENCHLING_BASE_URL=sandbox.url)
    with create_benchling_client(settings, Secret()) as client:
        assert client.base_url == sandbox.url
        response = client.sdk.api.get_response(f"/api/v2/entries/{ENTRY}")
        assert response.parsed["entry"]["id"] == ENTRY
