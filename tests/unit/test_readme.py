"""The README's front-door commands are the ones CI runs, and they install from the lock."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _quick_start() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", readme, re.S)
    assert block, "README has a Quick start with a bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_installing_from_the_lock() -> None:
    demo, tests = _quick_start()
    assert demo.endswith("benchling-webhook demo")
    for command in (demo, tests):
        assert "uv sync --frozen" in command
        assert "uv run --frozen" in command


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == _quick_start()[1]
    assert "uv sync --frozen --extra test" in ci


def test_uv_version_is_the_same_everywhere() -> None:
    places = [ROOT / "README.md", ROOT / ".ci" / "run", ROOT / "pyproject.toml",
              ROOT / "src" / "benchling_webhook" / "image" / "Dockerfile"]
    versions = {v for path in places for v in re.findall(r"uv==([\d.]+)", path.read_text())}
    assert len(versions) == 1, versions
