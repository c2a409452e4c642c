"""The ECS Fargate service, its roles and its scaling.

* Tasks run in private subnets without public IPs; only the VPC Link's security group may reach port 8080.
* The container health check runs Python (slim images have no curl) against ``/health/live``.
* Rolling deployments keep ≥ 50 % healthy and may double to 200 %; the circuit breaker rolls back.
* Scaling: ``minTasks`` to ``maxTasks`` on CPU 70 % and memory 80 %, scale-in cooldown 5 minutes.
* ``fargateSpot`` puts the tasks above one on-demand base task on Fargate Spot (weight 3 : 1).
* The task role gets exactly this: the named secret, the package bucket (objects written only under
  ``<prefix>/`` and the backfill outcome markers' prefix, plus the Quilt registry in direct mode), the
  inbox queues and the backfill queue, the Quilt packager queue (send), the revision-events queue (receive
  and delete), Athena (the configured workgroup, or the one the stack creates)/Glue of the Quilt database
  plus read/write on the Athena results prefix only (none with the stack's workgroup: Athena manages its
  results), and exactly ``GetItem``/``PutItem``/``UpdateItem``/``DeleteItem`` on the state table (the
  worker's conditional writes need nothing more); it assumes no role. The execution role gets pull rights
  on the image's ECR repository and write rights on the log group.
* The service waits for the VPC's NAT routes (``internet_ready``) so tasks can pull the image at once.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from benchling_webhook.constants import BACKFILL_OUTCOMES_PREFIX, CONTAINER_PORT, DEFAULT_ATHENA_WORKGROUP
from benchling_webhook.stack.constructs.api import WebhookApi
from benchling_webhook.stack.constructs.athena import LinkedPackagesWorkgroup
from benchling_webhook.stack.constructs.network import Network
from benchling_webhook.stack.constructs.queues import InboxQueues
from benchling_webhook.stack.constructs.revisions import RevisionEvents
from benchling_webhook.stack.constructs.state_table import StateTable
from benchling_webhook.stack.inputs import COMMAND, CONTAINER_NAME, HEALTH_CHECK, StackInputs

CPU_TARGET = 70
MEMORY_TARGET = 80


class WebhookService(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, inputs: StackInputs, network: Network,
                 api: WebhookApi, queues: InboxQueues, state: StateTable, revisions: RevisionEvents | None = None,
                 workgroup: LinkedPackagesWorkgroup | None = None) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_WEEK,
                                       removal_policy=RemovalPolicy.DESTROY)
        self.cluster = ecs.Cluster(self, "Cluster", vpc=network.vpc,
                                   container_insights_v2=ecs.ContainerInsights.ENABLED,
                                   enable_fargate_capacity_providers=inputs.fargate_spot)
        execution_role = iam.Role(self, "ExecutionRole",
                                  assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                                  description="benchling-webhook: pull the image, write container logs")
        self.task_role = iam.Role(self, "TaskRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
                                  description="benchling-webhook: what the server may touch")
        _grant_task_role(self.task_role, inputs, queues, workgroup.name if workgroup is not None else None)
        self.task_role.add_to_policy(iam.PolicyStatement(sid="StateTable", actions=[
            "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            resources=[state.table.table_arn]))
        if revisions is not None:
            self.task_role.add_to_policy(iam.PolicyStatement(
                sid="RevisionEvents", actions=["sqs:ReceiveMessage", "sqs:DeleteMessage"],
                resources=[revisions.queue.queue_arn]))

        task = ecs.FargateTaskDefinition(self, "Task", cpu=inputs.cpu, memory_limit_mib=inputs.memory,
                                         execution_role=execution_role, task_role=self.task_role,
                                         runtime_platform=ecs.RuntimePlatform(
                                             cpu_architecture=ecs.CpuArchitecture.ARM64
                                             if inputs.architecture == "arm64" else ecs.CpuArchitecture.X86_64,
                                             operating_system_family=ecs.OperatingSystemFamily.LINUX))
        environment = inputs.container_environment(
            region=Aws.REGION, inbox_queue_url=queues.inbox.queue_url, inbox_dlq_url=queues.dead_letter.queue_url,
            backfill_queue_url=queues.backfill.queue_url, state_table_name=state.table.table_name,
            revision_events_queue_url=revisions.queue.queue_url if revisions is not None else None,
            athena_workgroup=workgroup.name if workgroup is not None else None)
        self.container = task.add_container(
            "Container", container_name=CONTAINER_NAME,
            image=_image(self, inputs),
            command=COMMAND,
            environment=environment,
            port_mappings=[ecs.PortMapping(container_port=CONTAINER_PORT, protocol=ecs.Protocol.TCP)],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="benchling-webhook", log_group=self.log_group),
            health_check=ecs.HealthCheck(command=HEALTH_CHECK, interval=Duration.seconds(30),
                                         timeout=Duration.seconds(10), retries=3,
                                         start_period=Duration.seconds(60)),
            readonly_root_filesystem=False,
            essential=True,
        )

        self.security_group = ec2.SecurityGroup(self, "SecurityGroup", vpc=network.vpc, allow_all_outbound=True,
                                                description="benchling-webhook tasks: 8080 from the VPC Link only")
        self.security_group.add_ingress_rule(api.link_security_group, ec2.Port.tcp(CONTAINER_PORT),
                                             "API Gateway VPC Link to the webhook server")
        api.link_security_group.add_egress_rule(self.security_group, ec2.Port.tcp(CONTAINER_PORT),
                                                "VPC Link to the webhook server")
        strategies = None
        if inputs.fargate_spot:
            strategies = [ecs.CapacityProviderStrategy(capacity_provider="FARGATE", base=1, weight=1),
                          ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=3)]
        self.service = ecs.FargateService(
            self, "Service", cluster=self.cluster, task_definition=task,
            desired_count=inputs.min_tasks,
            assign_public_ip=False, vpc_subnets=network.private_subnets, security_groups=[self.security_group],
            min_healthy_percent=50, max_healthy_percent=200,
            circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
            capacity_provider_strategies=strategies,
            propagate_tags=ecs.PropagatedTagSource.SERVICE,
        )
        self.service.associate_cloud_map_service(service=api.discovery, container=self.container,
                                                 container_port=CONTAINER_PORT)
        if network.internet_ready is not None:
            self.service.node.add_dependency(network.internet_ready)

        scaling = self.service.auto_scale_task_count(min_capacity=inputs.min_tasks, max_capacity=inputs.max_tasks)
        scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=CPU_TARGET,
                                         scale_in_cooldown=Duration.minutes(5),
                                         scale_out_cooldown=Duration.minutes(1))
        scaling.scale_on_memory_utilization("Memory", target_utilization_percent=MEMORY_TARGET,
                                            scale_in_cooldown=Duration.minutes(5),
                                            scale_out_cooldown=Duration.minutes(1))


def _image(scope: Construct, inputs: StackInputs) -> ecs.ContainerImage:
    """A private ECR image is referenced through its repository so the execution role may pull it."""
    image = inputs.ecr_image
    if image is None:
        assert inputs.image_uri
        return ecs.ContainerImage.from_registry(inputs.image_uri)
    if image.account is None:
        repo = ecr.Repository.from_repository_name(scope, "Repository", image.repository)
    else:
        arn = f"arn:{Aws.PARTITION}:ecr:{image.region}:{image.account}:repository/{image.repository}"
        repo = ecr.Repository.from_repository_attributes(scope, "Repository", repository_arn=arn,
                                                         repository_name=image.repository)
    return ecs.ContainerImage.from_ecr_repository(repo, image.tag)


def _grant_task_role(role: iam.Role, inputs: StackInputs, queues: InboxQueues, created_workgroup: str | None) -> None:
    stack = Stack.of(role)
    queues.inbox.grant_send_messages(role)
    queues.inbox.grant_consume_messages(role)
    queues.dead_letter.grant_send_messages(role)  # the worker dead-letters failed events of a pack itself
    queues.backfill.grant_consume_messages(role)
    queues.backfill.grant_send_messages(role)  # failed events of a pack go back one by one
    if inputs.secret.startswith("arn:"):
        secret_arn = inputs.secret
    else:  # a name: Secrets Manager appends a 6-character suffix to the ARN
        secret_arn = stack.format_arn(service="secretsmanager", resource="secret",
                                      resource_name=f"{inputs.secret}-??????",
                                      arn_format=ArnFormat.COLON_RESOURCE_NAME)
    role.add_to_policy(iam.PolicyStatement(sid="BenchlingSecret", actions=[
        "secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], resources=[secret_arn]))
    bucket = f"arn:{Aws.PARTITION}:s3:::{inputs.bucket}"
    role.add_to_policy(iam.PolicyStatement(sid="PackageBucket", actions=[
        "s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketLocation", "s3:GetBucketVersioning"],
        resources=[bucket]))
    packages = f"{bucket}/{inputs.package_prefix}/*"
    registry = [f"{bucket}/.quilt/named_packages/{inputs.package_prefix}/*", f"{bucket}/.quilt/packages/*"]
    role.add_to_policy(iam.PolicyStatement(sid="PackageObjectsRead", actions=["s3:GetObject", "s3:GetObjectVersion"],
                                           resources=[packages, *registry]))
    role.add_to_policy(iam.PolicyStatement(sid="PackageObjectsWrite", actions=["s3:PutObject", "s3:DeleteObject"],
                                           resources=[packages]))
    role.add_to_policy(iam.PolicyStatement(sid="BackfillOutcomes", actions=["s3:PutObject"],
                                           resources=[f"{bucket}/{BACKFILL_OUTCOMES_PREFIX}*"]))
    if not inputs.packager_queue:  # direct mode: the worker writes the package revisions itself
        role.add_to_policy(iam.PolicyStatement(sid="QuiltRegistryWrite", actions=["s3:PutObject"],
                                               resources=registry))
    if inputs.packager_queue:
        region, account, name = inputs.packager_queue
        role.add_to_policy(iam.PolicyStatement(sid="QuiltPackager", actions=["sqs:SendMessage",
                                                                             "sqs:GetQueueAttributes"],
                                               resources=[f"arn:{Aws.PARTITION}:sqs:{region}:{account}:{name}"]))
    if inputs.athena_database:
        db = inputs.athena_database
        workgroup = created_workgroup or inputs.athena_workgroup or DEFAULT_ATHENA_WORKGROUP
        role.add_to_policy(iam.PolicyStatement(sid="Athena", actions=[
            "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
            "athena:StopQueryExecution", "athena:GetWorkGroup"],
            resources=[stack.format_arn(service="athena", resource="workgroup", resource_name=workgroup)]))
        if inputs.athena_results:  # Athena writes the results with the caller's rights: exactly this prefix
            results_bucket, prefix = inputs.athena_results
            role.add_to_policy(iam.PolicyStatement(sid="AthenaResults", actions=["s3:GetObject", "s3:PutObject"],
                                                   resources=[f"arn:{Aws.PARTITION}:s3:::{results_bucket}/{prefix}*"]))
            if results_bucket != inputs.bucket:  # the package bucket's location is readable already
                role.add_to_policy(iam.PolicyStatement(sid="AthenaResultsBucket", actions=["s3:GetBucketLocation"],
                                                       resources=[f"arn:{Aws.PARTITION}:s3:::{results_bucket}"]))
        role.add_to_policy(iam.PolicyStatement(sid="Glue", actions=[
            "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"],
            resources=[stack.format_arn(service="glue", resource="catalog"),
                       stack.format_arn(service="glue", resource="database", resource_name=db),
                       stack.format_arn(service="glue", resource="table", resource_name=f"{db}/*")]))

