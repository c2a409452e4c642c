"""The wizard's sizing/cost questions and its Athena questions, driven by the scripted asker.

Costs are the deploy plan's (``stack/cost.py``, us-east-1 on-demand prices): 1 NAT gateway $32.85/month,
1 vCPU / 2 GB task $36.04/month, 1 GB of task memory $3.24/month.
"""

from __future__ import annotations

import pytest

from benchling_webhook.config.models import ProfileConfig, VpcConfig
from benchling_webhook.errors import ConfigError, ValidationFailedError
from benchling_webhook.setup.discovery import QuiltStack
from benchling_webhook.setup.validate import WorkgroupInfo
from benchling_webhook.setup.wizard import SetupWizard
from tests.helpers import imported_modules, minimal_profile
from tests.unit.setup.support import FRESH, STACK, ScriptedAsker, mock_services

SIZING_ORDER = ["region", "image_uri", "vpc_id", "nat_gateways", "cpu", "memory", "min_tasks", "max_tasks",
                "fargate_spot", "alarm_email"]


def _titles(asker: ScriptedAsker, name: str) -> dict[str, str]:
    return {c.value: c.title for c in asker.questions[name].choices}


def test_new_vpc_sizing_is_asked_with_what_each_option_costs_or_saves() -> None:
    asker = ScriptedAsker(FRESH, confirms=[True])
    SetupWizard(asker, mock_services(), profile="dev").run()
    names = [name for name, _ in asker.asked]
    assert names[names.index("region"):] == SIZING_ORDER
    offered = dict(asker.asked)
    assert [offered[n] for n in SIZING_ORDER[3:]] == ["2", "1024", "2048", "2", "10", "off", None]  # model defaults
    assert _titles(asker, "nat_gateways") == {
        "2": "2 NAT gateways, one per AZ (HA) ≈ $65.70/month",
        "1": "1 NAT gateway (no HA: outbound traffic depends on one AZ) ≈ $32.85/month, saves $32.85"}
    assert _titles(asker, "cpu")["1024"] == "1024 = 1 vCPU: a task with 2 GB ≈ $36.04/month"
    assert asker.questions["memory"].instruction == (
        "(2048 to 8192 in steps of 1024 for 1 vCPU; each GB ≈ $3.24 a task a month)")
    assert "each 1 vCPU / 2 GB task ≈ $36.04/month on demand" in (asker.questions["min_tasks"].instruction or "")
    assert _titles(asker, "fargate_spot") == {
        "off": "off: 2 on-demand task(s) ≈ $72.08/month",
        "on": "on: 1 on-demand task + 1 on Fargate Spot ≈ $46.85/month, saves ~$25.23 (Spot tasks can be "
              "interrupted)"}


def test_answers_reach_the_profile_and_later_questions_use_earlier_answers() -> None:
    answers = {**FRESH, "nat_gateways": "1", "cpu": "2048", "min_tasks": "3", "fargate_spot": "on",
               "alarm_email": "oncall@example.com"}
    asker = ScriptedAsker(answers, confirms=[True])
    deployment = SetupWizard(asker, mock_services(), profile="dev").run().config.deployment
    assert dict(asker.asked)["memory"] == "4096"  # 2048 MiB does not fit 2 vCPU: the smallest size that does
    assert asker.questions["memory"].problem("2048") == (
        "Fargate memory for cpu 2048 is 4096 to 16384 in steps of 1024 (MiB)")
    assert asker.questions["max_tasks"].problem("2") == "must be at least the minimum task count (3)"
    assert _titles(asker, "fargate_spot")["off"] == "off: 3 on-demand task(s) ≈ $216.24/month"  # 3 x 2 vCPU/4 GB
    assert (deployment.nat_gateways, deployment.cpu, deployment.memory, deployment.min_tasks, deployment.max_tasks,
            deployment.fargate_spot, deployment.alarm_email) == (1, 2048, 4096, 3, 10, True, "oncall@example.com")


def test_existing_vpc_has_no_nat_question_and_rerun_offers_the_profile_values() -> None:
    data = minimal_profile()
    data["deployment"].update(vpc={"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": ["subnet-1", "subnet-2"],
                                   "availabilityZones": ["us-east-1a", "us-east-1b"]},
                              natGateways=1, minTasks=1, maxTasks=4, cpu=512, memory=3072, fargateSpot=True,
                              alarmEmail="ops@example.com")
    services = mock_services()
    services.verify_vpc.return_value = VpcConfig.model_validate(data["deployment"]["vpc"])
    asker = ScriptedAsker({})
    result = SetupWizard(asker, services, profile="dev", existing=ProfileConfig.model_validate(data)).run()
    offered = dict(asker.asked)
    assert "nat_gateways" not in offered
    assert [offered[n] for n in SIZING_ORDER[4:]] == ["512", "3072", "1", "4", "on", "ops@example.com"]
    assert _titles(asker, "fargate_spot")["on"] == ("on: tasks above the first run on Spot (saves nothing at 1 "
                                                       "minimum task)")
    deployment = result.config.deployment
    assert deployment.model_dump(exclude={"vpc", "region", "image_uri", "account", "image_tag", "image_build",
                                          "architecture"}) == {
        "alarm_email": "ops@example.com", "nat_gateways": 1, "min_tasks": 1, "max_tasks": 4, "cpu": 512,
        "memory": 3072, "fargate_spot": True}


