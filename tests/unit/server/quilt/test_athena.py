from __future__ import annotations

from typing import Any
from unittest.mock import Mock

import pytest

from benchling_webhook.server.quilt.athena import LinkedPackageFinder, build_linked_query, sql_string_literal
from tests.helpers import FakeClock


def test_the_display_id_is_a_parameter_never_sql_text() -> None:
    sql = build_linked_query("quilt_db", "my-bucket", "experiment_id")
    assert sql == ('SELECT DISTINCT pkg_name FROM "quilt_db"."my-bucket_packages-view" '
                   "WHERE timestamp = 'latest' AND json_extract_scalar(user_meta, '$.experiment_id') = ? "
                   "ORDER BY pkg_name LIMIT 51")
    assert sql_string_literal("EXP'; DROP TABLE x; --") == "'EXP''; DROP TABLE x; --'"


@pytest.mark.parametrize(("database", "bucket", "key"), [
    ('db"; --', "b-1", "k"), ("db", "Bad_Bucket", "k"), ("db", "b-1", "k') OR 1=1 --"), ("db", "b-1", "1abc"),
])
def test_unsafe_configuration_is_refused(database: str, bucket: str, key: str) -> None:
    with pytest.raises(ValueError):
        build_linked_query(database, bucket, key)


def _athena(states: list[str], rows: list[str] | None = None) -> Any:
    athena = Mock(spec=["start_query_execution", "get_query_execution", "get_paginator", "stop_query_execution"])
    athena.start_query_execution.return_value = {"QueryExecutionId": "q1"}
    athena.get_query_execution.side_effect = [
        {"QueryExecution": {"Status": {"State": s, "StateChangeReason": "bad view"}}} for s in states]
    page = {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": "pkg_name"}]}]
                          + [{"Data": [{"VarCharValue": n}]} for n in rows or []]}}
    athena.get_paginator.return_value.paginate.return_value = [page]
    return athena


def test_finder_polls_until_success_and_excludes_the_own_package() -> None:
    athena = _athena(["QUEUED", "RUNNING", "SUCCEEDED"], ["b/two", "benchling/EXP1", "a/one", "a/one"])
    clock = FakeClock()
    finder = LinkedPackageFinder(athena, "db", "bucket", "experiment_id", sleep=clock.sleep, clock=clock)
    found = finder.find("EXP1", exclude="benchling/EXP1")
    assert found.names == ("a/one", "b/two") and found.warning is None
    assert len(clock.waits) == 2
    kwargs = athena.start_query_execution.call_args.kwargs
    assert kwargs["ExecutionParameters"] == ["'EXP1'"] and "EXP1" not in kwargs["QueryString"]
    assert "ResultConfiguration" not in kwargs


def test_failed_query_is_a_warning() -> None:
    finder = LinkedPackageFinder(_athena(["FAILED"]), "db", "bucket", "experiment_id", sleep=FakeClock().sleep)
    assert finder.find("EXP1").warning == "Linked packages are unavailable right now (Athena query failed)."


def test_timeout_stops_the_query_and_is_a_warning() -> None:
    clock = FakeClock()
    athena = _athena(["RUNNING"] * 100)
    finder = LinkedPackageFinder(athena, "db", "bucket", "experiment_id", timeout=1.0, sleep=clock.sleep,
                                 clock=clock, output_location="s3://results/")
    assert finder.find("EXP1").warning == "Linked packages are unavailable right now (Athena did not answer in time)."
    athena.stop_query_execution.assert_called_once_with(QueryExecutionId="q1")
    assert athena.start_query_execution.call_args.kwargs["ResultConfiguration"] == {"OutputLocation": "s3://results/"}


def test_unsafe_configuration_is_a_warning_not_a_crash() -> None:
    finder = LinkedPackageFinder(_athena([]), "db", "Bad_Bucket", "experiment_id")
    assert finder.find("EXP1").warning == "Linked packages are unavailable right now (configuration)."
