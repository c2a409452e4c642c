from __future__ import annotations

import io
import os

import pytest
from quilt3.checksums import calculate_multipart_checksum_bytes

from benchling_webhook.server.worker.s3io import HashingReader, quilt_hash, quilt_part_size

MIB = 1024 * 1024


@pytest.mark.parametrize("size", [0, 1, 8 * MIB - 1, 8 * MIB, 8 * MIB + 1, 17 * MIB + 3])
def test_streaming_hash_equals_quilts_checksum(size: int) -> None:
    data = os.urandom(size)
    reader = HashingReader(iter([data[i:i + 777_777] for i in range(0, size, 777_777)]))
    assert reader.read() == data
    assert reader.hasher.value() == quilt_hash(data) == calculate_multipart_checksum_bytes(
        data, checksum_type="sha2-256-chunked")


def test_reads_are_full_blocks_until_the_end() -> None:
    reader = HashingReader(iter([b"a" * 1000] * 10), expected_size=10_000)
    sizes = [len(reader.read(3000)) for _ in range(5)]
    assert sizes == [3000, 3000, 3000, 1000, 0]
    assert not reader.seekable()


def test_part_size_doubles_past_ten_thousand_parts() -> None:
    assert quilt_part_size(10_000 * 8 * MIB) == 8 * MIB
    assert quilt_part_size(10_000 * 8 * MIB + 1) == 16 * MIB


def test_unknown_size_with_a_wrong_part_guess_gives_no_hash() -> None:
    reader = HashingReader(io.BytesIO(b"x"))
    reader.hasher.part_size = 16 * MIB  # as if the size had been guessed wrong
    reader.read()
    assert reader.hasher.value() is None
