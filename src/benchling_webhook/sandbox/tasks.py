"""Several tasks on one local environment: a web task and worker tasks sharing one inbox and state table.

The stack runs 2 to 10 tasks; ``LocalTasks`` runs the same processes here — ``serve --role web`` and N
``serve --role worker`` children of one ``LocalEnvironment`` (moto with the inbox and the state table, the
Benchling sandbox) — so the end-to-end tests and ``bench/many_tasks.py`` exercise exactly what the
tasks do together: leases, deferrals, dedupe, retries through outages. Time is compressed through the
container's settings (``COMPRESSED_TIME``), not faked: the processes run on the real clock.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from benchling_webhook.constants import EnvVars
from benchling_webhook.sandbox.environment import LocalEnvironment, ServerProcess
from benchling_webhook.server.worker.state import StateTable, lease_key

# An hour of give-up, a minute of lease and visibility, minutes of backoff — scaled to seconds.
COMPRESSED_TIME: dict[str, str] = {
    EnvVars.LEASE_SECONDS: "3",
    EnvVars.INBOX_VISIBILITY_SECONDS: "6",
    EnvVars.RETRY_BASE_SECONDS: "0.5",
    EnvVars.RETRY_MAX_SECONDS: "2",
    EnvVars.INBOX_MAX_AGE_SECONDS: "120",
}


@dataclass
class LocalTasks:
    """A web task plus ``workers`` worker tasks on ``env`` (started; use as a context manager)."""

    env: LocalEnvironment
    workers: int = 2
    settings: Mapping[str, str] = field(default_factory=lambda: dict(COMPRESSED_TIME))
    running: list[ServerProcess] = field(default_factory=list)

    def start(self) -> LocalTasks:
        env = self.env
        if env.moto is None:
            env.start(with_server=False)
        try:
            env.server = env.start_server(role="web", name="web", env=self.settings)
            assert env.sandbox is not None
            env.sandbox.state.webhook_target = env.server.url
            for index in range(self.workers):
                self.add_worker(index)
        except BaseException:
            self.close()
            raise
        return self

    def add_worker(self, index: int | None = None) -> ServerProcess:
        number = len(self.running) if index is None else index
        worker = self.env.start_server(role="worker", name=f"worker-{number}", env=self.settings)
        self.running.append(worker)
        return worker

    def close(self) -> None:
        for worker in self.running:
            worker.stop()
        self.running = []
        self.env.close()

    def __enter__(self) -> LocalTasks:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- looking inside --------------------------------------------------------------------------
    def lease_holder(self, entry_id: str) -> ServerProcess | None:
        """The worker process holding the entry's lease now (owners are ``host:pid:random``)."""
        assert self.env.moto is not None and self.env.aws is not None and self.env.aws.state_table
        holder = StateTable(self.env.moto.client("dynamodb"), self.env.aws.state_table).holder(lease_key(entry_id))
        if holder is None:
            return None
        pid = int(holder.owner.split(":")[1])
        return next((w for w in self.running if w.process.pid == pid), None)

    def kill(self, worker: ServerProcess) -> None:
        """SIGKILL: no shutdown, no release; its lease and in-flight messages must lapse on their own."""
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
        self.running.remove(worker)

    def log_lines(self, text: str) -> int:
        """How many lines of the workers' logs contain ``text``."""
        return sum(log.count(text) for log in self.logs())

    def logs(self) -> list[str]:
        return [w.log_path.read_text(errors="replace") for w in self.running if w.log_path.exists()]


def missing_objects(s3: Any, bucket: str, name: str) -> list[str]:
    """Logical keys of the package's latest revision whose object version is gone from S3."""
    top_hash = s3.get_object(Bucket=bucket, Key=f".quilt/named_packages/{name}/latest")["Body"].read().decode()
    lines = s3.get_object(Bucket=bucket, Key=f".quilt/packages/{top_hash.strip()}")["Body"].read().splitlines()
    missing = []
    for line in lines[1:]:
        entry = json.loads(line)
        url = urlsplit(entry["physical_keys"][0])
        version = dict(p.split("=", 1) for p in url.query.split("&") if "=" in p).get("versionId")
        try:
            s3.head_object(Bucket=url.netloc, Key=unquote(url.path.lstrip("/")),
                           **({"VersionId": version} if version else {}))
        except Exception:
            missing.append(entry["logical_key"])
    return missing
