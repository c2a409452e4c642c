#!/usr/bin/env python3
"""Canvas button latency: from a press to the PATCH that re-enables the canvas (worker side).

Usage: python bench/canvas_latency.py [--files 120 10000] [--presses 30]

Runs the real hooks against the Benchling sandbox (HTTP) and moto (S3 + Athena, HTTP) on loopback, with
a package of N files written in Quilt's registry layout. Per package size it reports p50/p95 of:
* Update package → "updating…" PATCH (what the user sees right after pressing),
* Next (browse page from the latest manifest),
* Back (main view, including the Athena linked-packages query).
The webhook's own 2xx is measured by ack_path.py; this is the catch-up time after the enqueue.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.functional.canvas.registry import write_package

from benchling_webhook.sandbox.api import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.benchling.client import BenchlingClient
from benchling_webhook.server.canvas.hooks import create_canvas_hooks
from benchling_webhook.server.canvas.state import CanvasState, View
from benchling_webhook.server.events import InboxMessage
from benchling_webhook.server.settings import ServerSettings

BUCKET, ENTRY, DISPLAY = "bench-packages", "etr_Ab12Cd34", "EXP26000042"


def _quantiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, nargs="+", default=[120, 10_000])
    parser.add_argument("--presses", type=int, default=30)
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # moto's fake credentials
        os.environ.setdefault(name, "testing")
    with MotoServer() as moto, SandboxServer() as sandbox:
        s3 = moto.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        settings = ServerSettings(PACKAGE_BUCKET=BUCKET, QUILT_WEB_HOST="catalog.example.com",
                                  ATHENA_USER_DATABASE="bench_db", AWS_ENDPOINT_URL=moto.endpoint_url,
                                  AWS_REGION="us-east-1")
        client = BenchlingClient(sandbox.url, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
        hooks = create_canvas_hooks(settings, client)
        assert hooks is not None
        print(f"canvas latency, {args.presses} presses per button (loopback sandbox + moto)")
        for count in args.files:
            write_package(s3, BUCKET, f"benchling/{DISPLAY}", count)
            canvas = sandbox.state.canvases.seed(
                f"cnvs_bench{count}", resource_id=ENTRY, data=CanvasState(ENTRY, DISPLAY, View.MAIN).to_data())["id"]

            def press(button: str, canvas_id: str = canvas) -> float:
                message = sandbox.state.canvases.press(canvas_id, button)
                inbox = InboxMessage.model_validate({"webhookId": "msg", "receivedAt": datetime.now(UTC).isoformat(),
                                                     "envelope": sandbox.state.envelope(message)})
                start = time.perf_counter()
                asyncio.run(hooks.begin(inbox))
                return time.perf_counter() - start

            press("browse-files")  # warm-up: token, connections
            timings: dict[str, list[float]] = {"update-package": [], "next-page": [], "back": []}
            for _ in range(args.presses):
                timings["update-package"].append(press("update-package"))
                press("browse-files")
                timings["next-page"].append(press("next-page"))
                timings["back"].append(press("back"))
            shown = str(sandbox.state.canvases.get(canvas)["blocks"])
            assert "Browse files" in shown and "⚠️" not in shown, shown
            for button, samples in timings.items():
                print(f"  {count:>6} files  {button:<15} {_quantiles(samples)}")
        client.close()


if __name__ == "__main__":
    main()
