#!/usr/bin/env python3
"""Large objects through the worker: peak RSS and throughput for a big export ZIP and a big attachment.

Usage: python bench/large_objects.py [--size-mib 1024]

The Benchling sandbox and the moto server run as *child processes* (their memory is not the worker's);
this process is the worker: it packages one entry whose export ZIP carries a generated member of
``--size-mib`` MiB and which has an attachment of the same size — both generated on the fly by the
sandbox, nothing is written to the repository. Reports the worker's peak RSS (VmHWM) before and after,
sampled RSS, elapsed time and MB/s over the bytes moved to S3. Goal: peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchling_webhook.sandbox.net import free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ENTRY, DISPLAY, BUCKET = "etr_Ab12Cd34", "EXP26000042", "bench-large"
MIB = 1024 * 1024


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def run_sandbox(port: int, size: int) -> None:
    """Child role: the sandbox with a big export member and a big attachment."""
    from benchling_webhook.sandbox.api import SandboxFile
    from benchling_webhook.sandbox.benchling import SandboxServer, SandboxState

    state = SandboxState()
    state.api.export_extra_bytes = size
    state.api.add_attachment(ENTRY, SandboxFile("large-attachment.bin", size=size), "exfl_large")
    with SandboxServer(state, port=port):
        threading.Event().wait()


def run_worker(sandbox_url: str, moto_url: str) -> dict[str, object]:
    import boto3

    from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
    from benchling_webhook.server.events import InboxMessage
    from benchling_webhook.server.settings import ServerSettings
    from benchling_webhook.server.tuning import bound_heap_growth
    from benchling_webhook.server.worker.processor import create_processor

    def aws(service: str) -> object:
        return boto3.client(service, endpoint_url=moto_url, region_name="us-east-1")

    aws("s3").create_bucket(Bucket=BUCKET)  # type: ignore[attr-defined]
    aws("secretsmanager").create_secret(Name="bench", SecretString=json.dumps(  # type: ignore[attr-defined]
        {"tenant": "acme-bio", "client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}))
    settings = ServerSettings(PACKAGE_BUCKET=BUCKET, AWS_ENDPOINT_URL=moto_url, AWS_REGION="us-east-1",
                              BENCHLING_BASE_URL=sandbox_url, BenchlingSecret="bench",
                              COALESCE_QUIET_SECONDS=0, COALESCE_MAX_SECONDS=0)
    message = InboxMessage.model_validate({"webhookId": "msg_bench", "receivedAt": "2026-01-01T00:00:00Z",
                                           "envelope": {"baseURL": sandbox_url, "app": {"id": "app_Zf3kQ8wLm2Xv"},
                                                        "appDefinition": {"id": "appdef_T4nB7cWq1s"},
                                                        "message": {"type": "v2.entry.updated.fields",
                                                                    "resourceId": ENTRY}}})
    bound_heap_growth()  # as `serve` does for a worker (server/tuning.py)
    processor = create_processor(settings, canvas_hooks=None)
    samples: list[int] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            samples.append(_status("VmRSS"))

    baseline = _status("VmRSS")
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    async def package() -> None:
        try:
            await processor.handle(message)
        finally:
            await processor.aclose()

    start = time.monotonic()
    asyncio.run(package())
    elapsed = time.monotonic() - start
    stop.set()
    sampler.join()
    listed = aws("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"benchling/{DISPLAY}/")  # type: ignore[attr-defined]
    moved = sum(int(o["Size"]) for o in listed.get("Contents", []))
    return {"bytes_to_s3": moved, "elapsed_s": round(elapsed, 1), "mb_per_s": round(moved / MIB / elapsed, 1),
            "rss_before_transfer_mb": round(baseline / MIB, 1),
            "rss_sampled_max_mb": round(max(samples or [0]) / MIB, 1),
            "peak_rss_vmhwm_mb": round(_status("VmHWM") / MIB, 1),
            "objects": sorted(o["Key"].rsplit("/", 2)[-2] + "/" + o["Key"].rsplit("/", 1)[-1]
                              for o in listed.get("Contents", []))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the export member and the attachment")
    parser.add_argument("--role", choices=["bench", "sandbox"], default="bench", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role == "sandbox":
        run_sandbox(args.port, args.size_mib * MIB)
        return
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": str(ROOT)}
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")})
    sandbox_port, moto_port = free_port(), free_port()
    children = [
        subprocess.Popen([sys.executable, __file__, "--role", "sandbox", "--port", str(sandbox_port),
                          "--size-mib", str(args.size_mib)], env=env, stderr=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]
    try:
        sandbox_url, moto_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{moto_port}"
        wait_http(f"{moto_url}/moto-api/")
        wait_http(f"{sandbox_url}/api/v1/apps/appdef_T4nB7cWq1s/jwks")
        os.environ["AWS_ENDPOINT_URL"] = moto_url  # quilt3 (direct mode) builds its clients from the env
        result = run_worker(sandbox_url, moto_url)
    finally:
        for child in children:
            child.terminate()
            child.wait(10)
    print(json.dumps({"size_mib_each": args.size_mib, **result}, indent=2))


if __name__ == "__main__":
    main()
