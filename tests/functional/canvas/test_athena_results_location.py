"""The container contract for linked-package queries, end to end: profile → the stack's container environment
(``build_stack_inputs``) → ``ServerSettings`` read from that environment → the canvas's Athena query in moto.

The query must run in the configured workgroup and write its results where the task role may write (the
default: a prefix of the package bucket outside every package) — otherwise a real deployment fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.constants import EnvVars
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.moto_server import MotoServer
from benchling_webhook.server.canvas.state import CanvasState, View
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.stack.inputs import build_stack_inputs
from tests.functional.canvas.conftest import BUCKET, DISPLAY_ID, ENTRY_ID, PACKAGE, press, seed_canvas, shown
from tests.functional.canvas.registry import seed_athena_results, write_package
from tests.helpers import minimal_profile


def _container_settings(quilt: dict[str, Any], aws: MotoServer, sandbox: SandboxServer,
                        monkeypatch: pytest.MonkeyPatch) -> ServerSettings:
    """Settings exactly as the deployed container would read them (the stack's environment, then AWS/sandbox)."""
    profile = ProfileConfig.model_validate(minimal_profile(quilt={"database": "quilt_db", **quilt}))
    for name, value in build_stack_inputs(profile, "dev").env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(EnvVars.BENCHLING_BASE_URL, sandbox.url)
    return ServerSettings()


def _last_execution(aws: MotoServer) -> dict[str, Any]:
    athena = aws.client("athena")
    (execution_id,) = athena.list_query_executions()["QueryExecutionIds"]
    return dict(athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"])


def test_default_results_land_beside_the_packages_not_in_them(
        sandbox: SandboxServer, client: Any, s3: Any, aws: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchling_webhook.server.canvas.hooks import create_canvas_hooks

    settings = _container_settings({}, aws, sandbox, monkeypatch)
    assert (settings.athena_workgroup, settings.athena_output_location) == (
        "primary", f"s3://{BUCKET}/.benchling-webhook/athena-results/")
    hooks = create_canvas_hooks(settings, client, athena_timeout=5.0)
    assert hooks is not None
    write_package(s3, BUCKET, PACKAGE, 1)
    seed_athena_results(aws.endpoint_url, ["analysis/screen-2"])
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.BROWSE).to_data())

    press(sandbox, hooks, canvas, "back")

    assert "Linked packages: analysis/screen-2" in shown(sandbox, canvas)
    execution = _last_execution(aws)
    assert execution["WorkGroup"] == "primary"
    location = execution["ResultConfiguration"]["OutputLocation"]
    assert location == f"s3://{BUCKET}/.benchling-webhook/athena-results/{execution['QueryExecutionId']}.csv"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    results = [k for k in keys if k.startswith(".benchling-webhook/athena-results/")]
    assert results == [f".benchling-webhook/athena-results/{execution['QueryExecutionId']}.csv"]
    assert not location.startswith(f"s3://{BUCKET}/{settings.package_prefix}/")  # no package ever contains it


def test_configured_workgroup_and_location_are_used(
        sandbox: SandboxServer, client: Any, s3: Any, aws: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchling_webhook.server.canvas.hooks import create_canvas_hooks

    aws.client("athena").create_work_group(Name="QuiltUserAthena-wg",
                                           Configuration={"EnforceWorkGroupConfiguration": False})
    s3.create_bucket(Bucket="quilt-athena-results")
    settings = _container_settings({"athenaWorkgroup": "QuiltUserAthena-wg",
                                    "athenaResultsLocation": "s3://quilt-athena-results/bw"}, aws, sandbox, monkeypatch)
    hooks = create_canvas_hooks(settings, client, athena_timeout=5.0)
    assert hooks is not None
    write_package(s3, BUCKET, PACKAGE, 1)
    seed_athena_results(aws.endpoint_url, [])
    canvas = seed_canvas(sandbox, CanvasState(ENTRY_ID, DISPLAY_ID, View.BROWSE).to_data())

    press(sandbox, hooks, canvas, "back")

    assert "unavailable" not in shown(sandbox, canvas)
    execution = _last_execution(aws)
    assert execution["WorkGroup"] == "QuiltUserAthena-wg"
    assert execution["ResultConfiguration"]["OutputLocation"].startswith("s3://quilt-athena-results/bw/")
