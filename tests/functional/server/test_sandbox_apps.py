"""The sandbox's App Configuration and App Status routes refuse what Benchling refuses and announce changes."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from benchling_webhook.sandbox.benchling import SandboxServer
from tests.functional.server.conftest import RunningServer, Stack

APP = "app_Zf3kQ8wLm2Xv"


def _client(sandbox: SandboxServer) -> httpx.Client:
    token = httpx.post(f"{sandbox.url}/api/v2/token", data={"grant_type": "client_credentials"},
                       auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)).json()["access_token"]
    return httpx.Client(base_url=f"{sandbox.url}/api/v2", headers={"authorization": f"Bearer {token}"})


def test_sessions_take_what_benchling_takes_and_stay_closed(sandbox: SandboxServer) -> None:
    with _client(sandbox) as api:
        ok = {"appId": APP, "name": "Quilt package", "timeoutSeconds": 60,
              "messages": [{"content": "Packaging…", "style": "INFO"}]}
        refused = [{**ok, "name": "Qp"}, {**ok, "timeoutSeconds": 0}, {**ok, "messages": [{"content": "x" * 201}]},
                   {**ok, "messages": [{"content": "Done", "style": "LOUD"}]}, {**ok, "status": "FAILED"}]
        assert [api.post("/app-sessions", json=body).status_code for body in refused] == [400] * 5

        session = api.post("/app-sessions", json=ok).json()
        assert (session["status"], session["messages"]) == ("RUNNING", ok["messages"])
        closed = api.patch(f"/app-sessions/{session['id']}", json={
            "status": "FAILED", "messages": [{"content": "Could not update the package.", "style": "ERROR"}]})
        assert closed.json()["status"] == "FAILED" and len(closed.json()["messages"]) == 2
        again = api.patch(f"/app-sessions/{session['id']}", json={"messages": [{"content": "more"}]})
        assert again.status_code == 400 and "cannot change" in again.json()["error"]["message"]
        assert api.get(f"/app-sessions/{session['id']}").json()["status"] == "FAILED"
        assert api.patch("/app-sessions/sesn_nope", json={}).status_code == 404


def test_configure_changes_the_items_and_sends_configuration_updated(
        stack: Stack, start_server: Callable[..., RunningServer]) -> None:
    sandbox = stack.sandbox
    sandbox.state.webhook_target = start_server(BENCHLING_BASE_URL=sandbox.url).url  # its webhooks' baseURL
    answer = httpx.post(f"{sandbox.url}/sandbox/configure",
                        json={"values": {"Entry schemas to skip": ["ts_Lb8PzQ3v"]}}, timeout=10).json()

    assert answer["server_status"] == 202
    (queued,) = stack.inbox()
    assert queued.envelope.message.type == "v2-beta.app.configuration.updated"
    assert (queued.envelope.channel, queued.envelope.app.id) == ("app_signals", APP)
    with _client(sandbox) as api:
        items = api.get("/app-configuration-items", params={"appId": APP}).json()["appConfigurationItems"]
    assert [(i["path"], i["value"]) for i in items] == [
        (["Entry schemas to skip", "Entry schema 1"], "Entry schema 1"),
        (["Entry schemas to skip", "Entry schema 1", "Entry schema"], "ts_Lb8PzQ3v")]
    assert items[1]["linkedResource"] == {"id": "ts_Lb8PzQ3v", "name": "Experiment"}
    bad = httpx.post(f"{sandbox.url}/sandbox/configure", json={"values": {"Projects": "src_1"}}, timeout=10)
    assert bad.status_code == 400
