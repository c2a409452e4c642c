"""The build context: three files, a reproducible wheel of the running package, the Dockerfile's contract."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from benchling_webhook import __version__
from benchling_webhook.image.context import DOCKERFILE, write_context
from benchling_webhook.stack.inputs import COMMAND, HEALTH_CHECK


def test_context_holds_exactly_the_dockerfile_the_lock_and_this_versions_wheel(tmp_path: Path) -> None:
    context = write_context(tmp_path / "ctx")
    names = sorted(p.name for p in (tmp_path / "ctx").iterdir())
    assert names == sorted(["Dockerfile", "pylock.toml", f"benchling_webhook-{__version__}-py3-none-any.whl"])
    assert context.tag.startswith(f"{__version__}-") and len(context.tag) == len(__version__) + 13


def test_the_wheel_is_reproducible_and_carries_package_data(tmp_path: Path) -> None:
    first, second = write_context(tmp_path / "a"), write_context(tmp_path / "b")
    assert first.wheel.read_bytes() == second.wheel.read_bytes()
    assert first.digest == second.digest
    with zipfile.ZipFile(first.wheel) as wheel:
        names = wheel.namelist()
        assert "benchling_webhook/sandbox/fixtures/api/get-entry.json" in names
        assert "benchling_webhook/image/Dockerfile" in names and "benchling_webhook/image/pylock.toml" in names
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        dist_info = f"benchling_webhook-{__version__}.dist-info"
        metadata = wheel.read(f"{dist_info}/METADATA").decode()
        assert f"Version: {__version__}" in metadata and "Requires-Dist: fastapi" in metadata
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode()
        assert "benchling-webhook = benchling_webhook.cli.app:main" in entry_points
        record = wheel.read(f"{dist_info}/RECORD").decode().splitlines()
        assert len(record) == len(names) and all(line.count(",") == 2 for line in record)


def test_rewriting_a_context_replaces_the_old_wheel(tmp_path: Path) -> None:
    (tmp_path / "benchling_webhook-0.0.1-py3-none-any.whl").write_bytes(b"old")
    write_context(tmp_path)
    assert [p.name for p in tmp_path.glob("*.whl")] == [f"benchling_webhook-{__version__}-py3-none-any.whl"]


def test_dockerfile_copies_the_context_is_slim_non_root_and_checks_health_without_curl() -> None:
    text = DOCKERFILE.read_text()
    copies = re.findall(r"^COPY (?!--from)(\S+) ", text, re.M)
    assert sorted(copies) == ["*.whl", "pylock.toml"]
    assert "-r /context/pylock.toml" in text and "--no-deps /context/*.whl" in text
    assert re.search(r"^FROM python:3\.\d+-slim$", text, re.M)
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] != "root"
    assert "EXPOSE 8080" in text
    health = re.search(r"HEALTHCHECK .*?CMD (\[.*?\])$", text, re.S | re.M)
    assert health is not None and "curl" not in text.split("HEALTHCHECK")[1]
    assert json.loads(health.group(1)) == HEALTH_CHECK[1:]  # the same check the task definition runs
    assert json.loads(re.findall(r"^CMD (\[.*\])$", text, re.M)[-1]) == COMMAND
