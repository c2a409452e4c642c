"""The image build, replayed without Docker (no daemon runs here), and the lock it installs kept fresh.

The Dockerfile's build stage installs ``pylock.toml`` and then the wheel, both from the context that
``benchling-webhook image context`` writes. Here the same two installs run on that context in a fresh venv,
offline from the cache ``uv sync`` filled (the image downloads from the index instead): a wheel missing a
module or data file, a runtime dependency missing from the lock, or a lock that does not install fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchling_webhook.image.context import DOCKERFILE, PYLOCK, write_context

ROOT = Path(__file__).resolve().parents[3]
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv") or "uv"
# Resolved now, before the autouse isolation fixture points HOME at a scratch folder.
UV_CACHE = subprocess.run([UV, "cache", "dir"], capture_output=True, text=True).stdout.strip()

pytestmark = pytest.mark.slow


def uv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env["UV_CACHE_DIR"] = UV_CACHE
    out = subprocess.run([UV, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out


def test_the_packaged_lock_is_the_runtime_part_of_uv_lock(tmp_path: Path) -> None:
    exported = tmp_path / "pylock.toml"
    uv("export", "--frozen", "--no-dev", "--no-emit-project", "--format", "pylock.toml", "--quiet",
       "--output-file", str(exported), cwd=ROOT)

    def body(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if not line.startswith("#"))

    assert body(exported.read_text()) == body(PYLOCK.read_text()), (
        "src/benchling_webhook/image/pylock.toml is stale; refresh it with: uv export --frozen --no-dev "
        "--no-emit-project --format pylock.toml -o src/benchling_webhook/image/pylock.toml")
    names = set(line.split('"')[1] for line in PYLOCK.read_text().splitlines() if line.startswith("name = "))
    assert {"fastapi", "boto3", "quilt3", "benchling-sdk"} <= names
    assert not names & {"moto", "aws-cdk-lib", "pytest"}, "the image carries no emulator, CDK or test tools"


def test_the_context_installs_a_working_server(tmp_path: Path) -> None:
    context = write_context(tmp_path / "context")
    text = DOCKERFILE.read_text()
    assert "uv pip install --python /opt/venv/bin/python -r /context/pylock.toml" in text
    assert "uv pip install --python /opt/venv/bin/python --no-deps /context/*.whl" in text

    venv = tmp_path / "venv"
    python = str(venv / "bin" / "python")
    uv("venv", "--quiet", "--python", sys.executable, str(venv), cwd=tmp_path)
    uv("pip", "install", "--offline", "--python", python, "-r", str(context.directory / "pylock.toml"), cwd=tmp_path)
    uv("pip", "install", "--offline", "--python", python, "--no-deps", str(context.wheel), cwd=tmp_path)
    uv("pip", "check", "--python", python, cwd=tmp_path)

    env = {"PATH": str(venv / "bin"), "HOME": str(tmp_path)}
    serve = subprocess.run([str(venv / "bin" / "benchling-webhook"), "serve", "--help"], capture_output=True,
                           text=True, timeout=60, cwd=tmp_path, env=env)
    assert serve.returncode == 0, serve.stderr
    assert "--role" in serve.stdout
    data = subprocess.run([python, "-c", "from benchling_webhook.sandbox.api import FIXTURES; "
                                         "print((FIXTURES / 'get-entry.json').is_file())"],
                          capture_output=True, text=True, timeout=60, env=env)
    assert data.stdout.strip() == "True", data.stderr
