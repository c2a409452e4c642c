"""Creating the package revision: Quilt packager queue (platform mode) or quilt3 (direct mode).

* ``QueuePackager`` (``PACKAGER_SQS_URL`` set): sends the Quilt stack's packager exactly
  ``{"source_prefix", "registry", "package_name", "metadata_uri": "entry.json", "commit_message"}`` plus
  ``"workflow"`` when ``QUILT_WORKFLOW`` names one (docs/quilt.md). The packager packages everything under
  the prefix and writes the manifest later, so the result has no top hash yet; the Quilt stack announces
  the revision with a ``package-revision`` event (``server/worker/revisions.py``).
* ``DirectPackager`` (no queue, e.g. local/demo): builds the manifest with quilt3 from the objects this
  run wrote — hashes computed while uploading, so quilt3 downloads nothing — and pushes it to the bucket
  (``.quilt/packages/<top hash>`` + ``.quilt/named_packages/<name>/latest``). quilt3 builds its S3
  clients from a plain ``boto3.Session()``; a build-client hook adds ``AWS_ENDPOINT_URL`` so it talks
  to the emulator, telemetry is switched off, and no catalog login is needed. The workflow, when set,
  is passed to the push, which checks the package against it as the catalog would.

Both skip unchanged content: the latest manifest's file hashes and metadata are compared with this
run's (``Snapshot.matches``), and quilt3 additionally dedupes on the top hash. Commit messages and
metadata carry no run timestamps, so identical content always has the identical top hash.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from benchling_webhook.server.quilt.manifest import latest_pointer_key, manifest_key
from benchling_webhook.server.worker.metadata import ENTRY_JSON
from benchling_webhook.server.worker.s3io import HASH_TYPE, PackageLocation, StoredObject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The latest revision of a package as far as change detection needs it."""

    top_hash: str
    user_meta: dict[str, Any]
    hashes: dict[str, str | None] = field(default_factory=dict)  # logical key -> sha2-256-chunked

    def matches(self, objects: list[StoredObject], metadata: dict[str, Any]) -> bool:
        ours = {o.logical_key: o.hash for o in objects}
        return self.user_meta == metadata and self.hashes == ours and None not in ours.values()


