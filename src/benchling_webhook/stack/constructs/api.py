"""The public edge: HTTP API v2 → VPC Link → Cloud Map service → ECS tasks.

Two traps are avoided here (docs/aws.md, "Cloud Map and ECS"):

* API Gateway's Cloud Map integration needs each instance's port, and ECS only registers the port with
  **SRV** records, so the Cloud Map service uses SRV.
* ``cloudMapOptions`` on an ECS service adds ``HealthCheckCustomConfig``; nothing ever reports those
  instances healthy, so they stay UNHEALTHY and API Gateway answers 500 to everything. This module
  creates the Cloud Map service itself, without any health config, and ``service.py`` associates it
  with the ECS service; ECS container health checks replace bad tasks instead.

Routes are ``ANY /`` and ``ANY /{proxy+}`` on the ``$default`` stage (auto-deployed), so the webhook URL is
the API endpoint itself and Benchling's "Suffixed" routing (``/event``, ``/canvas``...) just works.

Two private namespaces of the same name cannot share a VPC, so a non-default profile deploying into an
existing VPC gets ``<profile>.benchling.local`` (``namespace_for``); an auto-created VPC is the stack's
own and always uses ``benchling.local``.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk import aws_servicediscovery as sd
from aws_cdk.aws_apigatewayv2_integrations import HttpServiceDiscoveryIntegration
from constructs import Construct

from benchling_webhook.constants import CLIENT_IP_HEADER
from benchling_webhook.stack.constructs.network import Network

NAMESPACE = "benchling.local"
SERVICE_NAME = "benchling-webhook"
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "latency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",
}


def namespace_for(profile_name: str, existing_vpc: bool) -> str:
    """``benchling.local``, or ``<profile>.benchling.local`` where stacks may share an existing VPC."""
    if profile_name == "default" or not existing_vpc:
        return NAMESPACE
    return f"{profile_name.lower().replace('_', '-')}.{NAMESPACE}"


class WebhookApi(Construct):
    """The API, its access log group, the VPC Link and the Cloud Map service the tasks register in."""

    def __init__(self, scope: Construct, construct_id: str, network: Network, *, api_name: str,
                 namespace: str = NAMESPACE, throttle_rate: float = 50.0, throttle_burst: int = 200) -> None:
        super().__init__(scope, construct_id)
        self.link_security_group = ec2.SecurityGroup(
            self, "VpcLinkSecurityGroup", vpc=network.vpc, allow_all_outbound=False,
            description="benchling-webhook VPC Link: egress to the service port only",
        )
        self.vpc_link = apigw.VpcLink(
            self, "VpcLink", vpc=network.vpc, subnets=network.private_subnets,
            security_groups=[self.link_security_group],
        )
        self.namespace = sd.PrivateDnsNamespace(self, "Namespace", name=namespace, vpc=network.vpc,
                                                description="benchling-webhook service discovery")
        self.discovery = sd.Service(
            self, "Discovery", namespace=self.namespace, name=SERVICE_NAME,
            dns_record_type=sd.DnsRecordType.SRV, dns_ttl=Duration.seconds(10),
            routing_policy=sd.RoutingPolicy.MULTIVALUE,
            description="ECS tasks of the webhook service (SRV: API Gateway needs the port)",
        )
        self.access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_WEEK,
                                         removal_policy=RemovalPolicy.DESTROY)
        self.http_api = apigw.HttpApi(
            self, "HttpApi", api_name=api_name, create_default_stage=False,
            description="Benchling webhooks → VPC Link → Cloud Map → ECS Fargate",
        )
        self.stage = apigw.HttpStage(
            self, "DefaultStage", http_api=self.http_api, stage_name="$default", auto_deploy=True,
        )
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn,
            format=json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
        )
        # Every route of the stage shares this budget; API Gateway answers 429 above it.
        cfn_stage.default_route_settings = apigw.CfnStage.RouteSettingsProperty(
            throttling_rate_limit=throttle_rate, throttling_burst_limit=throttle_burst)
        # The caller's address as API Gateway saw it, in a header no client can set (an overwrite).
        client_ip = apigw.ParameterMapping().overwrite_header(
            CLIENT_IP_HEADER, apigw.MappingValue.context_variable("identity.sourceIp"))
        integration = HttpServiceDiscoveryIntegration("CloudMap", self.discovery, vpc_link=self.vpc_link,
                                                      parameter_mapping=client_ip)
        for path in ("/", "/{proxy+}"):
            self.http_api.add_routes(path=path, methods=[apigw.HttpMethod.ANY], integration=integration)

    @property
    def endpoint(self) -> str:
        return self.http_api.api_endpoint

