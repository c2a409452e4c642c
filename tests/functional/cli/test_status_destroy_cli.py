"""``status`` and ``destroy`` against moto (CloudFormation + ECS) and a loopback ``/health`` endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from benchling_webhook.constants import StackOutputs
from tests.functional.stack.moto_cfn import emulate_failed_delete, set_stack_status
from tests.helpers import imported_modules, minimal_profile, write_profile

STACK = "BenchlingWebhookStack-dev"


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"status": "healthy", "version": "0.10.0"}).encode()
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _deployed(aws: Any, url: str, *, with_service: bool = True, verification: str = "true") -> None:
    outputs: dict[str, Any] = {StackOutputs.WEBHOOK_URL: {"Value": url},
                               StackOutputs.INBOX_QUEUE_URL: {"Value": {"Ref": "Inbox"}}}
    if with_service:
        ecs = aws.client("ecs")
        ecs.create_cluster(clusterName="bw-cluster")
        environment = [{"name": "ENABLE_WEBHOOK_VERIFICATION", "value": verification}]
        ecs.register_task_definition(family="bw", containerDefinitions=[{"name": "webhook", "image": "x",
                                                                         "memory": 2048,
                                                                         "environment": environment}],
                                     requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="1024",
                                     memory="2048")
        ecs.create_service(cluster="bw-cluster", serviceName="bw-service", taskDefinition="bw", desiredCount=2,
                           launchType="FARGATE")
        outputs[StackOutputs.CLUSTER_NAME] = {"Value": "bw-cluster"}
        outputs[StackOutputs.SERVICE_NAME] = {"Value": "bw-service"}
    template = {"Resources": {"Inbox": {"Type": "AWS::SQS::Queue"}}, "Outputs": outputs}
    aws.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(template))


@pytest.fixture
def dev(isolation: Path) -> Path:
    return write_profile(isolation, "dev", minimal_profile())


def test_status_shows_stack_outputs_service_and_health(cli, aws, dev, endpoint) -> None:  # type: ignore[no-untyped-def]
    _deployed(aws, endpoint)
    result = cli("status", "--profile", "dev")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == endpoint
    err = result.stderr
    assert f"stack {STACK} (us-east-1): CREATE_COMPLETE" in err
    assert "service bw-service: 0/2 running, 2 pending, rollout IN_PROGRESS" in err
    assert "✓ endpoint healthy: healthy in" in err
    assert "InboxQueueUrl" in err
    assert "verification is OFF" not in err


def test_status_says_when_the_service_runs_without_signature_checks(cli, aws, dev, endpoint) -> None:  # type: ignore[no-untyped-def]
    _deployed(aws, endpoint, verification="false")
    result = cli("status", "--profile", "dev")
    assert result.exit_code == 0, result.output
    assert "webhook signature verification is OFF (ENABLE_WEBHOOK_VERIFICATION=false)" in result.stderr


def test_status_json_and_watch_until_settled(cli, aws, dev, endpoint) -> None:  # type: ignore[no-untyped-def]
    _deployed(aws, endpoint, with_service=False)
    result = cli("status", "--profile", "dev", "--json")
    data = json.loads(result.stdout)
    assert data["status"] == "CREATE_COMPLETE" and data["health"]["ok"] is True
    assert data["outputs"][StackOutputs.WEBHOOK_URL] == endpoint
    result = cli("status", "--profile", "dev", "--watch", "--interval", "0")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("CREATE_COMPLETE") == 1


def test_status_of_a_missing_stack_points_at_deploy(cli, aws, dev) -> None:  # type: ignore[no-untyped-def]
    result = cli("status", "--profile", "dev")
    assert result.exit_code == 0, result.output
    assert f"stack {STACK} does not exist in us-east-1" in result.stderr
    assert "benchling-webhook deploy" in result.stderr


def test_status_reports_an_unreachable_endpoint(cli, aws, dev) -> None:  # type: ignore[no-untyped-def]
    _deployed(aws, "http://127.0.0.1:9", with_service=False)
    result = cli("status", "--profile", "dev")
    assert result.exit_code == 0, result.output
    assert "warning: endpoint unhealthy: no answer ConnectError" in result.stderr


def test_destroy_deletes_the_stack_after_confirmation(cli, aws, dev, endpoint) -> None:  # type: ignore[no-untyped-def]
    _deployed(aws, endpoint, with_service=False)
    result = cli("destroy", "--profile", "dev", input="n\n")
    assert result.exit_code == 1, result.output
    assert f"Delete stack {STACK} in us-east-1?" in result.stderr
    assert "error: destroy cancelled; nothing was deleted" in result.stderr
    result = cli("destroy", "--profile", "dev", "--yes")
    assert result.exit_code == 0, result.output
    assert "DELETE_COMPLETE" in result.stderr and f"✓ deleted {STACK} in us-east-1" in result.stderr
    stacks = aws.client("cloudformation").list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in stacks] == ["DELETE_COMPLETE"]
    result = cli("destroy", "--profile", "dev", "--yes")
    assert result.exit_code == 0, result.output
    assert f"stack {STACK} does not exist in us-east-1: nothing to delete" in result.stderr


def test_a_delete_that_fails_names_the_resource_that_stayed(cli, aws, dev, endpoint, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _deployed(aws, endpoint, with_service=False)
    emulate_failed_delete(monkeypatch, "Data", "AWS::S3::Bucket", "The bucket you tried to delete is not empty")
    result = cli("destroy", "--profile", "dev", "--yes")
    assert result.exit_code == 1, result.output
    error, hint = result.stderr.strip().splitlines()[-2:]
    assert error == (f"error: delete of {STACK} failed: DELETE_FAILED: Data (AWS::S3::Bucket) "
                     "The bucket you tried to delete is not empty")
    assert hint == "hint: remove or empty the resource named above, then run destroy again"


def test_destroy_refuses_a_busy_stack(cli, aws, dev, endpoint) -> None:  # type: ignore[no-untyped-def]
    _deployed(aws, endpoint, with_service=False)
    set_stack_status(STACK, "UPDATE_IN_PROGRESS")
    result = cli("destroy", "--profile", "dev", "--yes")
    assert result.exit_code == 1, result.output
    assert f"error: stack {STACK}: is in state UPDATE_IN_PROGRESS" in result.stderr
    assert "status --watch" in result.stderr


def test_status_and_destroy_never_start_node(aws, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    code = (
        "from typer.testing import CliRunner\nfrom benchling_webhook.cli.app import app\n"
        "for args in (['status'], ['destroy', '--yes']):\n"
        "    r = CliRunner().invoke(app, args)\n    assert r.exit_code == 0, r.output"
    )
    assert imported_modules(code, ("aws_cdk", "jsii")) == []


def test_status_shows_last_hour_metrics_and_alarms_with_hints(cli, aws, dev, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """CloudWatch data and alarm state are seeded in moto (p99 statistics: moto returns no data -> n/a). The
    endpoint is an API Gateway host name (the API id comes from it), so its health check is stubbed to stay
    on loopback."""
    from datetime import UTC, datetime, timedelta

    from benchling_webhook.ops.status import EndpointHealth

    monkeypatch.setattr("benchling_webhook.ops.status.check_health", lambda url: EndpointHealth(url, True))

    url = "https://abc123.execute-api.us-east-1.amazonaws.com"
    outputs = {StackOutputs.WEBHOOK_URL: {"Value": url},
               StackOutputs.INBOX_QUEUE_URL: {"Value": "https://sqs.us-east-1.amazonaws.com/123456789012/inbox.fifo"},
               StackOutputs.INBOX_DLQ_URL: {"Value": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq.fifo"}}
    aws.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(
        {"Resources": {"Inbox": {"Type": "AWS::SQS::Queue"}}, "Outputs": outputs}))
    cw = aws.client("cloudwatch")
    now = datetime.now(UTC) - timedelta(minutes=5)
    cw.put_metric_data(Namespace="AWS/ApiGateway", MetricData=[
        {"MetricName": "Count", "Dimensions": [{"Name": "ApiId", "Value": "abc123"}], "Value": 40, "Timestamp": now},
        {"MetricName": "Count", "Dimensions": [{"Name": "ApiId", "Value": "abc123"}], "Value": 2, "Timestamp": now},
        {"MetricName": "5xx", "Dimensions": [{"Name": "ApiId", "Value": "abc123"}], "Value": 3, "Timestamp": now}])
    cw.put_metric_data(Namespace="AWS/SQS", MetricData=[
        {"MetricName": "ApproximateNumberOfMessagesVisible", "Dimensions": [{"Name": "QueueName", "Value": "dlq.fifo"}],
         "Value": 4, "Timestamp": now}])
    name = f"{STACK}-MonitoringInboxDeadLetters9E5920EC-AB12CD"
    cw.put_metric_alarm(AlarmName=name, MetricName="ApproximateNumberOfMessagesVisible", Namespace="AWS/SQS",
                        Statistic="Maximum", Period=300, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed: 1 datapoint [4.0]")
    result = cli("status", "--profile", "dev")
    assert result.exit_code == 0, result.output
    assert "last hour: 42 requests, 3 5xx, p99 n/a, inbox n/a, DLQ 4, CPU n/a, memory n/a" in result.stderr
    assert "warning: alarm InboxDeadLetters is in ALARM: Threshold Crossed: 1 datapoint [4.0]" in result.stderr
    assert "hint: events failed for good" in result.stderr


@pytest.mark.parametrize(("args", "said"), [
    (("--profile", "dev", "--region", "eu-west-1"), "AWS region eu-west-1 (from --region)"),
    (("--profile", "dev"), "AWS region us-east-1 (from the profile's deployment.region)"),
    (("--profile", "nosuch"), "AWS region us-east-1 (from AWS_REGION)"),
])
def test_verbose_says_where_the_region_came_from(cli, aws, dev, args, said) -> None:  # type: ignore[no-untyped-def]
    result = cli("--verbose", "status", *args)
    assert result.exit_code == 0, result.output
    assert said in result.stderr
