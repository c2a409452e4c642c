from __future__ import annotations

import boto3

from benchling_webhook.sandbox.moto_server import MotoServer


def test_aws_fixture_gives_a_clean_emulator_over_http(aws: MotoServer) -> None:
    s3 = boto3.client("s3")  # AWS_ENDPOINT_URL routes it to the loopback emulator
    s3.create_bucket(Bucket="bucket-one")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["bucket-one"]
    aws.reset()
    assert s3.list_buckets()["Buckets"] == []
    assert aws.endpoint_url.startswith("http://127.0.0.1:")
