"""The demo story: real signed webhooks through the whole pipeline on one machine.

``iter_demo(env)`` plays a scripted story against a running ``LocalEnvironment`` and yields one
``DemoStep`` per chapter — what was sent, the HTTP answer and its latency, and what a user would now
see (inbox depth, exports, S3 objects, package revision, canvas). It never prints: the CLI renders the
steps as they arrive, ``--json`` dumps ``DemoSummary``.

Waiting is polling with deadlines on observable state (inbox empty, canvas re-enabled, revision
present), never fixed sleeps.

In Quilt Platform mode (``LocalEnvironment(packager_mode=True)``, ``demo --packager``) the revisions come
from the stand-in Quilt packager; a step that made one notes whether the canvas first said the packager
was at work and was then refreshed by the revision's ``package-revision`` event, with no click.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from benchling_webhook.errors import BenchlingWebhookError, PackageNotFoundError
from benchling_webhook.sandbox.apps import CONFIGURATION_UPDATED
from benchling_webhook.sandbox.canvases import DEFAULT_APP_ID, render_text
from benchling_webhook.sandbox.environment import DEMO_PREFIX, LocalEnvironment
from benchling_webhook.server.quilt.manifest import ManifestReader

if TYPE_CHECKING:
    from benchling_webhook.backfill.run import BackfillProgress

ENTRY_ID = "etr_Ab12Cd34"
DISPLAY_ID = "EXP26000042"
FEATURE_ID = "quilt_entry"
UPDATE_BUTTON_TEXT = "Update package"
NOT_PACKAGED = "This entry is not packaged"
PACKAGER_AT_WORK = "The Quilt packager is creating the new revision"
_CHIP = re.compile(r"^\{id:[^}]*\}: ")


@dataclass
class Delivery:
    """One webhook as Benchling would post it, and our server's answer."""

    event_type: str
    path: str
    status: int
    latency_ms: float
    answer: dict[str, Any]


@dataclass
class DemoStep:
    title: str
    story: str
    deliveries: list[Delivery] = field(default_factory=list)
    inbox_depth: int = 0
    exports_total: int = 0
    exports_in_step: int = 0
    revisions_total: int = 0
    top_hash: str | None = None
    s3_objects: list[str] = field(default_factory=list)
    canvas_text: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    ok: bool = True


