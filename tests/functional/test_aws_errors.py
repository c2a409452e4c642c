"""Service refusals read through ``aws.errors`` from real answers (moto in server mode, a refusing endpoint)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from benchling_webhook.aws.errors import error_code, service_error
from tests.helpers import minimal_profile, write_profile

DENIED = (b'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>'
          b"<Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
          b"cloudformation:DescribeStacks</Message></Error><RequestId>r-1</RequestId></ErrorResponse>")


def test_codes_of_real_service_answers(aws) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception) as missing_secret:
        aws.client("secretsmanager").get_secret_value(SecretId="nope")
    assert error_code(missing_secret.value) == "ResourceNotFoundException"
    with pytest.raises(Exception) as missing_bucket:
        aws.client("s3").head_bucket(Bucket="nope")
    assert error_code(missing_bucket.value) == "404"
    with pytest.raises(Exception) as missing_stack:
        aws.client("cloudformation").describe_stacks(StackName="nope")
    refused = service_error(missing_stack.value)
    assert refused is not None and refused.code == "ValidationError" and "does not exist" in refused.message


class _Refusing(BaseHTTPRequestHandler):
    """Answers every CloudFormation call as AWS does when IAM refuses it."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(DENIED)))
        self.end_headers()
        self.wfile.write(DENIED)

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def refusing_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    yield url
    server.shutdown()
    server.server_close()


def test_the_cli_says_an_aws_refusal_in_one_sentence_with_a_hint(cli, refusing_endpoint, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    write_profile(isolation, "dev", minimal_profile())
    result = cli("status", "--profile", "dev")
    assert result.exit_code == 1, result.output
    error, hint = result.stderr.strip().splitlines()[-2:]
    assert error == ("error: AWS refused: AccessDenied: User: arn:aws:iam::123456789012:user/ci is not authorized "
                     "to perform: cloudformation:DescribeStacks")
    assert hint == "hint: check that your AWS identity may do this"
