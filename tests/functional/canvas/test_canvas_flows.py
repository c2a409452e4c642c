"""Canvas flows over HTTP: hooks → Benchling sandbox (canvases) and moto (S3 manifests, Athena)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest

from benchling_webhook.errors import BenchlingApiError, PermanentFailure
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.canvases import render_text
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.canvas.hooks import PackageCanvasHooks
from benchling_webhook.server.canvas.state import CanvasState, View
from benchling_webhook.server.worker.protocol import CanvasPlan, PackageResult
from tests.functional.canvas.conftest import (
    BUCKET,
    CATALOG,
    DISPLAY_ID,
    ENTRY_ID,
    PACKAGE,
    buttons,
    fixture_message,
    press,
    seed_canvas,
    shown,
)
from tests.functional.canvas.registry import (
    hold_athena_queries,
    release_athena_queries,
    seed_athena_results,
    write_package,
)


def result(top_hash: str | None = "f" * 64, files: tuple[str, ...] = (), created: bool = True,
           mode: str = "direct", previous: str | None = None) -> PackageResult:
    return PackageResult(entry_id=ENTRY_ID, display_id=DISPLAY_ID, package_name=PACKAGE,
                         s3_prefix=f"s3://{BUCKET}/{PACKAGE}/", files=files, top_hash=top_hash,
                         revision_created=created, mode=mode, previous_top_hash=previous)


def state_of(sandbox: SandboxServer, canvas_id: str) -> CanvasState:
    canvas = sandbox.state.canvases.get(canvas_id)
    return CanvasState.from_data(canvas["data"], canvas["resourceId"])


def test_initialized_creates_the_canvas_then_shows_the_package(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    plan = asyncio.run(hooks.begin(fixture_message("canvas-initialized.json")))

    assert plan.needs_package and plan.entry_id == ENTRY_ID and plan.canvas_id
    created = sandbox.state.canvases.creates[0]
    assert (created["appId"], created["featureId"], created["resourceId"]) == \
        ("app_Zf3kQ8wLm2Xv", "quilt_entry", ENTRY_ID)
    assert "updating…" in shown(sandbox, plan.canvas_id)

    write_package(s3, BUCKET, PACKAGE, [("entry.json", 812), ("EXP26000042.pdf", 20480)])
    asyncio.run(hooks.finish(plan, result(files=("entry.json", "EXP26000042.pdf")), None))

    text = shown(sandbox, plan.canvas_id)
    assert f"[{PACKAGE}](https://{CATALOG}/b/{BUCKET}/packages/{PACKAGE})" in text
    uri = f"quilt+s3://{BUCKET}#package={PACKAGE}&catalog={CATALOG}"
    assert f"[{uri}](https://{CATALOG}/redir/{quote(uri, safe='')})" in text
    assert "Last update: 20" in text and "UTC · 2 files, 20.8 KB" in text
    assert "Linked packages: none" in text
    assert buttons(sandbox, plan.canvas_id) == {"browse-files": True, "view-metadata": True, "linked-packages": True,
                                                "update-package": True}
    assert state_of(sandbox, plan.canvas_id) == CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN, 0)


@pytest.mark.parametrize("fixture", ["canvas-created.json", "canvas-created-beta.json"])
def test_created_reads_the_entry_from_the_canvas_and_shows_updating(
        fixture: str, sandbox: SandboxServer, hooks: PackageCanvasHooks) -> None:
    seed_canvas(sandbox)
    plan = asyncio.run(hooks.begin(fixture_message(fixture)))

    assert plan == CanvasPlan(entry_id=ENTRY_ID, canvas_id="cnvs_Hq7Tz3Lp", needs_package=True)
    assert ("GET", "/api/v2/app-canvases/cnvs_Hq7Tz3Lp") in sandbox.state.requests
    assert "Packaging this entry: **updating…**" in shown(sandbox, "cnvs_Hq7Tz3Lp")


def test_update_package_shows_updating_at_once_then_the_new_revision(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 3)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())

    plan = press(sandbox, hooks, canvas, "update-package")

    assert plan.needs_package
    text = shown(sandbox, canvas)
    assert "Last update: **updating…** (the previous revision is from 20" in text
    assert "Linked packages:" not in text  # no Athena round trip before the immediate PATCH

    write_package(s3, BUCKET, PACKAGE, 5, message="new revision")
    asyncio.run(hooks.finish(plan, result(), None))
    text = shown(sandbox, canvas)
    assert "updating…" not in text and "5 files" in text
    assert len(sandbox.state.canvases.history(canvas)) == 2


def test_update_package_on_a_canvas_without_display_id_needs_no_lookup(
        sandbox: SandboxServer, hooks: PackageCanvasHooks) -> None:
    canvas = seed_canvas(sandbox)  # no data at all
    plan = press(sandbox, hooks, canvas, "update-package")
    assert plan.needs_package
    assert "updating…" in shown(sandbox, canvas)
    assert not any(path.startswith("/api/v2/entries") for _, path in sandbox.state.requests)


def test_browse_pages_through_120_files_with_clamped_edges(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 120)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())

    assert not press(sandbox, hooks, canvas, "browse-files").needs_package
    text = shown(sandbox, canvas)
    assert "Files 1-15 of 120 (page 1 of 8)" in text
    view = f"https://{CATALOG}/b/{BUCKET}/packages/{PACKAGE}/tree/latest/data/file-000.csv"
    sync_uri = f"quilt+s3://{BUCKET}#package={PACKAGE}&path=data/file-000.csv&catalog={CATALOG}"
    assert f"- [data/file-000.csv]({view}) · 100 B · [sync](https://{CATALOG}/redir/{quote(sync_uri, safe='')})" \
        in text
    assert buttons(sandbox, canvas) == {"prev-page": False, "next-page": True, "back": True}

    press(sandbox, hooks, canvas, "prev-page")  # Previous on the first page stays there
    assert "Files 1-15 of 120 (page 1 of 8)" in shown(sandbox, canvas)

    for _ in range(7):
        press(sandbox, hooks, canvas, "next-page")
    text = shown(sandbox, canvas)
    assert "Files 106-120 of 120 (page 8 of 8)" in text and "file-119.csv" in text and "file-104.csv" not in text
    assert buttons(sandbox, canvas) == {"prev-page": True, "next-page": False, "back": True}

    press(sandbox, hooks, canvas, "next-page")  # Next on the last page stays there
    assert "page 8 of 8" in shown(sandbox, canvas)
    assert state_of(sandbox, canvas).page == 7

    press(sandbox, hooks, canvas, "prev-page")
    assert "Files 91-105 of 120 (page 7 of 8)" in shown(sandbox, canvas)

    press(sandbox, hooks, canvas, "back")
    assert "Last update:" in shown(sandbox, canvas)
    assert state_of(sandbox, canvas).view is View.MAIN
    assert all(body["enabled"] is True for body in sandbox.state.canvases.history(canvas))


@pytest.mark.parametrize(("count", "pages", "last_page"), [
    (15, 1, "Files 1-15 of 15 (page 1 of 1)"),
    (16, 2, "Files 16-16 of 16 (page 2 of 2)"),
    (30, 2, "Files 16-30 of 30 (page 2 of 2)"),
])
def test_browse_page_boundaries(count: int, pages: int, last_page: str, sandbox: SandboxServer,
                                hooks: PackageCanvasHooks, s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, count)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    press(sandbox, hooks, canvas, "browse-files")
    for _ in range(pages):  # one Next more than needed
        press(sandbox, hooks, canvas, "next-page")
    assert last_page in shown(sandbox, canvas)
    assert buttons(sandbox, canvas)["next-page"] is False


def test_browse_a_package_without_files(sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 0)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    press(sandbox, hooks, canvas, "browse-files")
    assert "This package has no files." in shown(sandbox, canvas)
    assert buttons(sandbox, canvas) == {"prev-page": False, "next-page": False, "back": True}
    press(sandbox, hooks, canvas, "next-page")
    assert "This package has no files." in shown(sandbox, canvas)


def test_missing_package_is_not_created_yet_not_an_error(
        sandbox: SandboxServer, hooks: PackageCanvasHooks) -> None:
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    for button in ("browse-files", "view-metadata", "back"):
        press(sandbox, hooks, canvas, button)
        text = shown(sandbox, canvas)
        assert "package has not been created yet" in text and "⚠️" not in text
        assert buttons(sandbox, canvas) == {"update-package": True}
        assert state_of(sandbox, canvas).view is View.MISSING


def test_metadata_view_and_back(sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    meta = {"experiment_id": DISPLAY_ID, "name": "CRISPR screen *round 2*", "authors": ["Ada", "Grace"]}
    write_package(s3, BUCKET, PACKAGE, 2, meta=meta, message="Benchling entry EXP26000042")
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())

    press(sandbox, hooks, canvas, "view-metadata")
    text = shown(sandbox, canvas)
    assert f"- **experiment_id**: {DISPLAY_ID}" in text
    assert "- **name**: CRISPR screen *round 2*" in text  # escaped in Markdown, shown literally
    assert '- **authors**: ["Ada", "Grace"]' in text
    assert "Benchling entry EXP26000042" in text
    assert buttons(sandbox, canvas) == {"back": True}
    press(sandbox, hooks, canvas, "back")
    assert "Browse files" in shown(sandbox, canvas)


def test_unknown_button_shows_the_main_view(sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 1)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.BROWSE, page=3).to_data())
    plan = press(sandbox, hooks, canvas, "some-old-button")
    assert not plan.needs_package
    assert "Last update:" in shown(sandbox, canvas)
    assert state_of(sandbox, canvas).view is View.MAIN


def test_display_id_is_looked_up_once_then_kept_in_canvas_data(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 1)
    canvas = seed_canvas(sandbox, data="not json at all")
    press(sandbox, hooks, canvas, "browse-files")
    press(sandbox, hooks, canvas, "back")
    assert "Files 1-1 of 1" in render_text(sandbox.state.canvases.history(canvas)[0]["blocks"])
    entry_calls = [p for _, p in sandbox.state.requests if p == f"/api/v2/entries/{ENTRY_ID}"]
    assert len(entry_calls) == 1
    data = json.loads(sandbox.state.canvases.get(canvas)["data"])
    assert data["displayId"] == DISPLAY_ID and len(sandbox.state.canvases.get(canvas)["data"]) <= 5 * 1024


def test_linked_packages_come_from_a_parameterized_athena_query(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any, aws: MotoServer) -> None:
    write_package(s3, BUCKET, PACKAGE, 1)
    seed_athena_results(aws.endpoint_url, ["analysis/screen-2", PACKAGE, "raw/plate-3"])
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.BROWSE).to_data())

    press(sandbox, hooks, canvas, "back")

    text = shown(sandbox, canvas)
    assert (f"Linked packages: [analysis/screen-2](https://{CATALOG}/b/{BUCKET}/packages/analysis/screen-2), "
            f"[raw/plate-3](https://{CATALOG}/b/{BUCKET}/packages/raw/plate-3)") in text
    athena = aws.client("athena")
    (execution_id,) = athena.list_query_executions()["QueryExecutionIds"]
    execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    assert DISPLAY_ID not in execution["Query"]
    assert '"userathenadatabase-x1"."quilt-packages_packages-view"' in execution["Query"]
    assert execution["ExecutionParameters"] == [f"'{DISPLAY_ID}'"]


def test_athena_failure_is_a_warning_line_not_a_broken_canvas(
        sandbox: SandboxServer, settings: Any, client: Any, s3: Any) -> None:
    from benchling_webhook.server.canvas.hooks import create_canvas_hooks

    broken = create_canvas_hooks(settings.model_copy(update={"athena_workgroup": "no-such-workgroup"}), client)
    assert broken is not None
    write_package(s3, BUCKET, PACKAGE, 4)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.BROWSE).to_data())

    press(sandbox, broken, canvas, "back")

    text = shown(sandbox, canvas)
    assert "⚠️ Linked packages are unavailable right now (Athena: InvalidRequestException)." in text
    assert "4 files" in text and buttons(sandbox, canvas)["browse-files"] is True


def test_packaging_error_shows_the_error_view_and_re_enables(
        sandbox: SandboxServer, hooks: PackageCanvasHooks) -> None:
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    plan = press(sandbox, hooks, canvas, "update-package")
    asyncio.run(hooks.finish(plan, None, BenchlingApiError("export entry etr_Ab12Cd34: HTTP 503", status=503)))
    text = shown(sandbox, canvas)
    assert "⚠️ Could not update the package: export entry etr_Ab12Cd34: HTTP 503." in text
    assert buttons(sandbox, canvas) == {"update-package": True, "back": True}
    press(sandbox, hooks, canvas, "back")
    assert "not been created yet" in shown(sandbox, canvas)


def test_unexpected_error_text_stays_in_the_logs(sandbox: SandboxServer, hooks: PackageCanvasHooks) -> None:
    canvas = seed_canvas(sandbox)
    plan = CanvasPlan(entry_id=ENTRY_ID, canvas_id=canvas, needs_package=True)
    asyncio.run(hooks.finish(plan, None, RuntimeError("secret internal detail")))
    text = shown(sandbox, canvas)
    assert "unexpected error" in text and "secret internal detail" not in text


def test_corrupt_manifest_shows_the_error_view(sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=f".quilt/named_packages/{PACKAGE}/latest", Body=b"a" * 64)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    press(sandbox, hooks, canvas, "browse-files")
    assert "⚠️ Could not show the package" in shown(sandbox, canvas)
    assert state_of(sandbox, canvas).view is View.ERROR


def test_a_failing_patch_is_retried_and_the_canvas_ends_enabled(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 1)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    sandbox.state.canvases.fail_next_patches = 1
    press(sandbox, hooks, canvas, "browse-files")
    assert "Files 1-1 of 1" in shown(sandbox, canvas)


def test_a_canvas_that_no_longer_exists_is_a_permanent_failure(
        sandbox: SandboxServer, hooks: PackageCanvasHooks) -> None:
    message = fixture_message("canvas-user-interacted.json")
    with pytest.raises(PermanentFailure):
        asyncio.run(hooks.begin(message))


def test_packager_mode_keeps_showing_updating_until_the_revision_exists(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    before = write_package(s3, BUCKET, PACKAGE, 2)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    plan = press(sandbox, hooks, canvas, "update-package")
    asyncio.run(hooks.finish(plan, result(top_hash=None, mode="packager", previous=before), None))
    text = shown(sandbox, canvas)
    assert "**updating…**" in text and "The Quilt packager is creating the new revision" in text
    assert "press Update package to refresh" in text  # no revision events in this deployment


def test_packager_mode_shows_a_revision_that_landed_before_packaging_returned(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any) -> None:
    before = write_package(s3, BUCKET, PACKAGE, 2)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())
    plan = press(sandbox, hooks, canvas, "update-package")
    new = write_package(s3, BUCKET, PACKAGE, 3)  # the packager was quick
    asyncio.run(hooks.finish(plan, result(top_hash=None, mode="packager", previous=before), None))
    text = shown(sandbox, canvas)
    assert "updating" not in text and f"revision `{new[:12]}`" in text


def test_athena_that_does_not_answer_in_time_is_a_warning_line(
        sandbox: SandboxServer, settings: Any, client: Any, s3: Any, aws: MotoServer) -> None:
    from benchling_webhook.server.canvas.hooks import create_canvas_hooks

    slow = create_canvas_hooks(settings, client, athena_timeout=0.3)
    assert slow is not None
    write_package(s3, BUCKET, PACKAGE, 1)
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.BROWSE).to_data())
    hold_athena_queries(aws.endpoint_url)
    try:
        press(sandbox, slow, canvas, "back")
    finally:
        release_athena_queries(aws.endpoint_url)
    text = shown(sandbox, canvas)
    assert "⚠️ Linked packages are unavailable right now (Athena did not answer in time)." in text
    assert "1 file," in text


def test_a_retried_initialized_event_reuses_the_canvas_it_created(
        sandbox: SandboxServer, hooks: PackageCanvasHooks) -> None:
    message = fixture_message("canvas-initialized.json")
    first = asyncio.run(hooks.begin(message))
    again = asyncio.run(hooks.begin(message))  # packaging failed; the inbox redelivers the same webhook
    assert again.canvas_id == first.canvas_id
    assert len(sandbox.state.canvases.creates) == 1
    assert "updating…" in shown(sandbox, str(first.canvas_id))


def test_linked_packages_view_lists_linked_entries_then_athenas_and_pages_like_the_browser(
        sandbox: SandboxServer, hooks: PackageCanvasHooks, s3: Any, aws: MotoServer) -> None:
    linked = [{"id": "etr_2", "name": "Screen 2", "type": "entry", "url": None, "display_id": "EXP26000041"},
              {"id": "etr_3", "name": None, "type": "entry", "url": None, "display_id": "EXP26000040"},
              {"id": "bfi_1", "name": "HCT116-7", "type": "custom_entity", "url": None}]
    write_package(s3, BUCKET, PACKAGE, 1, meta={"linked": linked})
    write_package(s3, BUCKET, "benchling/EXP26000041", 1)
    runs = [f"analysis/run-{i:02d}" for i in range(20)]
    seed_athena_results(aws.endpoint_url, *[runs] * 4)  # one query per view shown
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.MAIN).to_data())

    assert not press(sandbox, hooks, canvas, "linked-packages").needs_package
    text = shown(sandbox, canvas)
    assert "Packages 1-15 of 22 (page 1 of 2)" in text
    assert (f"- [benchling/EXP26000041](https://{CATALOG}/b/{BUCKET}/packages/benchling/EXP26000041) · [sync]("
            in text and "· linked entry EXP26000041 (Screen 2)" in text)
    assert "- benchling/EXP26000040 · linked entry EXP26000040 · no package yet" in text
    assert f"- [analysis/run-00](https://{CATALOG}/b/{BUCKET}/packages/analysis/run-00)" in text
    assert "its metadata experiment_id is EXP26000042" in text and "HCT116-7" not in text
    assert buttons(sandbox, canvas) == {"prev-page": False, "next-page": True, "back": True}

    press(sandbox, hooks, canvas, "next-page")
    text = shown(sandbox, canvas)
    assert "Packages 16-22 of 22 (page 2 of 2)" in text and "analysis/run-19" in text
    assert state_of(sandbox, canvas) == CanvasState(ENTRY_ID, DISPLAY_ID, View.LINKED, 1)
    press(sandbox, hooks, canvas, "next-page")  # Next on the last page stays there
    assert "page 2 of 2" in shown(sandbox, canvas)
    press(sandbox, hooks, canvas, "back")
    assert "Last update:" in shown(sandbox, canvas)
