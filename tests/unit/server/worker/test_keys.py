"""Package names and object keys: one package per display id, every key within S3's 1024 bytes."""

from __future__ import annotations

import pytest

from benchling_webhook.server.worker.keys import MAX_KEY_BYTES, fit_bytes
from benchling_webhook.server.worker.metadata import package_segment

WIDE = "\U00020000"  # a CJK letter of four UTF-8 bytes (a word character, so kept in file names)


def test_clean_display_ids_keep_their_name() -> None:
    assert package_segment("EXP26000042") == "EXP26000042"
    assert package_segment("EXP-1_b") == "EXP-1_b"


def test_display_ids_that_clean_up_alike_get_distinct_packages() -> None:
    names = {package_segment(d) for d in ("EXP 1", "EXP/1", "EXP..1", "EXP-1", "EXP:1")}
    assert len(names) == 5
    assert all(n.startswith("EXP-1") for n in names)
    assert package_segment("EXP 1") == package_segment("EXP 1")  # stable across runs


def test_long_names_are_cut_on_a_character_boundary_with_a_hash_and_the_extension() -> None:
    name = "attachments/" + WIDE * 255 + ".pdf"  # 255 four-byte characters: 1,036 bytes
    fitted = fit_bytes(name, 1000)
    assert len(fitted.encode()) <= 1000 and fitted.endswith(".pdf") and fitted.startswith("attachments/" + WIDE)
    fitted.encode().decode("utf-8")  # valid UTF-8: no half character
    other = fit_bytes("attachments/" + WIDE * 254 + "\U00020001.pdf", 1000)
    assert other != fitted and len(other.encode()) <= 1000
    assert fit_bytes(name, 1000) == fitted
    assert fit_bytes("short.pdf", 1000) == "short.pdf"


@pytest.mark.parametrize("prefix", ["benchling/EXP26000042/", "benchling/" + "E" * 120 + "/"])
def test_a_key_under_any_package_prefix_fits_s3(prefix: str) -> None:
    logical = fit_bytes("attachments/" + "ü" * 600 + ".csv", MAX_KEY_BYTES - len(prefix.encode()))
    assert len((prefix + logical).encode()) <= MAX_KEY_BYTES
