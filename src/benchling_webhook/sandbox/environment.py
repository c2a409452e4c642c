"""A whole local environment: the AWS emulator seeded like the stack, the Benchling sandbox, the server.

``LocalEnvironment`` is what ``benchling-webhook demo``, ``serve --local`` and the end-to-end tests run
on. It starts moto (server mode, loopback) with the package bucket, the FIFO inbox + dead-letter queue,
the FIFO backfill queue, the workers' state table and the app secret the stack would create, and the
Benchling sandbox with entry EXP26000042. The webhook server runs as a real ``benchling-webhook serve
--role all`` child process configured only through the container's environment (docs/container.md), so
the demo exercises exactly what the container runs. With ``packager_mode=True`` it runs in Quilt Platform
mode: the emulator also has the Quilt packager queue, an EventBridge rule like the stack's and the
revision-events queue it feeds, and ``SandboxPackager`` plays the Quilt stack's packager
(``sandbox/packager.py``).
Every process and thread it starts is stopped by ``close()`` (also on Ctrl-C and on errors).
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from benchling_webhook.aws.state_table import create_state_table
from benchling_webhook.constants import (
    CONSUMER_STARTED,
    DEFAULT_METADATA_KEY,
    DEFAULT_PACKAGE_PREFIX,
    EnvVars,
    ServerRole,
    package_revision_pattern,
)
from benchling_webhook.errors import BenchlingWebhookError
from benchling_webhook.sandbox.benchling import SandboxServer, SandboxState
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.sandbox.net import free_port
from benchling_webhook.sandbox.packager import SandboxPackager

DEMO_BUCKET = "quilt-demo-packages"
DEMO_PREFIX = DEFAULT_PACKAGE_PREFIX
DEMO_SECRET_NAME = "benchling-webhook/demo"
DEMO_REGION = "us-east-1"
DEMO_STATE_TABLE = "benchling-webhook-state"


@dataclass
class AwsResources:
    """What the stack would have created, here on the emulator."""

    endpoint_url: str
    bucket: str
    inbox_url: str
    dlq_url: str
    secret_arn: str
    backfill_url: str | None = None
    state_table: str | None = None  # the workers' DynamoDB table (leases, de-duplication, canvas claims)
    packager_url: str | None = None  # Quilt Platform mode: the Quilt stack's packager queue …
    revision_events_url: str | None = None  # … and the queue its package-revision events reach


@dataclass
class ServerProcess:
    """A ``benchling-webhook serve`` child process."""

    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@dataclass
class LocalEnvironment:
    """Emulator + sandbox (+ optionally the server process); use as a context manager."""

    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    # What the server process starts from (the caller's environment, e.g. ``os.environ``), less the AWS_*
    # and BENCHLING* variables, which would point it away from the emulator and the sandbox.
    inherited_env: Mapping[str, str] = field(default_factory=dict)
    packager_mode: bool = False
    moto: MotoServer | None = None
    sandbox: SandboxServer | None = None
    aws: AwsResources | None = None
    server: ServerProcess | None = None
    packager: SandboxPackager | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, *, with_server: bool = True, port: int | None = None, host: str = "127.0.0.1") -> None:
        try:
            self.moto = MotoServer(region=DEMO_REGION).start()
            self.sandbox = SandboxServer(SandboxState()).start()
            self.aws = seed_aws(self.moto, self.sandbox.state, packager=self.packager_mode)
            if self.aws.packager_url:
                self.packager = SandboxPackager(self.moto, self.aws.packager_url).start()
            if with_server:
                self.server = self.start_server(port=port, host=host)
                self.sandbox.state.webhook_target = self.server.url
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.packager is not None:
            self.packager.stop()
            self.packager = None
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self.moto is not None:
            self.moto.stop()
            self.moto = None

    def __enter__(self) -> LocalEnvironment:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the server -----------------------------------------------------------------------------
    def server_env(self, port: int) -> dict[str, str]:
        """The container's environment (docs/container.md) pointing at the emulator and the sandbox."""
        assert self.aws is not None and self.sandbox is not None
        env = {
            EnvVars.PORT: str(port),
            EnvVars.AWS_REGION: DEMO_REGION,
            EnvVars.AWS_ENDPOINT_URL: self.aws.endpoint_url,
            # The emulator accepts any credentials; these are not secrets.
            EnvVars.AWS_ACCESS_KEY_ID: "local-emulator",
            EnvVars.AWS_SECRET_ACCESS_KEY: "local-emulator",
            EnvVars.BENCHLING_SECRET: self.aws.secret_arn,
            EnvVars.INBOX_QUEUE_URL: self.aws.inbox_url,
            EnvVars.INBOX_DLQ_URL: self.aws.dlq_url,
            **({EnvVars.BACKFILL_QUEUE_URL: self.aws.backfill_url} if self.aws.backfill_url else {}),
            **({EnvVars.STATE_TABLE: self.aws.state_table} if self.aws.state_table else {}),
            EnvVars.PACKAGE_BUCKET: self.aws.bucket,
            EnvVars.PACKAGE_PREFIX: DEMO_PREFIX,
            EnvVars.METADATA_KEY: DEFAULT_METADATA_KEY,
            EnvVars.QUILT_WEB_HOST: "catalog.example.com",
            EnvVars.BENCHLING_BASE_URL: self.sandbox.url,
            EnvVars.BENCHLING_JWKS_URL: self.sandbox.jwks_url_template,
            EnvVars.COALESCE_QUIET_SECONDS: "1.0",
            EnvVars.LOG_LEVEL: "INFO",
            # No edge here: the allow list sees the TCP peer (CLIENT_IP_HEADER unset), and the API docs are on.
            EnvVars.API_DOCS: "true",
        }
        if self.aws.packager_url and self.aws.revision_events_url:
            env[EnvVars.PACKAGER_SQS_URL] = self.aws.packager_url
            env[EnvVars.REVISION_EVENTS_QUEUE_URL] = self.aws.revision_events_url
        env.update(self.extra_env)
        return env

    def start_server(self, *, port: int | None = None, host: str = "127.0.0.1", timeout: float = 60.0,
                     role: ServerRole = "all", name: str = "server",
                     env: Mapping[str, str] | None = None) -> ServerProcess:
        """A ``serve --role <role>`` child logging to ``<log_dir>/<name>.log``, ready when it returns (a
        worker once its consumer started: it serves no HTTP); ``env`` overrides the container environment."""
        port = port or free_port()
        child_env = {k: v for k, v in self.inherited_env.items() if not k.startswith(("AWS_", "BENCHLING"))}
        child_env.update(self.server_env(port))
        child_env.update(env or {})
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{name}.log"
        log: IO[bytes] = open(log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "benchling_webhook", "serve", "--role", role,
                 "--host", host, "--port", str(port)],
                env=child_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        finally:
            log.close()
        server = ServerProcess(process, f"http://{host}:{port}", log_path)
        try:
            wait_ready(server, timeout, http=role != "worker")
        except BaseException:
            server.stop()
            raise
        return server


