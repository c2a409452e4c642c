from __future__ import annotations

import pytest
from pydantic import ValidationError

from benchling_webhook.cli.prompts import NonInteractiveAsker
from benchling_webhook.config.models import QuiltConfig, VpcConfig, s3_uri_problem
from benchling_webhook.errors import ConfigError
from benchling_webhook.setup.discovery import QuiltStack, is_region
from benchling_webhook.setup.questions import QUESTIONS, Choice
from benchling_webhook.setup.secrets import region_of_arn
from benchling_webhook.setup.validate import (
    check_app_definition_id,
    check_bucket_name,
    check_tenant,
    check_vpc_id,
    check_workgroup,
    normalize_bucket,
)


@pytest.mark.parametrize("value", ["acme", "acme.benchling.com", "https://acme.benchling.com/entries/x"])
def test_tenant_forms_are_accepted(value: str) -> None:
    assert check_tenant(value) is None


def test_local_checks_explain_what_is_expected() -> None:
    assert check_tenant("ac me") is not None
    assert check_app_definition_id("app_def_456") == ("app definition ids look like appdef_… "
                                                      "(Developer Console → Apps → your app)")
    assert check_bucket_name("s3://good-bucket/prefix") is None and normalize_bucket("s3://b-1/x") == "b-1"
    assert check_bucket_name("Bad_Bucket") is not None
    assert check_vpc_id("new") is None and check_vpc_id("vpc-12") is not None
    assert is_region("eu-central-1") and not is_region("europe")
    assert region_of_arn("arn:aws:secretsmanager:eu-west-1:1:secret:x") == "eu-west-1"
    assert region_of_arn("just-a-name") is None


def _profile_accepts(model: type[VpcConfig | QuiltConfig], **values: str) -> bool:
    try:
        model(**values)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(("bucket", "vpc", "workgroup"), [
    ("my-quilt-bucket", "vpc-0123456789abcdef0", "primary"),
    ("Bad_Bucket", "vpc-12", "no spaces"),
    ("ab", "vpc-0123456789ABCDEF0", "w" * 129),
])
def test_setup_accepts_exactly_the_names_a_profile_accepts(bucket: str, vpc: str, workgroup: str) -> None:
    assert (check_bucket_name(bucket) is None) == (s3_uri_problem(f"s3://{bucket}/") is None)
    assert (check_vpc_id(vpc) is None) == _profile_accepts(VpcConfig, vpc_id=vpc)
    assert (check_workgroup(workgroup) is None) == _profile_accepts(QuiltConfig, athena_workgroup=workgroup)


def test_question_problem_covers_required_and_choices() -> None:
    assert QUESTIONS["tenant"].problem("") == "a value is required"
    assert QUESTIONS["catalog"].problem("") is None
    assert QUESTIONS["tenant"].flag == "--tenant"
    picked = QUESTIONS["quilt_stack"].__class__(**{**QUESTIONS["quilt_stack"].__dict__,
                                                   "choices": (Choice("A", "a"),)})
    assert picked.problem("b") == "choose one of: a"


def test_stack_output_aliases_and_queue_arn_is_ignored() -> None:
    stack = QuiltStack("s", "arn", "us-east-1", {"QueueUrl": "arn:aws:sqs:us-east-1:1:q",
                                                 "AthenaUserDatabase": "db", "BucketName": "s3://b/"})
    assert (stack.queue_url, stack.database, stack.bucket) == (None, "db", "b")


def test_non_interactive_asker_names_one_missing_flag() -> None:
    asker = NonInteractiveAsker()
    assert asker.ask(QUESTIONS["prefix"], "benchling") == "benchling"
    assert asker.ask(QUESTIONS["image_uri"], None) is None
    assert asker.ask(QUESTIONS["tenant"], None) is None
    with pytest.raises(ConfigError, match=r"^--tenant is required when not interactive$"):
        asker.raise_if_incomplete()
