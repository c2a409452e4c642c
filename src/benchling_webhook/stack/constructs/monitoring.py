"""Alarms and the dashboard of the service, its API and its inbox.

Alarms (they exist whether or not ``deployment.alarmEmail`` is set; with it, an SNS topic mails them):

| alarm            | metric                                       | fires when                                |
|------------------|----------------------------------------------|-------------------------------------------|
| Api5xxRate       | AWS/ApiGateway 5xx / Count                   | > 5 % of requests, 2 of 3 5-min periods   |
| ApiLatencyP99    | AWS/ApiGateway IntegrationLatency p99        | > 3 s (Benchling's canvas limit), 2 of 3  |
| InboxDeadLetters | AWS/SQS visible messages in the DLQ          | >= 1: an event could not be processed     |
| InboxAge         | AWS/SQS ApproximateAgeOfOldestMessage        | > 15 min for 3 periods: worker stuck      |
| TasksBelowMin    | ECS/ContainerInsights RunningTaskCount       | < minTasks for 3 min (missing = breaching)|
| RevisionEventDeadLetters | AWS/SQS visible messages in the revision-events DLQ (Quilt Platform mode) | >= 1 |

``ops.status.ALARM_HINTS`` maps these names to what ``status`` suggests when one is in ALARM.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from benchling_webhook.stack.constructs.api import WebhookApi
from benchling_webhook.stack.constructs.queues import InboxQueues
from benchling_webhook.stack.constructs.revisions import RevisionEvents
from benchling_webhook.stack.constructs.service import WebhookService
from benchling_webhook.stack.inputs import StackInputs

FIVE_MINUTES = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, inputs: StackInputs, api: WebhookApi,
                 service: WebhookService, queues: InboxQueues, revisions: RevisionEvents | None = None) -> None:
        super().__init__(scope, construct_id)
        http = api.http_api
        requests = http.metric_count(period=FIVE_MINUTES, statistic="Sum")
        errors5 = http.metric_server_error(period=FIVE_MINUTES, statistic="Sum")
        errors4 = http.metric_client_error(period=FIVE_MINUTES, statistic="Sum")
        latency = http.metric_latency(period=FIVE_MINUTES, statistic="p99")
        integration = http.metric_integration_latency(period=FIVE_MINUTES, statistic="p99")
        cpu = service.service.metric_cpu_utilization(period=FIVE_MINUTES)
        memory = service.service.metric_memory_utilization(period=FIVE_MINUTES)
        dims = {"ClusterName": service.cluster.cluster_name, "ServiceName": service.service.service_name}
        running = cw.Metric(namespace="ECS/ContainerInsights", metric_name="RunningTaskCount", dimensions_map=dims,
                            statistic="Minimum", period=Duration.minutes(1))
        desired = cw.Metric(namespace="ECS/ContainerInsights", metric_name="DesiredTaskCount", dimensions_map=dims,
                            statistic="Maximum", period=Duration.minutes(1))
        depth = queues.inbox.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum")
        age = queues.inbox.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, statistic="Maximum")
        dead = queues.dead_letter.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES,
                                                                               statistic="Maximum")
        rate = cw.MathExpression(expression="IF(requests > 0, 100 * errors / requests, 0)", label="5xx %",
                                 using_metrics={"errors": errors5, "requests": requests}, period=FIVE_MINUTES)

        self.alarms = [
            rate.create_alarm(self, "Api5xxRate", threshold=5, evaluation_periods=3, datapoints_to_alarm=2,
                              alarm_description="More than 5% of webhook requests answered 5xx",
                              treat_missing_data=cw.TreatMissingData.NOT_BREACHING),
            integration.create_alarm(self, "ApiLatencyP99", threshold=3000, evaluation_periods=3,
                                     datapoints_to_alarm=2, treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                                     alarm_description="p99 integration latency over 3 s (Benchling's canvas limit)"),
            dead.create_alarm(self, "InboxDeadLetters", threshold=1, evaluation_periods=1,
                              comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                              treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                              alarm_description="Events in the inbox dead-letter queue"),
            age.create_alarm(self, "InboxAge", threshold=900, evaluation_periods=3,
                             treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                             alarm_description="The oldest inbox event waits over 15 minutes"),
            running.create_alarm(self, "TasksBelowMin", threshold=inputs.min_tasks, evaluation_periods=3,
                                 comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                                 treat_missing_data=cw.TreatMissingData.BREACHING,
                                 alarm_description=f"Fewer than {inputs.min_tasks} running tasks"),
        ]
        if revisions is not None:
            lost = revisions.dead_letter.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES,
                                                                                      statistic="Maximum")
            self.alarms.append(lost.create_alarm(
                self, "RevisionEventDeadLetters", threshold=1, evaluation_periods=1,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
                alarm_description="Package-revision events the worker could not turn into a canvas refresh"))
        self.topic: sns.Topic | None = None
        if inputs.alarm_email:
            self.topic = sns.Topic(self, "AlarmTopic", display_name="benchling-webhook alarms", enforce_ssl=True)
            self.topic.add_subscription(subs.EmailSubscription(inputs.alarm_email))
            for alarm in self.alarms:
                alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
                alarm.add_ok_action(cw_actions.SnsAction(self.topic))

        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(
            cw.GraphWidget(title="Requests", left=[requests], width=8),
            cw.GraphWidget(title="4XX / 5XX", left=[errors4, errors5], width=8),
            cw.GraphWidget(title="Latency p99 (ms)", left=[latency, integration], width=8,
                           left_annotations=[cw.HorizontalAnnotation(value=3000, label="canvas limit")]),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(title="CPU / memory (%)", left=[cpu, memory], width=8),
            cw.GraphWidget(title="Tasks", left=[running, desired], width=8),
            cw.GraphWidget(title="Inbox depth / DLQ depth", left=[depth, dead], right=[age], width=8),
        )
        self.dashboard.add_widgets(cw.AlarmStatusWidget(alarms=self.alarms, title="Alarms", width=24))
