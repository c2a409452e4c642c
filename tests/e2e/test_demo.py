"""The demo as a user runs it: the installed command in its own session, every child process gone after."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

import boto3
import httpx
import pytest

from tests.helpers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _session_processes(sid: int) -> list[str]:
    out = subprocess.run(["ps", "-eo", "sid=,pid=,args="], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.split(None, 1)[0] == str(sid)]


def test_demo_plays_the_story_and_cleans_up() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "benchling_webhook", "demo", "--json", "--burst", "10"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr[-3000:]
    summary: dict[str, Any] = json.loads(stdout)
    assert summary["ok"] is True

    steps = {s["title"]: s for s in summary["steps"]}
    first = steps["Canvas initialized"]
    assert [d["status"] for d in first["deliveries"]] == [202]
    assert first["exports_in_step"] == 1 and first["top_hash"]

    created = steps["Entry created (delivered twice)"]
    assert [d["status"] for d in created["deliveries"]] == [202, 202]
    assert created["exports_in_step"] <= 1
    assert created["notes"] == ["revision unchanged"]
    assert created["revisions_total"] == first["revisions_total"]

    burst = steps["Burst of 10 field updates"]
    assert len(burst["deliveries"]) == 10 and all(d["status"] == 202 for d in burst["deliveries"])
    assert 1 <= burst["exports_in_step"] <= 2
    assert burst["revisions_total"] == first["revisions_total"] + 1
    assert "Temperature (C) = 38.0" in burst["notes"][0]

    assert steps["Forged webhook refused"]["deliveries"][0]["status"] == 401
    pressed = steps['"Update package" pressed']
    assert "canvas showed 'updating…' before the result" in pressed["notes"]
    assert "app session SUCCEEDED: Package benchling/EXP26000042 is up to date." in pressed["notes"]

    scope = steps["Admin narrows the scope"]
    assert [(d["event_type"], d["status"]) for d in scope["deliveries"]] == [
        ("v2-beta.app.configuration.updated", 202), ("v2.entry.updated.fields", 202)]
    assert scope["exports_in_step"] == 0 and scope["revisions_total"] == pressed["revisions_total"]
    assert scope["notes"] == ["no export, no new revision"]
    assert "This entry is not packaged: entries of the schema Experiment are skipped." in scope["canvas_text"]

    package = summary["package"]
    assert package["name"] == "benchling/EXP26000042"
    keys = {f["key"] for f in package["files"]}
    assert {"entry.json", "README.md", "export/EXP26000042.pdf", "attachments/plate3_counts.csv",
            "attachments/microscopy_overview.png"} <= keys
    assert package["metadata"]["experiment_id"] == "EXP26000042"
    assert package["metadata"]["entry_id"] == "etr_Ab12Cd34"
    canvas = summary["canvas"]
    assert canvas["enabled"] is True
    assert "[Update package]" in canvas["text"] and "benchling/EXP26000042" in canvas["text"]

    assert _session_processes(proc.pid) == []


def test_demo_in_packager_mode_refreshes_the_canvas_from_revision_events() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "benchling_webhook", "demo", "--json", "--burst", "3",
                             "--packager"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    stdout, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 0, stderr[-3000:]
    summary: dict[str, Any] = json.loads(stdout)
    steps = {s["title"]: s for s in summary["steps"]}
    for title in ("Canvas initialized", "Burst of 3 field updates"):
        top_hash = steps[title]["top_hash"]
        assert (f"the Quilt packager created revision {top_hash[:12]}; its package-revision event refreshed the "
                "canvas (no click)") in steps[title]["notes"]
    assert steps["Entry created (delivered twice)"]["notes"] == ["revision unchanged"]
    # The canvas shows the packager's latest revision until the admin narrows the scope (the last step).
    assert f"revision `{summary['package']['top_hash'][:12]}`" in steps['"Update package" pressed']["canvas_text"]
    assert "This entry is not packaged" in summary["canvas"]["text"]
    assert summary["ok"] is True and _session_processes(proc.pid) == []


def test_demo_backfill_packages_older_entries_and_the_live_edit_keeps_going() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "benchling_webhook", "demo", "--json", "--burst", "3",
                             "--backfill", "40"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stdout, stderr = proc.communicate(timeout=400)
    assert proc.returncode == 0, stderr[-3000:]
    summary: dict[str, Any] = json.loads(stdout)
    backfill = summary["steps"][-1]
    assert backfill["title"] == "Backfill of 40 older entries" and backfill["ok"] is True
    assert backfill["notes"][0].startswith("40 packaged, 0 unchanged, 0 skipped, 0 failed")
    assert "none of them a failure" in backfill["notes"][1]
    assert re.search(r"the live edit of EXP26000042 was packaged [\d.]+ s after", backfill["notes"][2])
    assert [d["status"] for d in backfill["deliveries"]] == [202, 202]  # configuration updated, the live edit
    assert _session_processes(proc.pid) == []


def test_serve_local_accepts_relayed_webhooks_and_stops_cleanly() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "benchling_webhook", "serve", "--local"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        urls: dict[str, str] = {}
        deadline = time.monotonic() + 120
        assert proc.stderr is not None
        while "health" not in urls or "aws_emulator" not in urls or "benchling_sandbox" not in urls:
            assert time.monotonic() < deadline, "serve --local did not print its URLs"
            line = proc.stderr.readline()
            assert line, f"serve --local exited early with {proc.poll()}"
            if m := re.match(r"\s*(\w+): (http\S+)$", line):
                urls[m.group(1)] = m.group(2)
        assert httpx.get(urls["health"]).json()["status"] == "healthy"
        answer = httpx.post(urls["benchling_sandbox"] + "/sandbox/send",
                            json={"type": "v2.entry.created", "resourceId": "etr_Ab12Cd34"}, timeout=20).json()
        assert answer["server_status"] == 202
        s3 = boto3.client("s3", endpoint_url=urls["aws_emulator"], region_name="us-east-1")
        key = ".quilt/named_packages/benchling/EXP26000042/latest"
        wait_for(lambda: bool(s3.list_objects_v2(Bucket="quilt-demo-packages", Prefix=key).get("Contents")),
                 "a package revision", timeout=60)
    finally:
        os.killpg(proc.pid, signal.SIGINT) if proc.poll() is None else None
        proc.wait(timeout=60)
    assert _session_processes(proc.pid) == []