def test_an_invalid_flag_is_re_asked_interactively() -> None:
    notes: list[tuple[str, str]] = []
    asker = ScriptedAsker({**FRESH, "max_tasks": "6"}, confirms=[True])
    result = SetupWizard(asker, mock_services(), profile="dev", answers={"min_tasks": "5", "max_tasks": "2"},
                         notify=lambda *a: notes.append(a)).run()
    assert ("warning", "--max-tasks '2': must be at least the minimum task count (5)") in notes
    assert ("max_tasks", "2") in asker.asked
    assert (result.config.deployment.min_tasks, result.config.deployment.max_tasks) == (5, 6)


def test_a_scripted_answer_that_breaks_min_max_is_still_refused() -> None:
    with pytest.raises(ConfigError, match=r"^--max-tasks 2 is smaller than --min-tasks 3$"):
        SetupWizard(ScriptedAsker({**FRESH, "min_tasks": "3", "max_tasks": "2"}, confirms=[True]), mock_services(),
                    profile="dev").run()


# -- Athena ------------------------------------------------------------------------------------------------
ATHENA_STACK = QuiltStack(STACK.name, STACK.arn, STACK.region, {
    **STACK.outputs, "UserAthenaWorkgroupName": "QuiltUserAthena-wg", "AthenaResultsBucketName": "athena-res"})


def test_athena_defaults_come_from_the_stack_outputs_and_are_checked() -> None:
    services = mock_services()
    services.quilt_stacks.return_value = [ATHENA_STACK]
    services.athena_workgroup.return_value = WorkgroupInfo("QuiltUserAthena-wg", None, enforced=False)
    notes: list[tuple[str, str]] = []
    asker = ScriptedAsker(FRESH, confirms=[True])
    quilt = SetupWizard(asker, services, profile="dev", notify=lambda *a: notes.append(a)).run().config.quilt
    offered = dict(asker.asked)
    assert offered["athena_workgroup"] == "QuiltUserAthena-wg"
    assert offered["athena_results_location"] == "s3://athena-res/benchling-webhook/athena-results/"
    services.athena_workgroup.assert_called_once_with("us-east-1", "QuiltUserAthena-wg")
    assert ("success", "Athena workgroup QuiltUserAthena-wg: query results go to "
                       "s3://athena-res/benchling-webhook/athena-results/") in notes
    assert (quilt.athena_workgroup, quilt.athena_results_location) == (
        "QuiltUserAthena-wg", "s3://athena-res/benchling-webhook/athena-results/")


def test_an_enforcing_workgroup_decides_the_results_location() -> None:
    services = mock_services()
    services.athena_workgroup.return_value = WorkgroupInfo("wg", "s3://wg-results/out/", enforced=True)
    asker = ScriptedAsker({**FRESH, "athena_workgroup": "wg"}, confirms=[True])
    quilt = SetupWizard(asker, services, profile="dev").run().config.quilt
    assert dict(asker.asked)["athena_results_location"] is None  # nothing discovered: the default location
    assert (quilt.athena_workgroup, quilt.athena_results_location) == ("wg", "s3://wg-results/out/")


def test_a_missing_workgroup_can_be_re_entered() -> None:
    services = mock_services()
    services.athena_workgroup.side_effect = [ValidationFailedError("Athena workgroup 'x' does not exist in us-east-1"),
                                             WorkgroupInfo("primary", None, enforced=False)]
    asker = ScriptedAsker({**FRESH, "athena_workgroup": ["x", "primary"]}, confirms=[True, True])
    quilt = SetupWizard(asker, services, profile="dev").run().config.quilt
    assert "Re-enter the Athena workgroup?" in asker.confirmed
    assert quilt.athena_workgroup == "primary" and quilt.athena_results_location is None


def test_no_database_means_no_athena_questions() -> None:
    services = mock_services()
    asker = ScriptedAsker({**FRESH, "catalog": ""}, confirms=[True])
    quilt = SetupWizard(asker, services, profile="dev", answers={"athena_workgroup": "wg"},
                        skip_validation=True).run().config.quilt
    assert "athena_workgroup" not in dict(asker.asked)
    assert quilt.athena_workgroup is None
    services.athena_workgroup.assert_not_called()


def test_rerun_keeps_the_profile_athena_values_for_the_same_stack() -> None:
    existing = ProfileConfig.model_validate(minimal_profile(quilt={
        "stackArn": STACK.arn, "catalog": "quilt.example.com", "region": "us-east-1", "database": "db",
        "athenaWorkgroup": "mine", "athenaResultsLocation": "s3://my-results/bw/"}))
    services = mock_services()
    services.known_quilt_stack.return_value = ATHENA_STACK
    asker = ScriptedAsker({})
    quilt = SetupWizard(asker, services, profile="dev", existing=existing).run().config.quilt
    offered = dict(asker.asked)
    assert (offered["athena_workgroup"], offered["athena_results_location"]) == ("mine", "s3://my-results/bw/")
    assert (quilt.athena_workgroup, quilt.athena_results_location) == ("mine", "s3://my-results/bw/")


def test_setup_prices_options_without_starting_node() -> None:
    """The wizard, the setup command and the cost table must not pull in CDK (jsii starts node)."""
    code = (
        "import benchling_webhook.cli.commands.setup, benchling_webhook.setup.wizard\n"
        "from benchling_webhook.config.models import DeploymentConfig\n"
        "from benchling_webhook.stack.cost import estimate_monthly_cost\n"
        "assert estimate_monthly_cost(DeploymentConfig(region='us-east-1'), 'us-east-1').total > 0"
    )
    assert imported_modules(code, ("aws_cdk", "jsii", "constructs", "cdk_nag")) == []
