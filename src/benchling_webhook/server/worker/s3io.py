"""Streaming into a package's S3 prefix, hashing on the way.

Nothing here holds a whole file: a source (a ZIP member, an HTTP download) is wrapped in a
``HashingReader`` that boto3's ``upload_fileobj`` pulls from part by part. The reader hides ``seek`` so
s3transfer reads it strictly in order (its non-seekable path), which lets the reader compute Quilt's
``sha2-256-chunked`` checksum as the bytes go by. Knowing the hash of every object we wrote means
neither quilt3 nor anyone else has to download the files again to hash them.

Memory bound: s3transfer buffers at most ``max_in_memory_upload_chunks`` parts of ``part_size`` for a
non-seekable stream, plus ``max_concurrency`` parts in flight: with 8 MiB parts, about 64 MiB.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from benchling_webhook.server.worker.keys import MAX_KEY_BYTES, fit_bytes

MIB = 1024 * 1024
QUILT_PART = 8 * MIB
QUILT_MAX_PARTS = 10_000
HASH_TYPE = "sha2-256-chunked"


def quilt_part_size(size: int) -> int:
    """Quilt's checksum part size for a file of ``size`` bytes (8 MiB, doubled while > 10,000 parts)."""
    part = QUILT_PART
    while math.ceil(size / part) > QUILT_MAX_PARTS:
        part *= 2
    return part


class ChunkedHasher:
    """Quilt's ``sha2-256-chunked``: sha256 over the sha256 digests of fixed-size parts, base64."""

    def __init__(self, expected_size: int | None = None) -> None:
        self.part_size = quilt_part_size(expected_size) if expected_size is not None else QUILT_PART
        self.size = 0
        self._digests: list[bytes] = []
        self._part = hashlib.sha256()
        self._in_part = 0

    def update(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        self.size += len(view)
        while len(view):
            take = min(len(view), self.part_size - self._in_part)
            self._part.update(view[:take])
            self._in_part += take
            view = view[take:]
            if self._in_part == self.part_size:
                self._digests.append(self._part.digest())
                self._part, self._in_part = hashlib.sha256(), 0

    def value(self) -> str | None:
        """The checksum, or None when the part size guessed up front turned out wrong for the size."""
        if self.part_size != quilt_part_size(self.size):
            return None
        digests = self._digests + ([self._part.digest()] if self._in_part else [])
        return base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode()


def quilt_hash(data: bytes) -> str:
    hasher = ChunkedHasher(len(data))
    hasher.update(data)
    value = hasher.value()
    assert value is not None
    return value


class HashingReader(io.RawIOBase):
    """A read-only, non-seekable view of ``source`` that hashes what is read and reads full blocks.

    ``source`` is a binary file object or an iterator of byte chunks. ``read(n)`` returns exactly
    ``n`` bytes until the end (s3transfer treats a short read as the end of a part).
    """

    def __init__(self, source: IO[bytes] | Iterable[bytes], expected_size: int | None = None) -> None:
        super().__init__()
        self._file = source if hasattr(source, "read") else None
        self._chunks: Iterator[bytes] | None = None if self._file is not None else iter(source)
        self._pending = b""
        self.hasher = ChunkedHasher(expected_size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def _next(self, n: int) -> bytes:
        if self._file is not None:
            return bytes(self._file.read(n))
        assert self._chunks is not None
        return next(self._chunks, b"")

    def read(self, size: int | None = -1) -> bytes:
        want = None if size is None or size < 0 else size
        parts: list[bytes] = []
        have = 0
        if self._pending:
            parts.append(self._pending)
            have = len(self._pending)
            self._pending = b""
        while want is None or have < want:
            chunk = self._next(MIB if want is None else max(want - have, 64 * 1024))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        if want is not None and len(data) > want:
            data, self._pending = data[:want], data[want:]
        self.hasher.update(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass(frozen=True)
class StoredObject:
    """An object this run wrote under the package prefix."""

    logical_key: str
    key: str
    size: int
    hash: str | None  # sha2-256-chunked, None if unknown
    version_id: str | None = None
    kind: str = "data"  # "export" | "attachment" | "metadata"


class PackageLocation:
    """The S3 prefix of one package: ``s3://bucket/<prefix>/<display_id>/``."""

    def __init__(self, s3: Any, bucket: str, prefix: str, *, max_concurrency: int = 4) -> None:
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/"
        self._max_concurrency = max_concurrency

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, logical_key: str) -> str:
        return self.prefix + logical_key

    def fit(self, logical_key: str) -> str:
        """The logical key, shortened (stably, collision-free) when the object key would pass S3's limit."""
        return fit_bytes(logical_key, MAX_KEY_BYTES - len(self.prefix.encode()))

    def upload(self, logical_key: str, source: IO[bytes] | Iterable[bytes], *, size: int | None = None,
               kind: str = "data", content_type: str | None = None) -> StoredObject:
        """Stream ``source`` to ``<prefix><logical_key>`` (multipart above 8 MiB); hash while reading."""
        from boto3.s3.transfer import TransferConfig

        reader = HashingReader(source, size)
        part = quilt_part_size(size) if size is not None else QUILT_PART
        config = TransferConfig(multipart_threshold=part, multipart_chunksize=part,
                                max_concurrency=self._max_concurrency, use_threads=True,
                                preferred_transfer_client="classic")
        config.max_in_memory_upload_chunks = 4  # s3transfer's knob; boto3's constructor does not take it
        extra = {"ContentType": content_type} if content_type else None
        logical_key = self.fit(logical_key)
        key = self.key(logical_key)
        self.s3.upload_fileobj(reader, self.bucket, key, ExtraArgs=extra, Config=config)
        version = self.s3.head_object(Bucket=self.bucket, Key=key).get("VersionId")
        return StoredObject(logical_key, key, reader.hasher.size, reader.hasher.value(), _version(version), kind)

    def put_bytes(self, logical_key: str, data: bytes, *, kind: str = "metadata",
                  content_type: str = "application/octet-stream") -> StoredObject:
        logical_key = self.fit(logical_key)
        key = self.key(logical_key)
        response = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        return StoredObject(logical_key, key, len(data), quilt_hash(data), _version(response.get("VersionId")), kind)

    def list_objects(self) -> dict[str, int]:
        """Logical key → size of every object under the prefix."""
        found: dict[str, int] = {}
        paginator = self.s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                found[item["Key"][len(self.prefix):]] = int(item["Size"])
        return found

    def prune(self, keep: Iterable[str]) -> list[str]:
        """Delete objects under the prefix whose logical key is not in ``keep``; returns what went."""
        keep_set = set(keep)
        stale = sorted(k for k in self.list_objects() if k not in keep_set)
        for start in range(0, len(stale), 1000):
            batch = stale[start:start + 1000]
            self.s3.delete_objects(Bucket=self.bucket, Delete={
                "Objects": [{"Key": self.key(k)} for k in batch], "Quiet": True})
        return stale


def _version(value: object) -> str | None:
    return value if isinstance(value, str) and value and value != "null" else None
