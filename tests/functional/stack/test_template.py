"""The full template: CDK assertions for every property of the stack (docs/architecture.md), cfn-lint, cdk-nag.

moto's CloudFormation cannot create ApiGatewayV2/ServiceDiscovery/AppAutoScaling resources, so the full
template is checked here by synth + assertions; the deploy engine is exercised on a smaller template.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from benchling_webhook.constants import CLIENT_IP_HEADER, StackOutputs
from benchling_webhook.stack.synth import INLINE_TEMPLATE_LIMIT
from tests.functional.stack.conftest import EXISTING_VPC, SEED_QUILT

pytestmark = pytest.mark.slow


def _assert(template: dict[str, Any]) -> Any:
    from benchling_webhook.stack.node import prepare_jsii

    prepare_jsii()
    from aws_cdk.assertions import Template

    return Template.from_json(template)


def _of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _one(template: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    found = _of_type(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def _env(template: dict[str, Any]) -> dict[str, Any]:
    _, task = _one(template, "AWS::ECS::TaskDefinition")
    (container,) = task["Properties"]["ContainerDefinitions"]
    return {e["Name"]: e["Value"] for e in container["Environment"]}


def test_auto_vpc_uses_the_fixed_address_plan_with_a_nat_gateway_per_zone(seed_template) -> None:  # type: ignore[no-untyped-def]
    t = _assert(seed_template)
    t.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"})
    t.resource_count_is("AWS::EC2::NatGateway", 2)
    subnets = _of_type(seed_template, "AWS::EC2::Subnet")
    public = sorted(s["Properties"]["CidrBlock"] for s in subnets.values() if s["Properties"]["MapPublicIpOnLaunch"])
    private = sorted(s["Properties"]["CidrBlock"] for s in subnets.values()
                     if not s["Properties"]["MapPublicIpOnLaunch"])
    assert public == ["10.0.0.0/24", "10.0.1.0/24"]
    assert private == ["10.0.128.0/24", "10.0.129.0/24"]
    zones = {json.dumps(s["Properties"]["AvailabilityZone"]) for s in subnets.values()}
    assert len(zones) == 2 and all("Fn::GetAZs" in z for z in zones)  # no lookup, no AWS call
    nat_routes = [r for r in _of_type(seed_template, "AWS::EC2::Route").values() if "NatGatewayId" in r["Properties"]]
    assert len(nat_routes) == 2
    t.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "REJECT"})


def test_http_api_routes_stage_and_access_logs(seed_template) -> None:  # type: ignore[no-untyped-def]
    t = _assert(seed_template)
    t.has_resource_properties("AWS::ApiGatewayV2::Api", {"ProtocolType": "HTTP"})
    routes = sorted(r["Properties"]["RouteKey"] for r in _of_type(seed_template, "AWS::ApiGatewayV2::Route").values())
    assert routes == ["ANY /", "ANY /{proxy+}"]
    _, stage = _one(seed_template, "AWS::ApiGatewayV2::Stage")
    props = stage["Properties"]
    assert props["StageName"] == "$default" and props["AutoDeploy"] is True
    log_id = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    fmt = json.loads(props["AccessLogSettings"]["Format"])
    assert {fmt["requestId"], fmt["routeKey"], fmt["status"]} == {
        "$context.requestId", "$context.routeKey", "$context.status"}
    assert seed_template["Resources"][log_id]["Properties"]["RetentionInDays"] == 7
    assert all(g["Properties"]["RetentionInDays"] == 7 for g in _of_type(seed_template, "AWS::Logs::LogGroup").values())
    _, integration = _one(seed_template, "AWS::ApiGatewayV2::Integration")
    link_id, link = _one(seed_template, "AWS::ApiGatewayV2::VpcLink")
    discovery_id, _ = _one(seed_template, "AWS::ServiceDiscovery::Service")
    assert integration["Properties"]["ConnectionType"] == "VPC_LINK"
    assert integration["Properties"]["ConnectionId"] == {"Ref": link_id}
    assert integration["Properties"]["IntegrationUri"] == {"Fn::GetAtt": [discovery_id, "Arn"]}
    private_ids = {k for k, s in _of_type(seed_template, "AWS::EC2::Subnet").items()
                   if not s["Properties"]["MapPublicIpOnLaunch"]}
    assert {r["Ref"] for r in link["Properties"]["SubnetIds"]} == private_ids


def test_the_edge_throttles_and_tells_the_task_the_callers_address(seed_template, vpc_template) -> None:  # type: ignore[no-untyped-def]
    _, stage = _one(seed_template, "AWS::ApiGatewayV2::Stage")
    assert stage["Properties"]["DefaultRouteSettings"] == {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 200}
    _, integration = _one(seed_template, "AWS::ApiGatewayV2::Integration")
    # An overwrite: whatever a client sends in this header is replaced by the address API Gateway saw.
    assert integration["Properties"]["RequestParameters"] == {
        f"overwrite:header.{CLIENT_IP_HEADER}": "$context.identity.sourceIp"}
    _, dev_stage = _one(vpc_template, "AWS::ApiGatewayV2::Stage")
    assert dev_stage["Properties"]["DefaultRouteSettings"] == {"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 20}


def test_cloud_map_uses_srv_records_without_custom_health_config(seed_template) -> None:  # type: ignore[no-untyped-def]
    t = _assert(seed_template)
    t.has_resource_properties("AWS::ServiceDiscovery::PrivateDnsNamespace", {"Name": "benchling.local"})
    discovery_id, discovery = _one(seed_template, "AWS::ServiceDiscovery::Service")
    props = discovery["Properties"]
    assert props["Name"] == "benchling-webhook"
    assert [r["Type"] for r in props["DnsConfig"]["DnsRecords"]] == ["SRV"]
    assert "HealthCheckCustomConfig" not in props and "HealthCheckConfig" not in props
    _, service = _one(seed_template, "AWS::ECS::Service")
    assert service["Properties"]["ServiceRegistries"] == [
        {"ContainerName": "webhook", "ContainerPort": 8080, "RegistryArn": {"Fn::GetAtt": [discovery_id, "Arn"]}}]


def test_fargate_task_size_port_command_and_health_check(seed_template) -> None:  # type: ignore[no-untyped-def]
    _, task = _one(seed_template, "AWS::ECS::TaskDefinition")
    props = task["Properties"]
    assert (props["Cpu"], props["Memory"], props["RequiresCompatibilities"]) == ("1024", "2048", ["FARGATE"])
    (container,) = props["ContainerDefinitions"]
    assert container["PortMappings"] == [{"ContainerPort": 8080, "Protocol": "tcp"}]
    assert container["Command"] == ["benchling-webhook", "serve", "--role", "all"]
    check = container["HealthCheck"]["Command"]
    assert check[:2] == ["CMD", "python"] and "/health/live" in check[-1] and "curl" not in json.dumps(check)
    assert container["LogConfiguration"]["LogDriver"] == "awslogs"


def test_container_environment_follows_the_container_contract(seed_template) -> None:  # type: ignore[no-untyped-def]
    env = _env(seed_template)
    queues = _of_type(seed_template, "AWS::SQS::Queue")
    inbox = next(k for k in queues if k.startswith("QueuesInbox"))
    dlq = next(k for k in queues if k.startswith("QueuesDeadLetter"))
    backfill = next(k for k in queues if k.startswith("QueuesBackfill"))
    assert env["INBOX_QUEUE_URL"] == {"Ref": inbox} and env["INBOX_DLQ_URL"] == {"Ref": dlq}
    assert env["BACKFILL_QUEUE_URL"] == {"Ref": backfill}
    table_id, _ = _one(seed_template, "AWS::DynamoDB::Table")
    assert env["STATE_TABLE"] == {"Ref": table_id}
    assert env["AWS_REGION"] == {"Ref": "AWS::Region"}
    assert {k: v for k, v in env.items() if isinstance(v, str)} == {
        "PORT": "8080",
        "BenchlingSecret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:bw-abc",
        "PACKAGE_BUCKET": "quilt-packages", "PACKAGE_PREFIX": "benchling", "METADATA_KEY": "experiment_id",
        "PACKAGER_SQS_URL": SEED_QUILT["queueUrl"], "QUILT_WEB_HOST": "catalog.example.com",
        "ATHENA_USER_DATABASE": "quilt_catalog", "ENABLE_WEBHOOK_VERIFICATION": "true", "LOG_LEVEL": "INFO",
        "BENCHLING_API_RATE": "0.2",  # Benchling's default 2 requests/s shared by at most 10 tasks
        "ATHENA_WORKGROUP": "primary", "ATHENA_OUTPUT_LOCATION": "s3://quilt-packages/.benchling-webhook/athena-results/",
        "CLIENT_IP_HEADER": CLIENT_IP_HEADER,
    }


def test_service_network_rollout_and_nat_dependency(seed_template) -> None:  # type: ignore[no-untyped-def]
    _, service = _one(seed_template, "AWS::ECS::Service")
    props = service["Properties"]
    network = props["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    private_ids = {k for k, s in _of_type(seed_template, "AWS::EC2::Subnet").items()
                   if not s["Properties"]["MapPublicIpOnLaunch"]}
    assert {s["Ref"] for s in network["Subnets"]} == private_ids
    deployment = props["DeploymentConfiguration"]
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (50, 200)
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert props["DesiredCount"] == 2 and props["LaunchType"] == "FARGATE"
    nat_routes = {k for k, r in _of_type(seed_template, "AWS::EC2::Route").items() if "NatGatewayId" in r["Properties"]}
    assert nat_routes <= set(service["DependsOn"])
    # only the VPC Link's security group may reach the port
    sg_id = network["SecurityGroups"][0]["Fn::GetAtt"][0]
    ingress = [r["Properties"] for r in _of_type(seed_template, "AWS::EC2::SecurityGroupIngress").values()]
    assert ingress == [{"Description": "API Gateway VPC Link to the webhook server", "FromPort": 8080,
                        "GroupId": {"Fn::GetAtt": [sg_id, "GroupId"]}, "IpProtocol": "tcp",
                        "SourceSecurityGroupId": ingress[0]["SourceSecurityGroupId"], "ToPort": 8080}]
    assert "SecurityGroupIngress" not in seed_template["Resources"][sg_id]["Properties"]


def test_scaling_two_to_ten_on_cpu_and_memory_with_slow_scale_in(seed_template) -> None:  # type: ignore[no-untyped-def]
    t = _assert(seed_template)
    t.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 10})
    policies = {p["Properties"]["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
        "PredefinedMetricType"]: p["Properties"]["TargetTrackingScalingPolicyConfiguration"]
        for p in _of_type(seed_template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()}
    assert policies["ECSServiceAverageCPUUtilization"]["TargetValue"] == 70
    assert policies["ECSServiceAverageMemoryUtilization"]["TargetValue"] == 80
    assert {p["ScaleInCooldown"] for p in policies.values()} == {300}


def test_inbox_and_backfill_are_fifo_without_content_dedup_with_a_last_resort_dlq_backstop(seed_template) -> None:  # type: ignore[no-untyped-def]
    queues = {k: v for k, v in _of_type(seed_template, "AWS::SQS::Queue").items() if k.startswith("Queues")}
    assert len(queues) == 3
    inbox = next(q["Properties"] for k, q in queues.items() if k.startswith("QueuesInbox"))
    backfill = next(q["Properties"] for k, q in queues.items() if k.startswith("QueuesBackfill"))
    dlq_id = inbox["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert backfill["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] == dlq_id
    dlq = seed_template["Resources"][dlq_id]["Properties"]
    for queue in (inbox, backfill, dlq):
        assert queue["FifoQueue"] is True and queue["ContentBasedDeduplication"] is False
        assert queue["SqsManagedSseEnabled"] is True
        assert "QueueName" not in queue
    # The worker gives up by an event's age and defers events of entries leased elsewhere, so an event may be
    # received many times: the redrive policy is SQS's maximum, a backstop for a worker that keeps dying.
    assert inbox["RedrivePolicy"]["maxReceiveCount"] == backfill["RedrivePolicy"]["maxReceiveCount"] == 1000
    assert backfill["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_the_state_table_is_on_demand_with_a_ttl_and_goes_with_the_stack(seed_template) -> None:  # type: ignore[no-untyped-def]
    _, table = _one(seed_template, "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST" and "ProvisionedThroughput" not in props
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert "TableName" not in props and "PointInTimeRecoverySpecification" not in props
    # Every DynamoDB table is encrypted at rest; SSEEnabled false selects the AWS-owned key (no KMS charges).
    assert props["SSESpecification"] == {"SSEEnabled": False}
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Delete", "Delete")
    skipped = {s["id"] for s in table["Metadata"]["checkov"]["skip"]}
    assert skipped == {"CKV_AWS_28", "CKV_AWS_119"}


def _task_role_statements(template: dict[str, Any]) -> dict[str, tuple[tuple[str, ...], str]]:
    """Sid → (sorted actions, resources as compact JSON) of the task role's one inline policy."""
    _, task = _one(template, "AWS::ECS::TaskDefinition")
    task_role = task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    (policy,) = [p["Properties"]["PolicyDocument"] for p in _of_type(template, "AWS::IAM::Policy").values()
                 if p["Properties"]["Roles"] == [{"Ref": task_role}]]
    table = {}
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        flat = " ".join(sorted(_flat(r) for r in resources))
        table[statement.get("Sid") or f"{'+'.join(sorted(actions))} on {flat}"] = (tuple(sorted(actions)), flat)
    return table


