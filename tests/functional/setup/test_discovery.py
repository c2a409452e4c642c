from __future__ import annotations

import pytest

from benchling_webhook.errors import ValidationFailedError
from benchling_webhook.setup.discovery import (
    catalog_config_url,
    describe_quilt_stack,
    fetch_catalog_info,
    find_quilt_stacks,
)
from tests.functional.setup.support import create_other_stacks, create_quilt_stack
from tests.helpers import free_port


def test_catalog_config_gives_the_region(standin) -> None:  # type: ignore[no-untyped-def]
    standin.state.region = "eu-central-1"
    info = fetch_catalog_info(f"{standin.url}/b/some-bucket/tree/")
    assert (info.host, info.region) == (standin.host, "eu-central-1")
    assert info.config_url == f"{standin.url}/config.json"


def test_bare_host_means_https() -> None:
    assert catalog_config_url("quilt.example.com/b/x") == "https://quilt.example.com/config.json"
    assert catalog_config_url("HTTP://127.0.0.1:9/") == "http://127.0.0.1:9/config.json"


def test_unreachable_catalog_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ValidationFailedError, match=rf"cannot reach the Quilt catalog at {url}/config.json") as err:
        fetch_catalog_info(url, timeout=2)
    assert err.value.hint and "catalog URL" in err.value.hint


def test_catalog_answering_an_error_or_non_config_is_refused(standin) -> None:  # type: ignore[no-untyped-def]
    standin.state.config_status = 500
    with pytest.raises(ValidationFailedError, match="answered HTTP 500"):
        fetch_catalog_info(standin.url)
    standin.state.config_status = 200
    standin.state.region = "not a region"
    with pytest.raises(ValidationFailedError, match="is not a Quilt catalog configuration"):
        fetch_catalog_info(standin.url)


def test_quilt_stack_is_found_by_its_web_host_across_pages(aws) -> None:  # type: ignore[no-untyped-def]
    cfn = aws.client("cloudformation")
    create_other_stacks(cfn, 55)  # the Quilt stack is on the second page
    made = create_quilt_stack(cfn, "quilt.example.com", bucket="quilt-data")
    create_quilt_stack(cfn, "another.example.com", name="quilt-dev")
    first_page = cfn.describe_stacks()
    assert first_page.get("NextToken") and "quilt-prod" not in {s["StackName"] for s in first_page["Stacks"]}
    found = find_quilt_stacks(cfn, "https://QUILT.example.com/", "us-east-1")
    assert [s.name for s in found] == ["quilt-prod"]
    stack = found[0]
    assert stack.arn == made["arn"]
    assert stack.queue_url == made["outputs"]["PackagerQueueUrl"]
    assert (stack.database, stack.bucket) == ("quilt_prod_catalog", "quilt-data")
    config = stack.to_quilt_config("quilt.example.com")
    assert config.stack_arn == made["arn"] and config.region == "us-east-1" and config.catalog == "quilt.example.com"


def test_several_stacks_for_one_catalog_are_all_returned(aws) -> None:  # type: ignore[no-untyped-def]
    cfn = aws.client("cloudformation")
    create_quilt_stack(cfn, "quilt.example.com", name="quilt-b")
    create_quilt_stack(cfn, "quilt.example.com", name="quilt-a")
    assert [s.name for s in find_quilt_stacks(cfn, "quilt.example.com", "us-east-1")] == ["quilt-a", "quilt-b"]
    assert find_quilt_stacks(cfn, "nothing.example.com", "us-east-1") == []


def test_a_known_quilt_stack_is_described_until_it_is_deleted(aws) -> None:  # type: ignore[no-untyped-def]
    cfn = aws.client("cloudformation")
    made = create_quilt_stack(cfn, "quilt.example.com", bucket="quilt-data")
    stack = describe_quilt_stack(cfn, made["arn"], "us-east-1")
    assert stack is not None and (stack.name, stack.bucket) == ("quilt-prod", "quilt-data")
    cfn.delete_stack(StackName="quilt-prod")
    assert describe_quilt_stack(cfn, made["arn"], "us-east-1") is None  # by id a deleted stack is still described
    assert describe_quilt_stack(cfn, "quilt-prod", "us-east-1") is None


def test_the_quilt_stacks_vpc_comes_from_its_parameter_or_its_security_group(aws) -> None:  # type: ignore[no-untyped-def]
    from benchling_webhook.setup.discovery import QuiltStack, quilt_stack_vpc

    ec2 = aws.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="out", Description="o", VpcId=vpc_id)["GroupId"]
    assert quilt_stack_vpc(ec2, QuiltStack("q", "arn", "us-east-1", parameters={"VPC": vpc_id})) == vpc_id
    assert quilt_stack_vpc(ec2, QuiltStack("q", "arn", "us-east-1", {"OutboundSecurityGroup": group})) == vpc_id
    assert quilt_stack_vpc(ec2, QuiltStack("q", "arn", "us-east-1")) is None
