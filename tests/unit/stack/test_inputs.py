from __future__ import annotations

import pytest

from benchling_webhook import __version__
from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.errors import ConfigError
from benchling_webhook.stack.inputs import build_stack_inputs, parse_ecr_uri, sqs_queue_parts
from tests.helpers import minimal_profile


def _profile(**deployment: object) -> ProfileConfig:
    data = minimal_profile()
    data["deployment"].update(deployment)
    return ProfileConfig.model_validate(data)


def test_default_image_is_the_accounts_ecr_repository_at_this_version() -> None:
    inputs = build_stack_inputs(_profile(), "default")
    assert inputs.stack_name == "BenchlingWebhookStack"
    assert inputs.image_uri is None
    assert inputs.ecr_image is not None
    assert (inputs.ecr_image.account, inputs.ecr_image.repository, inputs.ecr_image.tag) == (
        None, "benchling-webhook", __version__)


def test_image_flag_beats_profile_and_ecr_uris_are_parsed() -> None:
    inputs = build_stack_inputs(_profile(imageUri="ghcr.io/x/y:1"), "dev",
                                image_uri="123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/bw@sha256:" + "a" * 64)
    assert inputs.stack_name == "BenchlingWebhookStack-dev"
    assert inputs.ecr_image is not None
    assert (inputs.ecr_image.region, inputs.ecr_image.repository) == ("eu-west-1", "team/bw")
    assert inputs.ecr_image.tag.startswith("sha256:")
    assert parse_ecr_uri("ghcr.io/x/y:1") is None
    assert build_stack_inputs(_profile(imageUri="ghcr.io/x/y:1"), "dev").image_uri == "ghcr.io/x/y:1"


def test_environment_has_only_set_optional_values() -> None:
    data = minimal_profile(quilt={"catalog": "https://cat.example.com/b/x", "database": "db"},
                           security={"enableVerification": False, "webhookAllowList": "10.0.0.0/8, 192.0.2.1"},
                           logging={"level": "debug"})
    env = build_stack_inputs(ProfileConfig.model_validate(data), "default").env
    assert env["QUILT_WEB_HOST"] == "cat.example.com"
    assert env["ATHENA_USER_DATABASE"] == "db"
    assert env["ENABLE_WEBHOOK_VERIFICATION"] == "false"
    assert env["WEBHOOK_ALLOW_LIST"] == "10.0.0.0/8,192.0.2.1"
    assert env["LOG_LEVEL"] == "DEBUG"
    assert "PACKAGER_SQS_URL" not in env and "BENCHLING_BASE_URL" not in env


def test_missing_secret_and_unvalidated_vpc_are_config_errors_naming_the_field() -> None:
    data = minimal_profile()
    del data["benchling"]["secretArn"]
    with pytest.raises(ConfigError, match=r"^benchling\.secretArn is not set"):
        build_stack_inputs(ProfileConfig.model_validate(data), "default")
    with pytest.raises(ConfigError, match="no validated private subnets") as err:
        build_stack_inputs(_profile(vpc={"vpcId": "vpc-0123456789abcdef0"}), "dev")
    assert err.value.hint and "setup --profile dev" in err.value.hint
    uneven = {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": ["subnet-1", "subnet-2", "subnet-3"],
              "availabilityZones": ["us-east-1a", "us-east-1b"]}
    with pytest.raises(ConfigError, match="same number of subnets"):
        build_stack_inputs(_profile(vpc=uneven), "dev")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://sqs.us-east-2.amazonaws.com/123456789012/q", ("us-east-2", "123456789012", "q")),
    ("https://queue.amazonaws.com/123456789012/q", ("us-east-1", "123456789012", "q")),
    ("https://sqs.eu-west-1.api.aws/123456789012/q.fifo", ("eu-west-1", "123456789012", "q.fifo")),
])
def test_packager_queue_url_to_arn_parts(url: str, expected: tuple[str, str, str]) -> None:
    assert sqs_queue_parts(url, "us-east-1") == expected


