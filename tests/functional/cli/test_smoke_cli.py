"""``test`` against the real webhook server (create_app under uvicorn on loopback, inbox and secret in moto)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from benchling_webhook.constants import StackOutputs
from benchling_webhook.sandbox.benchling import SandboxServer, ThreadedUvicorn
from benchling_webhook.sandbox.moto_server import MotoServer
from tests.functional.ops.support import create_deployed_stack
from tests.helpers import free_port, minimal_profile, write_profile

SECRET = "benchling-webhook/smoke"


@pytest.fixture
def start_server(aws: MotoServer, sandbox: SandboxServer) -> Iterator[Callable[..., str]]:
    from benchling_webhook.server.app import create_app
    from benchling_webhook.server.settings import ServerSettings

    queue = aws.client("sqs").create_queue(QueueName="inbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    running: list[ThreadedUvicorn] = []

    def start(with_secret: bool = True, **env: Any) -> str:
        if with_secret:
            aws.client("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps({
                "tenant": sandbox.state.tenant, "client_id": "client_abc", "client_secret": "cs",
                "app_definition_id": sandbox.state.app_definition_id}))
        settings = ServerSettings(**{"INBOX_QUEUE_URL": queue, "BenchlingSecret": SECRET,
                                     "BENCHLING_JWKS_URL": sandbox.jwks_url_template, "AWS_REGION": "us-east-1",
                                     "AWS_ENDPOINT_URL": aws.endpoint_url, **env})
        server = ThreadedUvicorn(create_app(settings), lifespan="on", name="smoke-target").start()
        running.append(server)
        return server.url

    yield start
    for server in running:
        server.stop()


def test_healthy_server_passes_every_check(cli, start_server) -> None:  # type: ignore[no-untyped-def]
    url = start_server()
    result = cli("test", "--url", url + "/")
    assert result.exit_code == 0, result.output
    for name in ("health", "ready", "live", "unsigned webhook refused", "route /lifecycle", "route /event",
                 "route /canvas"):
        assert name in result.stdout
    assert "FAIL" not in result.stdout
    assert "✓ all 7 checks passed" in result.stderr
    assert "latency: min " in result.stderr
    result = cli("test", "--url", url, "--json")
    report = json.loads(result.stdout)
    assert report["passed"] is True and report["url"] == url
    assert {c["path"]: c["status"] for c in report["checks"]} == {
        "/health": 200, "/health/ready": 200, "/health/live": 200, "/": 401, "/lifecycle": 401, "/event": 401,
        "/canvas": 401}
    assert all(c["latency_ms"] > 0 for c in report["checks"])


def test_degraded_server_fails_with_its_reason(cli, start_server) -> None:  # type: ignore[no-untyped-def]
    url = start_server(with_secret=False)
    result = cli("test", "--url", url, "--json")
    assert result.exit_code == 1, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["health"]["passed"] is False and checks["health"]["detail"].startswith("degraded (version ")
    assert checks["ready"]["status"] == 503
    assert checks["live"]["passed"] is True
    assert "error: " in result.stderr and "checks failed for " + url + ": health, ready" in result.stderr


def test_verification_off_in_the_deployed_service_fails_the_test(cli, start_server, aws, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    # An unsigned test request can be refused for another reason (its app id), so the deployed task
    # definition's setting is read from ECS (moto) as well.
    url = start_server(ENABLE_WEBHOOK_VERIFICATION="false")
    write_profile(isolation, "dev", minimal_profile())
    ecs = aws.client("ecs")
    ecs.create_cluster(clusterName="bw-cluster")
    ecs.register_task_definition(family="bw", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="1024",
                                 memory="2048", containerDefinitions=[{
                                     "name": "webhook", "image": "x", "memory": 2048,
                                     "environment": [{"name": "ENABLE_WEBHOOK_VERIFICATION", "value": "false"}]}])
    ecs.create_service(cluster="bw-cluster", serviceName="bw-service", taskDefinition="bw", desiredCount=1,
                       launchType="FARGATE")
    create_deployed_stack(aws.client("cloudformation"), **{StackOutputs.WEBHOOK_URL: url,
                                                           StackOutputs.CLUSTER_NAME: "bw-cluster",
                                                           StackOutputs.SERVICE_NAME: "bw-service"})
    result = cli("test", "--profile", "dev", "--json")
    assert result.exit_code == 1, result.output
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["signature verification"]["passed"] is False
    assert checks["signature verification"]["detail"].startswith("OFF: the service accepts unsigned webhooks")
    assert "signature verification" in result.stderr


def test_profile_endpoint_comes_from_the_stack_outputs(cli, start_server, aws, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    url = start_server()
    write_profile(isolation, "dev", minimal_profile())
    create_deployed_stack(aws.client("cloudformation"), **{StackOutputs.WEBHOOK_URL: url + "/"})
    result = cli("test", "--profile", "dev")
    assert result.exit_code == 0, result.output
    assert f"Smoke test of {url}" in result.stdout


def test_unreachable_and_bad_urls(cli, aws) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("test", "--url", url, "--timeout", "2")
    assert result.exit_code == 1
    assert "no answer: ConnectError" in result.stdout
    result = cli("test", "--url", "ftp://example.com")
    assert result.exit_code == 2
    assert "error: 'ftp://example.com' is not an http(s) URL" in result.stderr
