from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.setup.support import APP_DEFINITION_ID, CLIENT_ID, CLIENT_SECRET, StandIn, create_quilt_stack
from tests.functional.stack.vpc_builder import build_vpc
from tests.helpers import free_port, minimal_profile, write_profile


@pytest.fixture(scope="module")
def standin_module() -> Iterator[StandIn]:
    server = StandIn().start()
    yield server
    server.stop()


@pytest.fixture
def world(aws, standin_module: StandIn) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """moto with a Quilt stack for the stand-in catalog, its bucket and a valid VPC."""
    standin_module.reset()
    stack = create_quilt_stack(aws.client("cloudformation"), standin_module.host, bucket="quilt-data")
    aws.client("s3").create_bucket(Bucket="quilt-data")
    aws.client("s3").put_bucket_versioning(Bucket="quilt-data",  # a Quilt bucket is versioned
                                           VersioningConfiguration={"Status": "Enabled"})
    vpc = build_vpc(aws.client("ec2"))
    return {"aws": aws, "standin": standin_module, "stack": stack, "vpc": vpc}


def _flags(world: dict, **overrides: str) -> list[str]:  # type: ignore[type-arg]
    values = {"--catalog": world["standin"].url, "--tenant": "https://acme.benchling.com/entries",
              "--app-definition-id": APP_DEFINITION_ID, "--client-id": CLIENT_ID,
              "--benchling-base-url": world["standin"].url, "--vpc-id": world["vpc"]["vpc_id"]}
    values.update({f"--{k.replace('_', '-')}": v for k, v in overrides.items()})
    return [item for pair in values.items() for item in pair if pair[1] is not None]


def _profile(isolation: Path, name: str = "dev") -> Path:
    return isolation / "config" / "benchling-webhook" / name / "config.json"