def test_garbage_packager_queue_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="is not an SQS queue URL"):
        sqs_queue_parts("https://example.com/nope", "us-east-1")


def test_athena_workgroup_and_results_location_reach_the_container() -> None:
    default = build_stack_inputs(ProfileConfig.model_validate(minimal_profile(quilt={"database": "db"})), "dev")
    assert default.env["ATHENA_WORKGROUP"] == "primary"
    assert default.env["ATHENA_OUTPUT_LOCATION"] == "s3://quilt-packages/.benchling-webhook/athena-results/"
    assert default.athena_results == ("quilt-packages", ".benchling-webhook/athena-results/")
    custom = build_stack_inputs(ProfileConfig.model_validate(minimal_profile(quilt={
        "database": "db", "athenaWorkgroup": "wg-1", "athenaResultsLocation": "s3://results-bucket/bw"})), "dev")
    assert (custom.env["ATHENA_WORKGROUP"], custom.env["ATHENA_OUTPUT_LOCATION"]) == ("wg-1", "s3://results-bucket/bw/")
    assert custom.athena_results == ("results-bucket", "bw/")
    none = build_stack_inputs(_profile(), "dev")
    assert none.athena_results is None and "ATHENA_WORKGROUP" not in none.env


@pytest.mark.parametrize("location", ["s3://quilt-packages/benchling/athena/", "s3://quilt-packages",
                                      "s3://quilt-packages/.quilt/x/"])
def test_results_among_the_packages_are_refused(location: str) -> None:
    profile = ProfileConfig.model_validate(minimal_profile(quilt={"database": "db", "athenaResultsLocation": location}))
    with pytest.raises(ConfigError, match=r"^quilt\.athenaResultsLocation .* would put query results among the "
                                          r"packages of s3://quilt-packages/benchling/") as err:
        build_stack_inputs(profile, "dev")
    assert err.value.hint and ".benchling-webhook/athena-results/" in err.value.hint


def test_profile_refuses_a_bad_results_location_and_workgroup() -> None:
    from pydantic import ValidationError

    for quilt in ({"athenaResultsLocation": "https://x/y"}, {"athenaWorkgroup": "bad name"}):
        with pytest.raises(ValidationError):
            ProfileConfig.model_validate(minimal_profile(quilt=quilt))


def test_a_workgroup_of_the_stacks_own_needs_no_results_location() -> None:
    inputs = build_stack_inputs(ProfileConfig.model_validate(minimal_profile(
        quilt={"database": "quilt_db", "createAthenaWorkgroup": True})), "dev")
    assert inputs.create_athena_workgroup and inputs.athena_results is None and inputs.athena_workgroup is None
    assert not {"ATHENA_WORKGROUP", "ATHENA_OUTPUT_LOCATION"} & set(inputs.env)
    assert inputs.created_workgroup_name == "BenchlingWebhookStack-dev-linked-packages"
    env = inputs.container_environment(region="us-east-1", inbox_queue_url="q", inbox_dlq_url="d",
                                       athena_workgroup="wg-token")
    assert env["ATHENA_WORKGROUP"] == "wg-token"


def test_a_created_workgroup_excludes_a_named_one() -> None:
    with pytest.raises(ValueError, match="createAthenaWorkgroup: the stack creates its own workgroup"):
        ProfileConfig.model_validate(minimal_profile(quilt={"createAthenaWorkgroup": True,
                                                            "athenaWorkgroup": "primary"}))


def test_revision_events_and_the_workflow_follow_packager_mode() -> None:
    queue = "https://sqs.us-east-1.amazonaws.com/123456789012/quilt-packager"
    packager = build_stack_inputs(ProfileConfig.model_validate(minimal_profile(
        quilt={"queueUrl": queue}, packages={"bucket": "b", "prefix": "eln", "workflow": "alpha"})), "dev")
    assert packager.revision_events and packager.package_prefix == "eln" and packager.env["QUILT_WORKFLOW"] == "alpha"
    assert not build_stack_inputs(ProfileConfig.model_validate(minimal_profile()), "dev").revision_events
