from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import benchling_webhook.setup
from benchling_webhook.cli.prompts import NonInteractiveAsker
from benchling_webhook.config.models import PackagesConfig, QuiltConfig
from benchling_webhook.errors import ConfigError
from benchling_webhook.setup.packages import BucketStep
from benchling_webhook.setup.quilt import QuiltStep
from benchling_webhook.setup.step import Finding, Interview, ProfileDraft
from tests.unit.setup.support import ScriptedAsker, mock_services


def _quiet(level: str, text: str) -> None:
    return None


def test_a_valid_flag_answers_and_a_second_try_asks_again() -> None:
    asker = ScriptedAsker({"prefix": "eln"})
    interview = Interview(asker, {"prefix": "lab", "tenant": None}, _quiet)
    assert interview.ask("prefix", "benchling") == "lab"
    assert asker.asked == []
    assert interview.again().ask("prefix", "lab") == "eln"
    assert asker.asked == [("prefix", "lab")]
    assert interview.given("tenant") is None


def test_an_invalid_flag_names_the_flag_when_not_interactive() -> None:
    interview = Interview(NonInteractiveAsker(), {"prefix": "a/b"}, _quiet)
    with pytest.raises(ConfigError, match=r"^--prefix 'a/b': enter one path segment without '/'"):
        interview.ask("prefix")


def test_a_step_collects_checks_and_builds_on_its_own() -> None:
    quilt = QuiltStep(QuiltConfig())
    quilt.config = QuiltConfig(bucket="quilt-data")
    step, services = BucketStep(quilt, PackagesConfig(bucket="")), mock_services()
    asker = ScriptedAsker({"bucket": "s3://other-bucket/x"})
    step.collect(Interview(asker, {}, _quiet), services)
    assert asker.asked == [("bucket", "quilt-data")]
    assert step.check(services) == [Finding("success", "bucket other-bucket is reachable (us-east-1)")]
    draft = ProfileDraft()
    step.build(draft)
    assert (draft.packages, step.region) == ({"bucket": "other-bucket"}, "us-east-1")


def test_setup_modules_import_each_other_without_cycles() -> None:
    """Counting imports under ``if TYPE_CHECKING:`` too: a type-only cycle is still a cycle."""
    package = Path(benchling_webhook.setup.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        imported = {node.module for node in ast.walk(ast.parse(path.read_text()))
                    if isinstance(node, ast.ImportFrom) and node.module}
        graph[path.stem] = {name.rsplit(".", 1)[1] for name in imported if name.startswith("benchling_webhook.setup.")}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import cycle in setup/: {exc.args[1]}")