def _flat(value: Any) -> str:
    """A resource as text: pseudo parameters by name, queues and the table by role (INBOX, DLQ,
    REVISION_EVENTS, STATE_TABLE), joins joined."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return {"AWS::Partition": "aws"}.get(value["Ref"], "<" + value["Ref"].removeprefix("AWS::") + ">")
    if "Fn::GetAtt" in value:
        name = value["Fn::GetAtt"][0]
        roles = {"QueuesInbox": "INBOX", "QueuesDeadLetter": "DLQ", "QueuesBackfill": "BACKFILL",
                 "RevisionEventsQueue": "REVISION_EVENTS", "StateTable": "STATE_TABLE"}
        return next((role for prefix, role in roles.items() if name.startswith(prefix)), name)
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_flat(part) for part in parts)
    raise AssertionError(f"unexpected resource {value}")


S3 = "arn:aws:s3:::quilt-packages"
PACKAGES = f"{S3}/benchling/*"
REGISTRY = f"{S3}/.quilt/named_packages/benchling/* {S3}/.quilt/packages/*"
# Every statement of the task role in packager mode (the Quilt stack's queue writes the revisions), read
# against the code: the worker exports under <prefix>/, the canvas reads the registry, the inbox is sent to
# and consumed, the backfill queue is consumed (and sent to when a pack's failed events go back), failed
# events of a pack are dead-lettered one by one, backfill outcomes are written beside the packages, nothing
# reads the dead-letter queue (a redrive runs with the user's credentials), the Quilt stack's
# package-revision events are only received and deleted, the state table is read and written one item at a
# time (conditional puts, updates and deletes: no query, scan or batch), and nothing assumes a role.
PACKAGER_MODE_TASK_ROLE = {
    "sqs:ChangeMessageVisibility+sqs:DeleteMessage+sqs:GetQueueAttributes+sqs:GetQueueUrl+sqs:ReceiveMessage on "
    "INBOX": (("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
               "sqs:ReceiveMessage"), "INBOX"),
    "sqs:GetQueueAttributes+sqs:GetQueueUrl+sqs:SendMessage on INBOX": (
        ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"), "INBOX"),
    "sqs:ChangeMessageVisibility+sqs:DeleteMessage+sqs:GetQueueAttributes+sqs:GetQueueUrl+sqs:ReceiveMessage on "
    "BACKFILL": (("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                  "sqs:ReceiveMessage"), "BACKFILL"),
    "sqs:GetQueueAttributes+sqs:GetQueueUrl+sqs:SendMessage on BACKFILL": (
        ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"), "BACKFILL"),
    "BackfillOutcomes": (("s3:PutObject",), f"{S3}/.benchling-webhook/backfill/*"),
    "sqs:GetQueueAttributes+sqs:GetQueueUrl+sqs:SendMessage on DLQ": (
        ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"), "DLQ"),
    "BenchlingSecret": (("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"),
                        "arn:aws:secretsmanager:us-east-1:123456789012:secret:bw-abc"),
    "PackageBucket": (("s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket", "s3:ListBucketVersions"),
                      S3),
    "PackageObjectsRead": (("s3:GetObject", "s3:GetObjectVersion"), f"{S3}/.quilt/named_packages/benchling/* "
                                                                    f"{S3}/.quilt/packages/* {PACKAGES}"),
    "PackageObjectsWrite": (("s3:DeleteObject", "s3:PutObject"), PACKAGES),
    "QuiltPackager": (("sqs:GetQueueAttributes", "sqs:SendMessage"),
                      "arn:aws:sqs:us-east-1:123456789012:quilt-packager"),
    "RevisionEvents": (("sqs:DeleteMessage", "sqs:ReceiveMessage"), "REVISION_EVENTS"),
    "StateTable": (("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
                   "STATE_TABLE"),
    "Athena": (("athena:GetQueryExecution", "athena:GetQueryResults", "athena:GetWorkGroup",
                "athena:StartQueryExecution", "athena:StopQueryExecution"),
               "arn:aws:athena:<Region>:<AccountId>:workgroup/primary"),
    "AthenaResults": (("s3:GetObject", "s3:PutObject"), f"{S3}/.benchling-webhook/athena-results/*"),
    "Glue": (("glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"),
             "arn:aws:glue:<Region>:<AccountId>:catalog arn:aws:glue:<Region>:<AccountId>:database/quilt_catalog "
             "arn:aws:glue:<Region>:<AccountId>:table/quilt_catalog/*"),
}


def test_task_role_is_exactly_the_expected_table_in_packager_mode(seed_template) -> None:  # type: ignore[no-untyped-def]
    roles = _of_type(seed_template, "AWS::IAM::Role")
    assert all("ManagedPolicyArns" not in r["Properties"] for r in roles.values())
    assert _task_role_statements(seed_template) == PACKAGER_MODE_TASK_ROLE


def test_direct_mode_may_also_write_the_package_registry_and_nothing_else(vpc_template) -> None:  # type: ignore[no-untyped-def]
    table = _task_role_statements(vpc_template)
    assert table["QuiltRegistryWrite"] == (("s3:PutObject",), REGISTRY)
    assert table["PackageObjectsWrite"] == (("s3:DeleteObject", "s3:PutObject"), PACKAGES)
    assert not {"QuiltPackager", "RevisionEvents", "Athena", "Glue"} & set(table)
    every_action = {a for actions, _ in table.values() for a in actions}
    assert not any(a.startswith(("sts:", "iam:", "s3:*", "sqs:*")) or a == "*" for a in every_action)


def test_outputs_names_and_bootstrapless_shape(seed_template) -> None:  # type: ignore[no-untyped-def]
    assert set(seed_template["Outputs"]) == {
        StackOutputs.WEBHOOK_URL, StackOutputs.SERVICE_LOG_GROUP, StackOutputs.API_LOG_GROUP,
        StackOutputs.CLUSTER_NAME, StackOutputs.SERVICE_NAME, StackOutputs.INBOX_QUEUE_URL,
        StackOutputs.INBOX_DLQ_URL, StackOutputs.REVISION_EVENTS_QUEUE_URL, StackOutputs.BACKFILL_QUEUE_URL,
        StackOutputs.STATE_TABLE_NAME}
    table_id, _ = _one(seed_template, "AWS::DynamoDB::Table")
    assert seed_template["Outputs"][StackOutputs.STATE_TABLE_NAME]["Value"] == {"Ref": table_id}
    assert "Parameters" not in seed_template and "Rules" not in seed_template  # no bootstrap version check
    types = {r["Type"] for r in seed_template["Resources"].values()}
    assert not any(t.startswith(("Custom::", "AWS::Lambda::", "AWS::CDK::")) for t in types)
    fixed_names = ("QueueName", "LogGroupName", "ClusterName", "ServiceName", "RoleName", "GroupName", "TableName")
    for resource in seed_template["Resources"].values():
        literal = {k for k, v in resource.get("Properties", {}).items() if isinstance(v, str)}
        assert not literal & set(fixed_names), resource
    assert len(json.dumps(seed_template, separators=(",", ":"))) < INLINE_TEMPLATE_LIMIT


def test_quilt_revision_events_reach_the_worker_through_a_rule_and_a_queue(seed_template) -> None:  # type: ignore[no-untyped-def]
    _, rule = _one(seed_template, "AWS::Events::Rule")
    assert rule["Properties"]["EventPattern"] == {
        "source": ["com.quiltdata"], "detail-type": ["package-revision"],
        "detail": {"bucket": ["quilt-packages"], "handle": [{"prefix": "benchling/"}]}}
    (target,) = rule["Properties"]["Targets"]
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = seed_template["Resources"][queue_id]["Properties"]
    assert "FifoQueue" not in queue and queue["SqsManagedSseEnabled"] is True
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    policy = next(p["Properties"]["PolicyDocument"] for p in _of_type(seed_template, "AWS::SQS::QueuePolicy").values()
                  if p["Properties"]["Queues"] == [{"Ref": queue_id}])
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert allow["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [next(iter(
        _of_type(seed_template, "AWS::Events::Rule"))), "Arn"]}}}
    assert _env(seed_template)["REVISION_EVENTS_QUEUE_URL"] == {"Ref": queue_id}
    _, task = _one(seed_template, "AWS::ECS::TaskDefinition")
    task_role = task["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    policies = [p["Properties"] for p in _of_type(seed_template, "AWS::IAM::Policy").values()]
    statements = [s for p in policies if p["Roles"] == [{"Ref": task_role}] for s in p["PolicyDocument"]["Statement"]]
    on_queue = [s for s in statements if queue_id in json.dumps(s["Resource"])]
    assert on_queue == [{"Sid": "RevisionEvents", "Effect": "Allow", "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
                         "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"]}]


def test_direct_mode_has_no_revision_events(vpc_template) -> None:  # type: ignore[no-untyped-def]
    assert not _of_type(vpc_template, "AWS::Events::Rule")
    assert "REVISION_EVENTS_QUEUE_URL" not in _env(vpc_template)
    assert StackOutputs.REVISION_EVENTS_QUEUE_URL not in vpc_template["Outputs"]


def test_existing_vpc_is_imported_not_created(vpc_template) -> None:  # type: ignore[no-untyped-def]
    types = {r["Type"] for r in vpc_template["Resources"].values()}
    assert not types & {"AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway", "AWS::EC2::InternetGateway"}
    _, link = _one(vpc_template, "AWS::ApiGatewayV2::VpcLink")
    assert link["Properties"]["SubnetIds"] == EXISTING_VPC["privateSubnetIds"]
    _, service = _one(vpc_template, "AWS::ECS::Service")
    network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["Subnets"] == EXISTING_VPC["privateSubnetIds"] and network["AssignPublicIp"] == "DISABLED"
    _, namespace = _one(vpc_template, "AWS::ServiceDiscovery::PrivateDnsNamespace")
    assert namespace["Properties"] == {**namespace["Properties"], "Vpc": EXISTING_VPC["vpcId"],
                                       "Name": "dev.benchling.local"}


def test_existing_vpc_profile_options_reach_the_template(vpc_template) -> None:  # type: ignore[no-untyped-def]
    _, task = _one(vpc_template, "AWS::ECS::TaskDefinition")
    assert (task["Properties"]["Cpu"], task["Properties"]["Memory"]) == ("2048", "4096")
    assert task["Properties"]["RuntimePlatform"] == {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert "benchling-webhook:1.2.3" in json.dumps(container["Image"])
    env = _env(vpc_template)
    assert env["BenchlingSecret"] == "benchling-webhook-credentials"
    assert env["WEBHOOK_ALLOW_LIST"] == "203.0.113.0/24"
    assert not {"PACKAGER_SQS_URL", "ATHENA_USER_DATABASE", "ATHENA_WORKGROUP", "ATHENA_OUTPUT_LOCATION"} & set(env)
    t = _assert(vpc_template)
    t.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 1, "MaxCapacity": 4})
    _, service = _one(vpc_template, "AWS::ECS::Service")
    assert service["Properties"]["CapacityProviderStrategy"] == [
        {"Base": 1, "CapacityProvider": "FARGATE", "Weight": 1}, {"CapacityProvider": "FARGATE_SPOT", "Weight": 3}]
    text = json.dumps(vpc_template)
    assert "secret:benchling-webhook-credentials-??????" in text  # a secret name gets the ARN suffix wildcard
    assert "repository/benchling-webhook" in text  # the execution role may pull exactly that repository
    assert "Glue" not in text and "sts:AssumeRole\"" not in text.replace('"sts:AssumeRole", "Effect"', "")


@pytest.mark.parametrize("fixture", ["seed_template", "vpc_template"])
def test_templates_are_cfn_lint_clean(fixture: str, request: pytest.FixtureRequest) -> None:
    from cfnlint.api import ManualArgs, lint

    template = request.getfixturevalue(fixture)
    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))
    assert [str(m) for m in matches] == []


CHECKOV = Path(__file__).resolve().parents[3] / "tools" / "checkov" / ".venv" / "bin" / "checkov"


def test_templates_are_checkov_clean_or_justified(seed_template, vpc_template, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert CHECKOV.is_file(), "install the scanner: uv sync --frozen --project tools/checkov (README test command)"
    for name, template in (("default", seed_template), ("dev", vpc_template)):
        (tmp_path / "templates").mkdir(exist_ok=True)
        (tmp_path / "templates" / f"{name}.template.json").write_text(json.dumps(template))
    out = subprocess.run([str(CHECKOV), "--directory", str(tmp_path / "templates"), "--framework", "cloudformation",
                          "--skip-download", "--output", "json", "--quiet"], capture_output=True, text=True,
                         timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert out.stdout.strip().startswith(("{", "[")), out.stdout[-2000:] + out.stderr[-2000:]
    report = json.loads(out.stdout)
    results = report["results"]
    assert [(c["check_id"], c["resource"]) for c in results.get("failed_checks", [])] == []
    skipped = results.get("skipped_checks", [])
    assert {c["check_id"] for c in skipped} <= {"CKV_AWS_27", "CKV_AWS_158", "CKV_AWS_26", "CKV_AWS_28", "CKV_AWS_119"}
    assert all(c["check_result"].get("suppress_comment") for c in skipped)  # each skip says why
    assert report["summary"]["passed"] > 100  # both templates were read
