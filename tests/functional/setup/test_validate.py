from __future__ import annotations

import pytest

from benchling_webhook.errors import BenchlingAuthError, ValidationFailedError
from benchling_webhook.setup.validate import verify_benchling_credentials, verify_bucket, verify_vpc
from tests.functional.setup.support import CLIENT_ID, CLIENT_SECRET
from tests.functional.stack.vpc_builder import build_vpc
from tests.helpers import fixture_bytes, free_port


def test_good_client_credentials_get_a_token(standin) -> None:  # type: ignore[no-untyped-def]
    verify_benchling_credentials("acme", CLIENT_ID, CLIENT_SECRET, base_url=standin.url + "/")
    assert standin.state.token_requests == [{"client_id": CLIENT_ID, "body": "grant_type=client_credentials"}]


def test_bad_client_secret_is_refused_with_where_to_find_it(standin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BenchlingAuthError) as err:
        verify_benchling_credentials("https://acme.benchling.com/", CLIENT_ID, "wrong", base_url=standin.url)
    assert err.value.message == "Benchling refused the client id and secret for tenant 'acme' (HTTP 401)"
    assert err.value.hint and "Client credentials" in err.value.hint
    assert "wrong" not in err.value.message + err.value.hint


def test_unreachable_benchling_says_so() -> None:
    base = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ValidationFailedError, match=f"cannot reach Benchling at {base}") as err:
        verify_benchling_credentials("acme", CLIENT_ID, CLIENT_SECRET, base_url=base, timeout=2)
    assert err.value.hint and "--skip-validation" in err.value.hint


def test_wrong_tenant_path_is_a_404_hint(standin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError, match="was not found") as err:
        verify_benchling_credentials("acme", CLIENT_ID, CLIENT_SECRET, base_url=standin.url + "/nowhere")
    assert err.value.hint and "tenant" in err.value.hint


def test_bucket_exists_and_its_region_is_reported(aws) -> None:  # type: ignore[no-untyped-def]
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="quilt-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    info = verify_bucket(s3, "s3://quilt-eu/")
    assert (info.name, info.region) == ("quilt-eu", "eu-west-1")


def test_missing_bucket_is_refused(aws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailedError, match="S3 bucket 'no-such-bucket' does not exist") as err:
        verify_bucket(aws.client("s3"), "no-such-bucket")
    assert err.value.hint and "aws s3 ls" in err.value.hint


def test_vpc_check_returns_the_profile_section(aws) -> None:  # type: ignore[no-untyped-def]
    ec2 = aws.client("ec2")
    built = build_vpc(ec2)
    vpc = verify_vpc(ec2, built["vpc_id"])
    assert vpc.vpc_id == built["vpc_id"]
    assert sorted(vpc.private_subnet_ids) == sorted(built["private"])
    assert vpc.availability_zones == ["us-east-1a", "us-east-1b"]


def test_a_buckets_workflows_are_read_from_its_quilt_config(aws) -> None:  # type: ignore[no-untyped-def]
    from benchling_webhook.setup.workflows import read_workflows

    s3 = aws.client("s3")
    s3.create_bucket(Bucket="quilt-data")
    assert read_workflows(s3, "quilt-data") is None  # no config.yml: the bucket has no workflows
    s3.put_object(Bucket="quilt-data", Key=".quilt/workflows/config.yml",
                  Body=fixture_bytes("quilt/workflows-config.yml"))
    catalog = read_workflows(s3, "quilt-data")
    assert catalog is not None
    assert catalog.workflows == {"alpha": "Search for aliens", "beta": "Studying superpowers"}
    assert catalog.location == "s3://quilt-data/.quilt/workflows/config.yml" and not catalog.required
