"""Issue 11's stack parts: alarms, the optional SNS topic, the dashboard, and the sizing options."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.slow


def _alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            name = next(n for n in ("Api5xxRate", "ApiLatencyP99", "InboxDeadLetters", "InboxAge", "TasksBelowMin",
                                      "RevisionEventDeadLetters")
                        if logical_id.startswith(f"Monitoring{n}"))
            found[name] = resource["Properties"]
    return found


def test_every_alarm_exists_without_an_email(seed_template) -> None:  # type: ignore[no-untyped-def]
    alarms = _alarms(seed_template)
    assert set(alarms) == {"Api5xxRate", "ApiLatencyP99", "InboxDeadLetters", "InboxAge", "TasksBelowMin",
                           "RevisionEventDeadLetters"}  # packager mode: revision events too
    assert alarms["Api5xxRate"]["Threshold"] == 5
    assert "100 * errors / requests" in json.dumps(alarms["Api5xxRate"]["Metrics"])
    latency = alarms["ApiLatencyP99"]
    assert (latency["MetricName"], latency["ExtendedStatistic"], latency["Threshold"]) == (
        "IntegrationLatency", "p99", 3000)
    assert alarms["InboxDeadLetters"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarms["InboxDeadLetters"]["Threshold"] == 1
    assert alarms["InboxAge"]["MetricName"] == "ApproximateAgeOfOldestMessage"
    tasks = alarms["TasksBelowMin"]
    assert (tasks["Namespace"], tasks["MetricName"], tasks["Threshold"], tasks["TreatMissingData"]) == (
        "ECS/ContainerInsights", "RunningTaskCount", 2, "breaching")
    assert all("AlarmActions" not in a for a in alarms.values())
    assert not [r for r in seed_template["Resources"].values() if r["Type"].startswith("AWS::SNS::")]
    cluster = next(r for r in seed_template["Resources"].values() if r["Type"] == "AWS::ECS::Cluster")
    assert cluster["Properties"]["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enabled"}]


def test_alarm_email_adds_a_topic_that_every_alarm_notifies(vpc_template) -> None:  # type: ignore[no-untyped-def]
    topic_id = next(k for k, r in vpc_template["Resources"].items() if r["Type"] == "AWS::SNS::Topic")
    subscription = next(r["Properties"] for r in vpc_template["Resources"].values()
                        if r["Type"] == "AWS::SNS::Subscription")
    assert subscription["Protocol"] == "email" and subscription["Endpoint"] == "oncall@example.com"
    alarms = _alarms(vpc_template)
    assert all(a["AlarmActions"] == [{"Ref": topic_id}] for a in alarms.values())
    assert alarms["TasksBelowMin"]["Threshold"] == 1  # follows minTasks


def test_dashboard_has_the_service_queue_and_api_metrics(seed_template) -> None:  # type: ignore[no-untyped-def]
    dashboard = next(r for r in seed_template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard")
    assert "DashboardName" not in dashboard["Properties"]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in ("Count", "4xx", "5xx", "Latency", "IntegrationLatency", "CPUUtilization", "MemoryUtilization",
                   "RunningTaskCount", "DesiredTaskCount", "ApproximateNumberOfMessagesVisible",
                   "ApproximateAgeOfOldestMessage"):
        assert f'\\"{metric}\\"' in body, metric


def test_one_nat_gateway_option(single_nat_template) -> None:  # type: ignore[no-untyped-def]
    resources = single_nat_template["Resources"].values()
    assert sum(r["Type"] == "AWS::EC2::NatGateway" for r in resources) == 1
    nat_routes = [r for r in resources if r["Type"] == "AWS::EC2::Route" and "NatGatewayId" in r["Properties"]]
    assert len(nat_routes) == 2 and len({json.dumps(r["Properties"]["NatGatewayId"]) for r in nat_routes}) == 1