def read_latest(s3: Any, bucket: str, name: str) -> Snapshot | None:
    """The package's latest revision (streamed manifest), or None when there is none yet."""
    try:
        pointer = s3.get_object(Bucket=bucket, Key=latest_pointer_key(name))
    except s3.exceptions.NoSuchKey:
        return None
    top_hash = pointer["Body"].read(1024).decode("utf-8", "replace").strip()
    try:
        body = s3.get_object(Bucket=bucket, Key=manifest_key(top_hash))["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    header: dict[str, Any] | None = None
    hashes: dict[str, str | None] = {}
    for raw in body.iter_lines():
        if not raw.strip():
            continue
        line = json.loads(raw)
        if header is None:
            header = line
            continue
        digest = line.get("hash") or {}
        hashes[str(line.get("logical_key"))] = digest.get("value") if digest.get("type") == HASH_TYPE else None
    meta = (header or {}).get("user_meta")
    return Snapshot(top_hash, meta if isinstance(meta, dict) else {}, hashes)


class Packager(Protocol):
    mode: str

    def publish(self, location: PackageLocation, name: str, objects: list[StoredObject],
                metadata: dict[str, Any], message: str, latest: Snapshot | None) -> tuple[str | None, bool]:
        """Create the revision; returns (top hash if known, whether a new revision was requested)."""
        ...


class QueuePackager:
    """Quilt Platform mode: one message to the packager queue per changed revision."""

    mode = "packager"

    def __init__(self, sqs: Any, queue_url: str, workflow: str | None = None) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self.workflow = workflow

    def publish(self, location: PackageLocation, name: str, objects: list[StoredObject],
                metadata: dict[str, Any], message: str, latest: Snapshot | None) -> tuple[str | None, bool]:
        if latest is not None and latest.matches(objects, metadata):
            return latest.top_hash, False
        request = {"source_prefix": location.url, "registry": location.bucket, "package_name": name,
                   "metadata_uri": ENTRY_JSON, "commit_message": message}
        if self.workflow:
            request["workflow"] = self.workflow
        body = json.dumps(request)
        params: dict[str, Any] = {"QueueUrl": self.queue_url, "MessageBody": body}
        if self.queue_url.endswith(".fifo"):
            content = sorted((o.logical_key, o.hash or "") for o in objects)
            params["MessageGroupId"] = name
            params["MessageDeduplicationId"] = hashlib.sha256(
                (body + json.dumps(content)).encode()).hexdigest()
        self._sqs.send_message(**params)
        log.info("packager message sent", extra={"package": name, "queue": self.queue_url})
        return None, True


_quilt_lock = threading.Lock()
_quilt_ready = False


def _prepare_quilt3(endpoint_url: str | None, credentials: tuple[str, str] | None = None) -> Any:
    """Import quilt3 once, quietly, with its S3 clients pointed at ``endpoint_url`` (if any) and signed with
    ``credentials`` (an emulator's made-up keys) instead of the default chain's when given."""
    global _quilt_ready
    import quilt3
    import quilt3.data_transfer
    import quilt3.packages
    from botocore.config import Config
    from quilt3.hooks import set_build_s3_client_hook
    from quilt3.telemetry import ApiTelemetry

    if not _quilt_ready:
        ApiTelemetry.telemetry_disabled = True  # no calls to Quilt's telemetry endpoint, no config writes
        quilt3.data_transfer.DISABLE_TQDM = True
        quilt3.packages.DISABLE_TQDM = True
        clients: dict[str, Any] = {}

        def hook(build: Any, session: Any, client_kwargs: dict[str, Any], **kwargs: Any) -> Any:
            # quilt3 builds a fresh session + S3 client for every operation (~0.3 s each); boto3 clients
            # are thread-safe, so one per signing mode is reused. The endpoint goes in here too.
            config = client_kwargs.get("config")
            extra: dict[str, Any] = {"endpoint_url": endpoint_url} if endpoint_url else {}
            if credentials:  # quilt3 asks for unsigned clients when the session has no credentials of its own
                extra.update(aws_access_key_id=credentials[0], aws_secret_access_key=credentials[1])
                if config is not None:
                    extra["config"] = config = config.merge(Config(signature_version="s3v4"))
            mode = str(getattr(config, "signature_version", None))
            if mode not in clients:
                clients[mode] = build(session, {**client_kwargs, **extra}, **kwargs)
            return clients[mode]

        set_build_s3_client_hook(hook)
        _quilt_ready = True
    return quilt3


class DirectPackager:
    """Direct mode: quilt3 builds and pushes the manifest to the package bucket.

    Args:
        endpoint_url: S3 endpoint (the emulator's), else AWS.
        workflow: the Quilt workflow each push names (checked by quilt3 against the bucket's config).
        credentials: access key and secret for an emulator when the process has no AWS credentials.
    """

    mode = "direct"

    def __init__(self, endpoint_url: str | None = None, workflow: str | None = None,
                 credentials: tuple[str, str] | None = None) -> None:
        self._endpoint_url = endpoint_url
        self.workflow = workflow
        self._credentials = credentials

    def publish(self, location: PackageLocation, name: str, objects: list[StoredObject],
                metadata: dict[str, Any], message: str, latest: Snapshot | None) -> tuple[str | None, bool]:
        if latest is not None and latest.matches(objects, metadata):
            return latest.top_hash, False
        with _quilt_lock:  # quilt3 keeps module-level client caches; pushes are short (no data copied)
            quilt3 = _prepare_quilt3(self._endpoint_url, self._credentials)
            from quilt3.packages import PackageEntry
            from quilt3.util import PhysicalKey

            package = quilt3.Package()
            for obj in objects:
                digest = {"type": HASH_TYPE, "value": obj.hash} if obj.hash else None
                entry = PackageEntry(PhysicalKey(location.bucket, obj.key, obj.version_id), obj.size, digest, None)
                package.set(obj.logical_key, entry)
            package.set_meta(metadata)
            pushed = _push(package, name, f"s3://{location.bucket}", message, self.workflow)
        if pushed is package:  # dedupe: the registry already holds exactly this revision
            return (latest.top_hash if latest else None), False
        top_hash = pushed.top_hash
        log.info("package pushed", extra={"package": name, "top_hash": top_hash})
        return str(top_hash), True


def _push(package: Any, name: str, registry: str, message: str, workflow: str | None = None) -> Any:
    """``Package.push`` without its printout: printing shortens the top hash by *listing every manifest in
    the bucket* — costly on a large registry — and writes to stdout, where our JSON logs go.

    Without a workflow quilt3 applies the bucket's default (``...``), as it does when none is named."""
    kwargs: dict[str, Any] = {"selector_fn": lambda *_: False, "force": True, "dedupe": True,
                              "workflow": workflow or ...}
    private = getattr(package, "_push", None)
    if private is not None and "print_info" in inspect.signature(private).parameters:
        return private(name, registry, None, message, print_info=False, **kwargs)
    with contextlib.redirect_stdout(io.StringIO()):
        return package.push(name, registry=registry, message=message, **kwargs)