def test_non_interactive_setup_discovers_validates_and_saves(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("setup", "--yes", "--profile", "dev", *_flags(world), "--client-secret-stdin", input=CLIENT_SECRET)
    assert result.exit_code == 0, result.output
    path = _profile(isolation)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["quilt"] == {"stackArn": world["stack"]["arn"], "catalog": world["standin"].host,
                              "bucket": "quilt-data", "database": "quilt_prod_catalog",
                              "queueUrl": world["stack"]["outputs"]["PackagerQueueUrl"], "region": "us-east-1",
                              "createAthenaWorkgroup": True}
    assert saved["benchling"]["tenant"] == "acme"
    assert saved["packages"] == {"bucket": "quilt-data", "prefix": "benchling", "metadataKey": "experiment_id"}
    assert saved["deployment"]["vpc"]["vpcId"] == world["vpc"]["vpc_id"]
    assert sorted(saved["deployment"]["vpc"]["privateSubnetIds"]) == sorted(world["vpc"]["private"])
    secret = world["aws"].client("secretsmanager").get_secret_value(SecretId=saved["benchling"]["secretArn"])
    assert json.loads(secret["SecretString"]) == {"tenant": "acme", "client_id": CLIENT_ID,
                                                  "client_secret": CLIENT_SECRET,
                                                  "app_definition_id": APP_DEFINITION_ID}
    assert CLIENT_SECRET not in path.read_text() + result.output
    assert world["standin"].state.token_requests[0]["client_id"] == CLIENT_ID
    assert f"✓ saved profile 'dev' to {path}" in result.stderr
    assert "next: benchling-webhook deploy --profile dev" in result.stderr


def test_missing_values_are_listed_in_one_error(cli, aws) -> None:  # type: ignore[no-untyped-def]
    result = cli("setup", "--yes", "--profile", "dev", "--region", "us-east-1")
    assert result.exit_code == 2, result.output
    assert ("error: --tenant, --app-definition-id, --client-id, --client-secret (or --client-secret-stdin) "
            "and --bucket are required when not interactive") in result.stderr
    assert "hint: pass the flag(s) (see: benchling-webhook setup --help)" in result.stderr


def test_bad_credentials_are_refused_and_the_old_profile_is_kept(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("setup", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET).exit_code == 0
    before = _profile(isolation).read_text()
    result = cli("setup", "--profile", "dev", *_flags(world, client_id="client_other"), "--client-secret", "nope")
    assert result.exit_code == 1, result.output
    assert "error: Benchling refused the client id and secret for tenant 'acme' (HTTP 401)" in result.stderr
    assert "hint: copy both from Developer Console" in result.stderr
    assert _profile(isolation).read_text() == before


def test_rerun_edits_the_profile_and_keeps_the_stored_secret(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("setup", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET).exit_code == 0
    first = json.loads(_profile(isolation).read_text())
    world["aws"].client("s3").create_bucket(Bucket="other-bucket")
    world["aws"].client("s3").put_bucket_versioning(Bucket="other-bucket",
                                                    VersioningConfiguration={"Status": "Enabled"})
    result = cli("setup", "--profile", "dev", "--bucket", "other-bucket", "--prefix", "eln")
    assert result.exit_code == 0, result.output
    second = json.loads(_profile(isolation).read_text())
    assert second["packages"] == {"bucket": "other-bucket", "prefix": "eln", "metadataKey": "experiment_id"}
    assert {k: v for k, v in second.items() if k != "packages"} == {k: v for k, v in first.items() if k != "packages"}
    assert "Secrets Manager: unchanged" in result.stderr
    assert world["standin"].state.token_requests[-1]["client_id"] == CLIENT_ID  # validated with the stored secret
    assert json.loads(_profile(isolation).with_name("config.json.bak").read_text()) == first


def test_unreachable_benchling_and_skip_validation(cli, world) -> None:  # type: ignore[no-untyped-def]
    closed = f"http://127.0.0.1:{free_port()}"
    flags = _flags(world, benchling_base_url=closed)
    result = cli("setup", "--profile", "dev", *flags, "--client-secret", CLIENT_SECRET)
    assert result.exit_code == 2, result.output
    assert f"error: cannot reach Benchling at {closed} (ConnectError)" in result.stderr
    result = cli("setup", "--profile", "dev", *flags, "--client-secret", CLIENT_SECRET, "--skip-validation")
    assert result.exit_code == 0, result.output


def test_several_quilt_stacks_need_a_choice(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    other = create_quilt_stack(world["aws"].client("cloudformation"), world["standin"].host, name="quilt-a",
                               bucket="quilt-data")
    result = cli("setup", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET)
    assert result.exit_code == 2, result.output
    assert "error: --quilt-stack (one of: quilt-a, quilt-prod) is required when not interactive" in result.stderr
    result = cli("setup", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET,
                 "--quilt-stack", other["arn"])
    assert result.exit_code == 0, result.output
    assert json.loads(_profile(isolation).read_text())["quilt"]["stackArn"] == other["arn"]


def test_catalog_without_a_stack_takes_values_by_hand(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    world["aws"].client("cloudformation").delete_stack(StackName="quilt-prod")
    result = cli("setup", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET, "--bucket",
                 "quilt-data", "--quilt-queue-url", "https://sqs.us-east-1.amazonaws.com/1/q")
    assert result.exit_code == 0, result.output
    assert f"no CloudFormation stack in us-east-1 has a QuiltWebHost output of {world['standin'].host}" in result.stderr
    quilt = json.loads(_profile(isolation).read_text())["quilt"]
    assert quilt == {"catalog": world["standin"].host, "queueUrl": "https://sqs.us-east-1.amazonaws.com/1/q",
                     "region": "us-east-1"}


def test_vpc_in_one_zone_and_missing_bucket_fail_with_what_to_fix(cli, world) -> None:  # type: ignore[no-untyped-def]
    one_zone = build_vpc(world["aws"].client("ec2"), private_azs=("us-east-1a",))
    result = cli("setup", "--profile", "dev", *_flags(world, vpc_id=one_zone["vpc_id"]), "--client-secret",
                 CLIENT_SECRET)
    assert result.exit_code == 2, result.output
    assert "the service needs them in at least 2; public and isolated subnets are excluded" in result.stderr
    assert "hint: add a private subnet in another zone whose route table sends 0.0.0.0/0 to a NAT gateway" in \
        result.stderr
    result = cli("setup", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET, "--bucket", "nope-nope")
    assert result.exit_code == 2, result.output
    assert "error: S3 bucket 'nope-nope' does not exist" in result.stderr


def test_profile_and_aws_profile_mixups_are_pointed_out(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    aws_config = isolation / ".aws" / "config"
    aws_config.parent.mkdir()
    aws_config.write_text("[profile staging]\nregion = us-east-1\n")
    result = cli("setup", "--profile", "staging", *_flags(world), "--client-secret", CLIENT_SECRET)
    assert result.exit_code == 0, result.output
    assert ("warning: 'staging' is an AWS profile, but --profile names a benchling-webhook profile (none is called "
            "'staging' yet); for AWS credentials use --aws-profile staging") in result.stderr
    write_profile(isolation, "dev", minimal_profile())
    result = cli("setup", "--aws-profile", "dev", "--yes")
    assert result.exit_code == 1, result.output
    assert "error: AWS profile 'dev' is not configured" in result.stderr
    assert "hint: 'dev' is a benchling-webhook profile: did you mean --profile dev?" in result.stderr


def test_flag_errors_name_the_flag(cli, aws) -> None:  # type: ignore[no-untyped-def]
    result = cli("setup", "--yes", "--client-secret", "a", "--client-secret-stdin", input="b")
    assert result.exit_code == 2
    assert "error: --client-secret and --client-secret-stdin are mutually exclusive" in result.stderr
    result = cli("setup", "--yes", "--app-definition-id", "app_def_456")
    assert result.exit_code == 2
    assert "error: --app-definition-id 'app_def_456': app definition ids look like appdef_" in result.stderr


def test_setup_repairs_a_broken_profile(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    broken = minimal_profile()
    broken["deployment"]["natGateways"] = 7
    write_profile(isolation, "dev", broken)
    result = cli("setup", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET)
    assert result.exit_code == 0, result.output
    assert "deployment.natGateways" in result.stderr and "starting from empty values" in result.stderr
    assert cli("config", "validate", "--profile", "dev").exit_code == 0
    assert json.loads(_profile(isolation).with_name("config.json.bak").read_text()) == broken


# -- sizing and cost options --------------------------------------------------------------------------------
def _summary(out: str) -> dict[str, str]:
    """The summary table's one-line rows: ``│ key │ value │`` → {key: value}."""
    rows = [[cell.strip() for cell in line.strip().strip("│").split("│")] for line in out.splitlines()
            if line.startswith("│")]
    return {row[0]: row[1] for row in rows if len(row) == 2 and row[0]}


def _cost_total(**deployment: object) -> str:
    from benchling_webhook.config.models import DeploymentConfig
    from benchling_webhook.stack.cost import estimate_monthly_cost

    return f"~${estimate_monthly_cost(DeploymentConfig(region='us-east-1', **deployment), 'us-east-1').total:,.2f}"


def test_sizing_flags_are_saved_and_summarised_with_the_cost(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    sizing = ["--nat-gateways", "1", "--min-tasks", "1", "--max-tasks", "4", "--cpu", "2048", "--memory", "4096",
              "--fargate-spot", "--alarm-email", "oncall@example.com"]
    result = cli("setup", "--yes", "--profile", "dev", *_flags(world, vpc_id="new"), "--client-secret", CLIENT_SECRET,
                 *sizing)
    assert result.exit_code == 0, result.output
    deployment = json.loads(_profile(isolation).read_text())["deployment"]
    assert {k: deployment[k] for k in ("natGateways", "minTasks", "maxTasks", "cpu", "memory", "fargateSpot",
                                       "alarmEmail")} == {
        "natGateways": 1, "minTasks": 1, "maxTasks": 4, "cpu": 2048, "memory": 4096, "fargateSpot": True,
        "alarmEmail": "oncall@example.com"}
    assert "vpc" not in deployment
    out = result.stderr
    total = _cost_total(nat_gateways=1, min_tasks=1, max_tasks=4, cpu=2048, memory=4096, fargate_spot=True)
    assert {k: v for k, v in _summary(out).items() if k in {
        "NAT gateways", "Tasks", "Fargate Spot", "Alarm email", "Athena", "Monthly cost"}} == {
        "NAT gateways": "1 (no HA)", "Tasks": "1 to 4 x 2 vCPU / 4 GB (cpu 2048, memory 4096)",
        "Fargate Spot": "on (1 on-demand task, the rest on Spot)", "Alarm email": "oncall@example.com",
        "Athena": "a workgroup the stack creates, results managed by Athena (no bucket)",
        "Monthly cost": f"{total} fixed, estimated (breakdown below)"}
    assert f"estimated fixed monthly cost: {total} (on-demand)" in out
    assert "$   32.85  NAT gateways x 1" in out  # the deploy plan's price table, one NAT gateway
    # a re-run keeps every option; '' removes the alarm email
    result = cli("setup", "--yes", "--profile", "dev", "--alarm-email", "")
    assert result.exit_code == 0, result.output
    again = json.loads(_profile(isolation).read_text())["deployment"]
    assert "alarmEmail" not in again and {k: v for k, v in again.items() if k != "alarmEmail"} == {
        k: v for k, v in deployment.items() if k != "alarmEmail"}
    assert _summary(result.stderr)["Alarm email"] == "- (alarms without notifications)"


def test_defaults_are_the_model_sizing_and_an_existing_vpc_has_no_nat(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("setup", "--yes", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET,
                 "--nat-gateways", "1")
    assert result.exit_code == 0, result.output
    deployment = json.loads(_profile(isolation).read_text())["deployment"]
    assert (deployment["minTasks"], deployment["maxTasks"], deployment["cpu"], deployment["memory"],
            deployment["fargateSpot"]) == (2, 10, 1024, 2048, False)
    out = result.stderr
    assert "warning: --nat-gateways is ignored: an existing VPC brings its own NAT gateways" in out
    assert _summary(out)["NAT gateways"] == "- (the existing VPC's own)"
    assert "NAT gateways x" not in out and "natGateways: 1 saves" not in out
    vpc = {"vpcId": world["vpc"]["vpc_id"], "privateSubnetIds": ["s-1", "s-2"], "availabilityZones": ["a", "b"]}
    assert _summary(out)["Monthly cost"] == f"{_cost_total(vpc=vpc)} fixed, estimated (breakdown below)"
    assert "option: fargateSpot: true saves ~$25.23/month" in out


@pytest.mark.parametrize(("flags", "error", "hint"), [
    (["--min-tasks", "5", "--max-tasks", "2"], "--max-tasks '2': must be at least the minimum task count (5)", None),
    (["--min-tasks", "12"], "--min-tasks 12 is larger than the maximum task count 10 (deployment.maxTasks)",
     "pass --max-tasks 12 or more"),
    (["--cpu", "4096"], "--cpu 4096 needs --memory: the profile's memory 2048 is not a Fargate size for it",
     "pass --memory (8192 to 30720 in steps of 1024 MiB)"),
    (["--cpu", "1024", "--memory", "1024"],
     "--memory '1024': Fargate memory for cpu 1024 is 2048 to 8192 in steps of 1024 (MiB)", None),
    (["--cpu", "3000"], "--cpu '3000': choose one of: 256, 512, 1024, 2048, 4096", None),
    (["--vpc-id", "new", "--nat-gateways", "3"], "--nat-gateways '3': choose one of: 2, 1", None),
    (["--alarm-email", "oncall"], "--alarm-email 'oncall': enter an email address", None),
])
def test_invalid_sizing_is_one_error_naming_the_flag(cli, aws, flags: list[str], error: str,  # type: ignore[no-untyped-def]
                                                     hint: str | None) -> None:
    result = cli("setup", "--yes", "--profile", "dev", *flags)
    assert result.exit_code == 2, result.output
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert line.startswith(f"error: {error}")
    if hint:
        assert f"hint: {hint}" in result.stderr


# -- Athena workgroup and results location ------------------------------------------------------------------
def test_athena_values_come_from_the_quilt_stack_and_an_enforcing_workgroup(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    aws = world["aws"]
    aws.client("cloudformation").delete_stack(StackName="quilt-prod")
    create_quilt_stack(aws.client("cloudformation"), world["standin"].host, bucket="quilt-data",
                       extra_outputs={"UserAthenaWorkgroupName": "QuiltUserAthena-wg",
                                      "AthenaResultsBucketName": "quilt-athena-results"})
    athena = aws.client("athena")
    athena.create_work_group(Name="QuiltUserAthena-wg", Configuration={"EnforceWorkGroupConfiguration": False})
    result = cli("setup", "--yes", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET)
    assert result.exit_code == 0, result.output
    quilt = json.loads(_profile(isolation).read_text())["quilt"]
    assert (quilt["athenaWorkgroup"], quilt["athenaResultsLocation"]) == (
        "QuiltUserAthena-wg", "s3://quilt-athena-results/benchling-webhook/athena-results/")
    # a workgroup that enforces its own location wins: that is where Athena will write
    athena.create_work_group(Name="enforced", Configuration={
        "EnforceWorkGroupConfiguration": True, "ResultConfiguration": {"OutputLocation": "s3://wg-results/q/"}})
    result = cli("setup", "--yes", "--profile", "dev", "--athena-workgroup", "enforced",
                 "--athena-results-location", "s3://mine/x/")
    assert result.exit_code == 0, result.output
    assert "workgroup enforced enforces its own results location, so s3://mine/x/ would not be used" in result.stderr
    quilt = json.loads(_profile(isolation).read_text())["quilt"]
    assert (quilt["athenaWorkgroup"], quilt["athenaResultsLocation"]) == ("enforced", "s3://wg-results/q/")
    assert _summary(result.stderr)["Athena"] == "workgroup enforced, results s3://wg-results/q/"


def test_unknown_athena_workgroup_and_bad_location_say_what_to_fix(cli, world) -> None:  # type: ignore[no-untyped-def]
    base = ["setup", "--yes", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET]
    result = cli(*base, "--athena-workgroup", "nope")
    assert result.exit_code == 2, result.output
    assert "error: Athena workgroup 'nope' does not exist in us-east-1" in result.stderr
    assert "hint: enter an existing workgroup (Athena console → Workgroups), e.g. primary" in result.stderr
    result = cli(*base, "--athena-workgroup", "primary", "--athena-results-location", "quilt-data/x")
    assert result.exit_code == 2, result.output
    assert ("error: --athena-results-location 'quilt-data/x': 'quilt-data/x' is not an S3 location "
            "(expected s3://bucket/prefix/)") in result.stderr


def test_an_unversioned_bucket_stops_setup_unless_versioning_is_turned_on(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    s3 = world["aws"].client("s3")
    s3.create_bucket(Bucket="plain-bucket")
    flags = [*_flags(world, bucket="plain-bucket"), "--client-secret-stdin"]
    refused = cli("setup", "--yes", "--profile", "dev", *flags, input=CLIENT_SECRET)
    assert refused.exit_code == 2, refused.output
    assert "error: bucket plain-bucket has versioning off: each package revision overwrites its objects in place, " \
           "so earlier revisions would lose their data" in refused.stderr
    assert "--bucket-versioning" in refused.stderr and not _profile(isolation).exists()
    assert "Status" not in s3.get_bucket_versioning(Bucket="plain-bucket")

    done = cli("setup", "--yes", "--profile", "dev", *flags, "--bucket-versioning", input=CLIENT_SECRET)
    assert done.exit_code == 0, done.output
    assert "turned on versioning for bucket plain-bucket" in done.stderr
    assert s3.get_bucket_versioning(Bucket="plain-bucket")["Status"] == "Enabled"


def test_without_a_quilt_workgroup_the_stack_creates_one_and_setup_says_why(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    base = ["setup", "--yes", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET]
    result = cli(*base, "--athena-results-location", "s3://mine/x/")
    assert result.exit_code == 0, result.output
    assert ("the Quilt stack has no Athena workgroup of its own, so the stack creates an Athena workgroup of its own "
            "with AWS-managed query results: Athena keeps each result for 24 hours, so no results bucket is needed "
            "and the task role gets no S3 rights for them") in result.stderr
    assert "s3://mine/x/ is not used: the new workgroup's query results are managed by Athena" in result.stderr
    quilt = json.loads(_profile(isolation).read_text())["quilt"]
    assert quilt["createAthenaWorkgroup"] is True and not {"athenaWorkgroup", "athenaResultsLocation"} & set(quilt)


def test_a_quilt_workgroup_that_is_not_usable_is_replaced_by_a_new_one(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    aws = world["aws"]
    aws.client("cloudformation").delete_stack(StackName="quilt-prod")
    create_quilt_stack(aws.client("cloudformation"), world["standin"].host, bucket="quilt-data",
                       extra_outputs={"UserAthenaWorkgroupName": "QuiltUserAthena-gone"})
    result = cli("setup", "--yes", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET)
    assert result.exit_code == 0, result.output
    assert ("the Quilt stack's Athena workgroup QuiltUserAthena-gone is not usable (Athena workgroup "
            "'QuiltUserAthena-gone' does not exist in us-east-1), so the stack creates") in result.stderr
    assert json.loads(_profile(isolation).read_text())["quilt"]["createAthenaWorkgroup"] is True


# -- Quilt workflow -------------------------------------------------------------------------------------------
def test_the_workflow_must_be_one_of_the_buckets_and_is_saved(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    world["aws"].client("s3").put_object(Bucket="quilt-data", Key=".quilt/workflows/config.yml", Body=(
        b"version: '1'\nworkflows:\n  alpha:\n    name: Alpha\n  beta:\n    name: Beta\n"))
    base = ["setup", "--yes", "--profile", "dev", *_flags(world), "--client-secret", CLIENT_SECRET]
    result = cli(*base, "--workflow", "gamma")
    assert result.exit_code == 2, result.output
    assert ("error: Quilt workflow 'gamma' is not one of the workflows in "
            "s3://quilt-data/.quilt/workflows/config.yml") in result.stderr
    assert "hint: choose one of: alpha, beta (or --workflow none)" in result.stderr
    assert not _profile(isolation).exists()
    result = cli(*base, "--workflow", "beta")
    assert result.exit_code == 0, result.output
    assert json.loads(_profile(isolation).read_text())["packages"]["workflow"] == "beta"
    assert "✓ packages go through Quilt workflow beta (Beta)" in result.stderr
    assert _summary(result.stderr)["Quilt workflow"] == "beta"


# -- the Quilt stack's VPC ------------------------------------------------------------------------------------
def test_a_new_profile_gets_the_quilt_stacks_vpc_first(cli, world, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    aws = world["aws"]
    ec2 = aws.client("ec2")
    group = ec2.create_security_group(GroupName="quilt-outbound", Description="q",
                                      VpcId=world["vpc"]["vpc_id"])["GroupId"]
    aws.client("cloudformation").delete_stack(StackName="quilt-prod")
    create_quilt_stack(aws.client("cloudformation"), world["standin"].host, bucket="quilt-data",
                       extra_outputs={"OutboundSecurityGroup": group})
    flags = [f for f in _flags(world) if f not in ("--vpc-id", world["vpc"]["vpc_id"])]
    result = cli("setup", "--yes", "--profile", "dev", *flags, "--client-secret", CLIENT_SECRET)
    assert result.exit_code == 0, result.output
    assert f"the Quilt stack runs in VPC {world['vpc']['vpc_id']}: offered first" in result.stderr
    assert f"✓ VPC {world['vpc']['vpc_id']} (the Quilt stack's): private subnets routed through NAT" in result.stderr
    vpc = json.loads(_profile(isolation).read_text())["deployment"]["vpc"]
    assert vpc["vpcId"] == world["vpc"]["vpc_id"] and sorted(vpc["privateSubnetIds"]) == sorted(world["vpc"]["private"])


def test_a_quilt_stack_vpc_that_falls_short_says_what_to_fix(cli, world) -> None:  # type: ignore[no-untyped-def]
    aws = world["aws"]
    one_zone = build_vpc(aws.client("ec2"), private_azs=("us-east-1a",))
    aws.client("cloudformation").delete_stack(StackName="quilt-prod")
    create_quilt_stack(aws.client("cloudformation"), world["standin"].host, bucket="quilt-data",
                       parameters={"VPC": one_zone["vpc_id"]})
    flags = [f for f in _flags(world) if f not in ("--vpc-id", world["vpc"]["vpc_id"])]
    result = cli("setup", "--yes", "--profile", "dev", *flags, "--client-secret", CLIENT_SECRET)
    assert result.exit_code == 2, result.output
    assert (f"error: VPC {one_zone['vpc_id']} has private subnets routed through a NAT gateway in 1 availability zone "
            "(us-east-1a)") in result.stderr
    assert "or choose 'new' (--vpc-id new) to let deploy create a VPC" in result.stderr
    result = cli("setup", "--yes", "--profile", "dev", *flags, "--client-secret", CLIENT_SECRET, "--vpc-id", "new")
    assert result.exit_code == 0, result.output
