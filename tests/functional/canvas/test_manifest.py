"""The latest-manifest reader against real manifests in a moto bucket."""

from __future__ import annotations

from typing import Any

import pytest

from benchling_webhook.errors import ManifestError, PackageNotFoundError
from benchling_webhook.server.quilt.manifest import ManifestReader
from tests.functional.canvas.conftest import BUCKET, PACKAGE
from tests.functional.canvas.registry import write_package


def test_reads_the_latest_revision_header_and_summary(s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 3, meta={"experiment_id": "EXP1"}, message="first")
    top_hash = write_package(s3, BUCKET, PACKAGE, 5, meta={"experiment_id": "EXP1", "v": 2}, message="second")
    revision = ManifestReader(s3, BUCKET).revision(PACKAGE)
    assert (revision.top_hash, revision.message, revision.file_count) == (top_hash, "second", 5)
    assert revision.user_meta == {"experiment_id": "EXP1", "v": 2}
    assert revision.total_bytes == sum(100 + i for i in range(5))
    assert revision.updated_at is not None


def test_pages_of_a_large_manifest(s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 2500)
    page = ManifestReader(s3, BUCKET).page(PACKAGE, 100, page_size=20)
    assert [f.logical_key for f in page.files][:2] == ["data/file-2000.csv", "data/file-2001.csv"]
    assert (page.page, page.page_count, page.has_previous, page.has_next) == (100, 125, True, True)
    assert page.files[0].physical_key == f"s3://{BUCKET}/{PACKAGE}/data/file-2000.csv?versionId=v1"


@pytest.mark.parametrize(("requested", "expected"), [(-3, 0), (1, 1), (2, 1), (99, 1)])
def test_out_of_range_pages_are_clamped(s3: Any, requested: int, expected: int) -> None:
    write_package(s3, BUCKET, PACKAGE, 20)
    page = ManifestReader(s3, BUCKET).page(PACKAGE, requested, page_size=15)
    assert page.page == expected
    assert len(page.files) == (15 if expected == 0 else 5)


def test_empty_package_has_one_empty_page(s3: Any) -> None:
    write_package(s3, BUCKET, PACKAGE, 0)
    page = ManifestReader(s3, BUCKET).page(PACKAGE, 4)
    assert (page.page, page.page_count, page.files, page.has_next) == (0, 1, (), False)


def test_missing_package_is_not_found(s3: Any) -> None:
    with pytest.raises(PackageNotFoundError, match="does not exist"):
        ManifestReader(s3, BUCKET).revision(PACKAGE)


@pytest.mark.parametrize(("pointer", "manifest", "message"), [
    (b"not-a-hash", None, "does not hold a top hash"),
    (b"b" * 64, None, "is missing"),
    (b"c" * 64, b"{broken\n", "not valid JSON Lines"),
    (b"d" * 64, b"", "is empty"),
])
def test_corrupt_registry_is_a_manifest_error(s3: Any, pointer: bytes, manifest: bytes | None, message: str) -> None:
    s3.put_object(Bucket=BUCKET, Key=f".quilt/named_packages/{PACKAGE}/latest", Body=pointer)
    if manifest is not None:
        s3.put_object(Bucket=BUCKET, Key=f".quilt/packages/{pointer.decode()}", Body=manifest)
    with pytest.raises(ManifestError, match=message):
        ManifestReader(s3, BUCKET).revision(PACKAGE)


def test_pointer_reads_only_the_latest_pointer(s3: Any) -> None:
    top_hash = write_package(s3, BUCKET, PACKAGE, 3, message="m")
    pointer = ManifestReader(s3, BUCKET).pointer(PACKAGE)
    assert (pointer.top_hash, pointer.message, pointer.file_count) == (top_hash, None, 0)
    assert pointer.updated_at is not None