def wait_ready(server: ServerProcess, timeout: float, *, http: bool = True) -> None:
    """Poll ``/health/ready`` until 200 (without ``http``: the log until the consumer started), the process
    exits, or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log_path.read_text(errors="replace")[-2000:]
            raise BenchlingWebhookError(f"the webhook server exited with code {server.process.returncode}",
                                        hint=f"its log ({server.log_path}) ends with:\n{tail}")
        if not http:
            if CONSUMER_STARTED in server.log_path.read_text(errors="replace"):
                return
        else:
            with contextlib.suppress(urllib.error.URLError, OSError), \
                    urllib.request.urlopen(server.url + "/health/ready", timeout=2) as resp:
                if resp.status == 200:
                    return
        time.sleep(0.1)
    raise BenchlingWebhookError("the webhook server did not become ready in time",
                                hint=f"see its log: {server.log_path}")


def seed_aws(moto: MotoServer, sandbox: SandboxState, *, packager: bool = False) -> AwsResources:
    """Create the bucket, the FIFO inbox + DLQ, the FIFO backfill queue, the state table and the app secret on
    the emulator (and, with ``packager``, the Quilt packager queue and the package-revision rule and queue)."""
    s3 = moto.client("s3")
    s3.create_bucket(Bucket=DEMO_BUCKET)
    sqs = moto.client("sqs")
    dlq_url = sqs.create_queue(QueueName="benchling-webhook-inbox-dlq.fifo",
                               Attributes={"FifoQueue": "true"})["QueueUrl"]
    inbox_url = sqs.create_queue(
        QueueName="benchling-webhook-inbox.fifo",
        Attributes={"FifoQueue": "true", "VisibilityTimeout": "60",
                    "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"},
    )["QueueUrl"]
    backfill_url = sqs.create_queue(QueueName="benchling-webhook-backfill.fifo",
                                    Attributes={"FifoQueue": "true", "VisibilityTimeout": "60"})["QueueUrl"]
    secret = {
        "tenant": sandbox.tenant,
        "client_id": sandbox.api.client_id,
        "client_secret": sandbox.api.client_secret,
        "app_definition_id": sandbox.app_definition_id,
    }
    arn = moto.client("secretsmanager").create_secret(
        Name=DEMO_SECRET_NAME, SecretString=json.dumps(secret))["ARN"]
    state_table = create_state_table(moto.client("dynamodb"), DEMO_STATE_TABLE)
    resources = AwsResources(moto.endpoint_url, DEMO_BUCKET, inbox_url, dlq_url, arn, backfill_url, state_table)
    if packager:
        resources.packager_url, resources.revision_events_url = seed_revision_events(moto, DEMO_BUCKET, DEMO_PREFIX)
    return resources


def seed_revision_events(moto: MotoServer, bucket: str, prefix: str) -> tuple[str, str]:
    """The Quilt packager queue, and the stack's package-revision rule → queue; returns both queue URLs."""
    sqs = moto.client("sqs")
    packager_url = sqs.create_queue(QueueName="quilt-packager")["QueueUrl"]
    dead_url = sqs.create_queue(QueueName="benchling-webhook-revision-events-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events_url = sqs.create_queue(QueueName="benchling-webhook-revision-events", Attributes={
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 5})})["QueueUrl"]
    events_arn = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rules = moto.client("events")
    rules.put_rule(Name="benchling-webhook-package-revisions",
                   EventPattern=json.dumps(package_revision_pattern(bucket, prefix)))
    rules.put_targets(Rule="benchling-webhook-package-revisions", Targets=[{"Id": "worker", "Arn": events_arn}])
    return packager_url, events_url


def describe(env: LocalEnvironment) -> dict[str, Any]:
    """URLs a person can use to explore a running environment."""
    assert env.moto is not None and env.sandbox is not None
    info: dict[str, Any] = {"aws_emulator": env.moto.endpoint_url, "benchling_sandbox": env.sandbox.url}
    if env.server is not None:
        info.update(webhook_url=env.server.url + "/event", openapi_docs=env.server.url + "/docs",
                    health=env.server.url + "/health", server_log=str(env.server.log_path),
                    send_signed_webhook=f"curl -X POST {env.sandbox.url}/sandbox/send -H 'content-type: "
                    "application/json' -d '{\"type\": \"v2.entry.updated.fields\", \"resourceId\": "
                    "\"etr_Ab12Cd34\"}'",
                    configure_app=f"curl -X POST {env.sandbox.url}/sandbox/configure -H 'content-type: "
                    "application/json' -d '{\"values\": {\"Canvas note\": \"Ask the data team\"}}'")
    return info
