from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.functional.server.conftest import CLIENT_SECRET, SECRET_NAME, Stack
from tests.helpers import FIXTURES, free_port, wait_for


@pytest.fixture
def serve_web(stack: Stack) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``benchling-webhook serve --role web`` as a real process, configured only by the environment."""
    port = free_port()
    env = {**os.environ, "INBOX_QUEUE_URL": stack.queue_url, "INBOX_DLQ_URL": stack.dlq_url,
           "BenchlingSecret": SECRET_NAME, "BENCHLING_JWKS_URL": stack.sandbox.jwks_url_template,
           "AWS_ENDPOINT_URL": stack.moto.endpoint_url, "LOG_LEVEL": "INFO"}
    proc = subprocess.Popen([sys.executable, "-m", "benchling_webhook", "serve", "--role", "web", "--host",
                             "127.0.0.1", "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            return httpx.get(url + "/health/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(ready, "the server to become ready")
    yield proc, url
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_serve_web_acknowledges_logs_json_lines_and_stops_on_sigterm(
        stack: Stack, serve_web: tuple[subprocess.Popen[str], str]) -> None:
    proc, url = serve_web
    body, headers = stack.sandbox.state.signed((FIXTURES / "benchling/webhooks/entry-updated-fields.json").read_bytes())

    assert httpx.post(url + "/prod/event", content=body, headers=headers).status_code == 202
    assert httpx.post(url + "/event", content=body[:-3], headers=headers).status_code == 401
    assert len(stack.inbox()) == 1

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after shutting down
    assert proc.stderr is not None
    lines = [json.loads(line) for line in proc.stderr.read().splitlines()]  # every line is JSON
    assert any(line["msg"] == "Application shutdown complete." for line in lines)
    queued = [line for line in lines if line["msg"] == "webhook queued"]
    assert len(queued) == 1 and queued[0]["webhook_id"] == headers["webhook-id"]
    assert queued[0]["event_type"] == "v2.entry.updated.fields" and queued[0]["entry_id"] == "etr_Ab12Cd34"
    (rejected,) = [line for line in lines if line["msg"] == "webhooks rejected"]  # one summary, at shutdown
    assert rejected["rejected"] == 1 and rejected["by_status"] == {"401": 1}
    assert all(CLIENT_SECRET not in json.dumps(line) for line in lines)


def test_serve_worker_without_inbox_fails_with_one_sentence(stack: Stack) -> None:
    env = {k: v for k, v in os.environ.items() if k != "INBOX_QUEUE_URL"}
    result = subprocess.run([sys.executable, "-m", "benchling_webhook", "serve", "--role", "worker"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert "INBOX_QUEUE_URL is not set" in result.stderr and "Traceback" not in result.stderr