@dataclass
class DemoSummary:
    ok: bool
    seconds: float
    steps: list[DemoStep]
    package: dict[str, Any]
    canvas: dict[str, Any]
    urls: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DemoDriver:
    """Sends signed webhooks to the server and reads back what happened."""

    def __init__(self, env: LocalEnvironment, timeout: float = 45.0) -> None:
        assert env.sandbox is not None and env.server is not None and env.aws is not None and env.moto
        self.env = env
        self.sandbox = env.sandbox.state
        self.server_url = env.server.url
        self.aws = env.aws
        self.timeout = timeout
        self.package_name = f"{DEMO_PREFIX}/{DISPLAY_ID}"
        self.s3 = env.moto.client("s3")
        self.sqs = env.moto.client("sqs")
        self.http = httpx.Client(timeout=10.0)

    def close(self) -> None:
        self.http.close()

    # -- sending ---------------------------------------------------------------------------------
    def send(self, message: dict[str, Any], *, path: str = "/event", webhook_id: str | None = None,
             app_id: str = "app_Zf3kQ8wLm2Xv", signed: bool = True) -> Delivery:
        body, headers = self.sandbox.signed(self.sandbox.envelope(message, app_id=app_id),
                                            webhook_id=webhook_id or f"msg_{uuid.uuid4().hex[:20]}")
        if not signed:
            headers = {k: v for k, v in headers.items() if k != "webhook-signature"}
        headers["content-type"] = "application/json"
        start = time.perf_counter()
        response = self.http.post(self.server_url + path, content=body, headers=headers)
        latency = (time.perf_counter() - start) * 1000
        try:
            answer = response.json()
        except ValueError:
            answer = {"raw": response.text[:200]}
        return Delivery(message["type"], path, response.status_code, round(latency, 1), answer)

    # -- observing -------------------------------------------------------------------------------
    def inbox_depth(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.aws.inbox_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def dead_letters(self) -> int:
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.aws.dlq_url,
                                              AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"])

    def exports(self) -> int:
        with self.sandbox.api.lock:
            return len(self.sandbox.api.exports)

    def objects(self) -> list[str]:
        prefix = f"{DEMO_PREFIX}/{DISPLAY_ID}/"
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.aws.bucket, Prefix=prefix)
        return sorted(o["Key"][len(prefix):] for page in pages for o in page.get("Contents", []))

    def revisions(self) -> int:
        prefix = f".quilt/named_packages/{self.package_name}/"
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.aws.bucket, Prefix=prefix)
        return sum(1 for page in pages for o in page.get("Contents", []) if not o["Key"].endswith("/latest"))

    def top_hash(self) -> str | None:
        try:
            return ManifestReader(self.s3, self.aws.bucket).latest(self.package_name)[0]
        except PackageNotFoundError:
            return None

    def canvas(self) -> dict[str, Any] | None:
        with self.sandbox.canvases.lock:
            for canvas in self.sandbox.canvases.canvases.values():
                if canvas.get("resourceId") == ENTRY_ID:
                    return dict(canvas)
        return None

    def session_note(self) -> str | None:
        """The app session shown on the canvas, as a line: its status and last message."""
        canvas = self.canvas()
        session_id = canvas.get("sessionId") if canvas else None
        with self.sandbox.apps.lock:
            session = self.sandbox.apps.sessions.get(session_id or "")
            if not session or not session["messages"]:
                return None
            return f"app session {session['status']}: {_CHIP.sub('', session['messages'][-1]['content'])}"

    def canvas_settled(self) -> bool:
        canvas = self.canvas()
        return bool(canvas and canvas.get("enabled") and "updating" not in render_text(canvas["blocks"]))

    def wait(self, what: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        raise BenchlingWebhookError(f"the demo timed out waiting for {what}", hint=self._log_hint())

    def _log_hint(self) -> str:
        """The last warnings of the server log: the demo's temp dir is gone once the command exits."""
        if self.env.server is None or not self.env.server.log_path.exists():
            return "no server log"
        lines = self.env.server.log_path.read_text(errors="replace").splitlines()
        problems = [line for line in lines if '"level":"WARNING"' in line or '"level":"ERROR"' in line]
        tail = [line[:300] for line in (problems or lines)[-3:]]
        return "the server log ends with:\n" + "\n".join(tail)

    def wait_idle(self) -> None:
        self.wait("the inbox to drain", lambda: self.inbox_depth() == 0)

    def events_emitted(self) -> int:
        return len(self.env.packager.emitted) if self.env.packager is not None else 0

    def note_event_refresh(self, step: DemoStep, events_before: int, patches_before: int) -> None:
        """Packager mode: did this step's revision event refresh a canvas that said the packager was at work?"""
        packager = self.env.packager
        canvas = self.canvas()
        if packager is None or canvas is None or len(packager.emitted) <= events_before:
            return
        top_hash = str(packager.emitted[-1]["topHash"])
        shown = [render_text(p.get("blocks", [])) for p in self.sandbox.canvases.history(canvas["id"])[patches_before:]]
        waiting = next((i for i, text in enumerate(shown) if PACKAGER_AT_WORK in text), None)
        if waiting is not None and any(f"revision `{top_hash[:12]}`" in text for text in shown[waiting + 1:]):
            step.notes.append(f"the Quilt packager created revision {top_hash[:12]}; its package-revision event "
                              "refreshed the canvas (no click)")

    def patches(self) -> int:
        canvas = self.canvas()
        return len(self.sandbox.canvases.history(canvas["id"])) if canvas else 0

    def snapshot(self, step: DemoStep, exports_before: int, started: float) -> DemoStep:
        step.inbox_depth = self.inbox_depth()
        step.exports_total = self.exports()
        step.exports_in_step = step.exports_total - exports_before
        step.revisions_total = self.revisions()
        step.top_hash = self.top_hash()
        step.s3_objects = self.objects()
        canvas = self.canvas()
        step.canvas_text = render_text(canvas["blocks"]) if canvas else None
        step.seconds = round(time.monotonic() - started, 2)
        step.ok = step.ok and all(d.status < 300 or d.path == "/forged" for d in step.deliveries)
        return step


def iter_demo(env: LocalEnvironment, *, burst: int = 20, timeout: float = 45.0, backfill: int = 0,
              on_progress: Callable[[BackfillProgress], None] | None = None) -> Iterator[DemoStep]:
    """Play the story; each yielded step has already happened. ``backfill`` entries (when > 0) make a last
    chapter (``demo_backfill.py``), whose progress goes to ``on_progress``."""
    d = DemoDriver(env, timeout)
    try:
        yield from _story(d, burst)
        if backfill:
            from benchling_webhook.sandbox.demo_backfill import backfill_chapter

            yield backfill_chapter(d, backfill, on_progress)
    finally:
        d.close()


def _story(d: DemoDriver, burst: int) -> Iterator[DemoStep]:
    # 1. The canvas appears in the entry: Benchling tells the app, which creates and fills it.
    start, before = time.monotonic(), d.exports()
    step = DemoStep("Canvas initialized", "A scientist adds the Quilt canvas to notebook entry "
                    f"{DISPLAY_ID}; the app creates the canvas and packages the entry.")
    step.deliveries.append(d.send({"type": "v2.canvas.initialized", "deprecated": False,
                                   "excludedProperties": [], "featureId": FEATURE_ID,
                                   "resourceId": ENTRY_ID, "userId": "ent_Yw2Kp0Rd"}, path="/canvas"))
    d.wait("the canvas and the first package revision",
           lambda: d.top_hash() is not None and d.canvas_settled() and d.inbox_depth() == 0)
    d.note_event_refresh(step, 0, 0)
    yield d.snapshot(step, before, start)

    # 2. Entry created (delivered twice, as at-least-once delivery may): content is unchanged.
    start, before = time.monotonic(), d.exports()
    hash_before = d.top_hash()
    step = DemoStep("Entry created (delivered twice)", "Benchling reports the entry; the same webhook "
                    "arrives twice. It is processed once, and unchanged content makes no new revision.")
    message = {"type": "v2.entry.created", "deprecated": False, "excludedProperties": [],
               "id": "evt_demo_created", "createdAt": "2026-11-20T14:03:11Z", "resourceId": ENTRY_ID}
    webhook_id = f"msg_{uuid.uuid4().hex[:20]}"
    step.deliveries.append(d.send(message, webhook_id=webhook_id))
    step.deliveries.append(d.send(message, webhook_id=webhook_id))
    d.wait_idle()
    d.wait("the canvas to settle", d.canvas_settled)
    step.notes.append("revision unchanged" if d.top_hash() == hash_before else "new revision")
    yield d.snapshot(step, before, start)

    # 3. A burst of field edits: one webhook per edited field; the worker coalesces them.
    start, before, events, patches = time.monotonic(), d.exports(), d.events_emitted(), d.patches()
    step = DemoStep(f"Burst of {burst} field updates", f"A scientist edits fields {burst} times in a few "
                    "seconds; each edit sends a webhook. The worker coalesces them into few exports.")
    final_value = None
    for i in range(burst):
        final_value = f"{37.0 + (i + 1) / 10:.1f}"
        d.sandbox.api.update_field(ENTRY_ID, "Temperature (C)", final_value)
        step.deliveries.append(d.send({
            "type": "v2.entry.updated.fields", "deprecated": False, "excludedProperties": [],
            "id": f"evt_demo_{i:03d}", "createdAt": "2026-11-20T14:07:44Z", "resourceId": ENTRY_ID,
            "updates": ["fields.Temperature (C)"]}))
    d.wait("the last edit to reach the package", lambda: d.inbox_depth() == 0 and
           package_field(d, "Temperature (C)") == final_value and d.canvas_settled())
    step.notes.append(f"package now holds Temperature (C) = {final_value}")
    d.note_event_refresh(step, events, patches)
    yield d.snapshot(step, before, start)

    # 4. A forged webhook (no valid signature) is refused.
    start, before = time.monotonic(), d.exports()
    step = DemoStep("Forged webhook refused", "Someone posts an event without Benchling's signature.")
    forged = d.send({"type": "v2.entry.created", "resourceId": ENTRY_ID}, signed=False)
    forged.path = "/forged"
    step.deliveries.append(forged)
    step.ok = forged.status == 401
    yield d.snapshot(step, before, start)

    # 5. "Update package" pressed on the canvas.
    start, before = time.monotonic(), d.exports()
    step = DemoStep("\"Update package\" pressed", "The scientist presses Update package on the canvas; it "
                    "shows 'updating…' at once and the result once the revision exists.")
    canvas = d.canvas()
    if canvas is None:
        raise BenchlingWebhookError("the demo found no canvas to press a button on")
    button_id = _button_id(canvas["blocks"], UPDATE_BUTTON_TEXT)
    patches_before = len(d.sandbox.canvases.history(canvas["id"]))
    step.deliveries.append(d.send(d.sandbox.canvases.press(canvas["id"], button_id), path="/canvas"))
    d.wait("the canvas to show the result", lambda: len(d.sandbox.canvases.history(canvas["id"])) >
           patches_before and d.canvas_settled() and d.inbox_depth() == 0)
    shown = [render_text(p.get("blocks", [])) for p in d.sandbox.canvases.history(canvas["id"])[patches_before:]]
    if any("updating" in text for text in shown):
        step.notes.append("canvas showed 'updating…' before the result")
    d.wait("the app session to end", lambda: (d.session_note() or "").startswith("app session SUCCEEDED"))
    step.notes.append(d.session_note() or "no app session")
    yield d.snapshot(step, before, start)

    # 6. The admin narrows the scope in Benchling's Configuration tab; an entry outside it is left alone.
    yield _narrowed_scope(d)


def _narrowed_scope(d: DemoDriver) -> DemoStep:
    start, before, revisions = time.monotonic(), d.exports(), d.revisions()
    schema = d.sandbox.api.entries[ENTRY_ID].get("schema") or {}
    step = DemoStep("Admin narrows the scope", f"A tenant admin adds the schema {schema.get('name')} to 'Entry "
                    "schemas to skip' in the app's Configuration tab, and Benchling announces the change. The "
                    f"scientist edits {DISPLAY_ID} again: it is left alone, and the canvas says why.")
    d.sandbox.apps.configure(DEFAULT_APP_ID, {"Entry schemas to skip": [schema.get("id")]})
    step.deliveries.append(d.send(dict(CONFIGURATION_UPDATED), path="/lifecycle"))
    d.wait_idle()
    d.sandbox.api.update_field(ENTRY_ID, "Temperature (C)", "36.5")
    step.deliveries.append(d.send({"type": "v2.entry.updated.fields", "deprecated": False, "excludedProperties": [],
                                   "id": "evt_demo_scope", "createdAt": "2026-11-20T15:02:10Z",
                                   "resourceId": ENTRY_ID, "updates": ["fields.Temperature (C)"]}))
    d.wait("the canvas to say why the entry is not packaged", lambda: d.inbox_depth() == 0 and NOT_PACKAGED in
           render_text((d.canvas() or {}).get("blocks", [])))
    untouched = d.exports() == before and d.revisions() == revisions
    step.notes.append("no export, no new revision" if untouched else "the entry was packaged anyway")
    step.ok = untouched
    return d.snapshot(step, before, start)


def _button_id(blocks: list[dict[str, Any]], text: str) -> str:
    for block in blocks:
        for item in [block, *block.get("children", [])]:
            if item.get("type") == "BUTTON" and item.get("text") == text:
                return str(item["id"])
    raise BenchlingWebhookError(f"the canvas has no '{text}' button")


def package_field(d: DemoDriver, name: str) -> Any:
    """The value of the entry field ``name`` in the demo package's latest revision (``None`` without one)."""
    try:
        revision = ManifestReader(d.s3, d.aws.bucket).revision(d.package_name)
    except PackageNotFoundError:
        return None
    fields = revision.user_meta.get("fields") or {}
    value = fields.get(name)
    if isinstance(value, dict):
        value = value.get("value", value.get("displayValue"))
    return None if value is None else str(value)


def summarize(env: LocalEnvironment, steps: list[DemoStep], seconds: float) -> DemoSummary:
    """The package's file tree and metadata and the canvas a user now sees."""
    assert env.moto is not None and env.aws is not None
    from benchling_webhook.sandbox.environment import describe

    s3 = env.moto.client("s3")
    reader = ManifestReader(s3, env.aws.bucket)
    name = f"{DEMO_PREFIX}/{DISPLAY_ID}"
    package: dict[str, Any] = {"name": name, "bucket": env.aws.bucket}
    try:
        revision = reader.revision(name)
        page = reader.page(name, 1, page_size=1000)
        package.update(top_hash=revision.top_hash, message=revision.message,
                       files=[{"key": f.logical_key, "size": f.size} for f in page.files],
                       metadata=json.loads(json.dumps(revision.user_meta, default=str)))
    except PackageNotFoundError:
        package.update(top_hash=None, files=[], metadata={})
    canvas: dict[str, Any] = {}
    assert env.sandbox is not None
    for c in env.sandbox.state.canvases.canvases.values():
        if c.get("resourceId") == ENTRY_ID:
            canvas = {"id": c["id"], "enabled": c.get("enabled"), "text": render_text(c["blocks"])}
    ok = all(s.ok for s in steps) and bool(package.get("top_hash")) and bool(canvas)
    return DemoSummary(ok, round(seconds, 2), steps, package, canvas, describe(env))
