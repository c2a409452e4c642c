"""The image's build stage, replayed without Docker (no daemon runs here).

The Dockerfile's build stage copies a few paths and installs the runtime part of ``uv.lock`` plus the
package built from them into a venv the runtime stage copies. Here the same step runs on exactly the
paths the Dockerfile copies, in a scratch folder, offline from the cache ``uv sync`` filled (the image
downloads from the index instead): a wheel that cannot be built from
those paths, a runtime dependency missing from the lock, or data left outside the package fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "docker" / "Dockerfile"
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
# Resolved now, before the autouse isolation fixture points HOME at a scratch folder.
UV_CACHE = subprocess.run([UV, "cache", "dir"], capture_output=True, text=True).stdout.strip() if UV else ""

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not UV, reason="uv is installed by the README's commands")]


def _build_stage_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY in the build stage."""
    stage = DOCKERFILE.read_text().split("\nFROM ")[1]  # [0] is the header comment
    return [(line.split()[1:-1], line.split()[-1]) for line in stage.splitlines() if line.startswith("COPY ")]


def _uv(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    full.update(env or {}, UV_CACHE_DIR=UV_CACHE)
    out = subprocess.run([str(UV), *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def test_the_build_stage_copies_what_a_wheel_build_needs() -> None:
    copies = _build_stage_copies()
    copied = {source for sources, _ in copies for source in sources}
    assert {"pyproject.toml", "uv.lock", "README.md", "src"} <= copied
    assert not any(source.startswith("tests") for source in copied)


def test_replayed_build_context_installs_a_working_server(tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    for sources, destination in _build_stage_copies():
        for source in sources:
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, context / destination, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(ROOT / source, context / destination / source)

    venv = tmp_path / "venv"
    _uv("venv", "--python", sys.executable, str(venv), cwd=tmp_path)
    # The Dockerfile's `uv sync --frozen --no-dev --no-editable`, offline from the cache `uv sync` filled.
    _uv("sync", "--frozen", "--no-dev", "--no-editable", "--offline", cwd=context,
        env={"UV_PROJECT_ENVIRONMENT": str(venv)})
    installed = _uv("pip", "freeze", "--python", str(venv / "bin" / "python"), cwd=tmp_path).stdout.lower()
    for runtime in ("fastapi==", "boto3==", "quilt3==", "benchling-sdk=="):
        assert runtime in installed
    for absent in ("moto==", "aws-cdk-lib==", "pytest=="):
        assert absent not in installed, "the image carries no emulator, CDK or test tools"
    packaged = list((venv / "lib").glob("python3*/site-packages/benchling_webhook/sandbox/fixtures/api/get-entry.json"))
    assert packaged, "the sandbox's fixtures are package data"

    serve = subprocess.run([str(venv / "bin" / "benchling-webhook"), "serve", "--help"], capture_output=True,
                           text=True, timeout=60, cwd=tmp_path)
    assert serve.returncode == 0, serve.stderr
    assert "--role" in serve.stdout
