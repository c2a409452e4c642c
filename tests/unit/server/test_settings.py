from __future__ import annotations

import pytest
from pydantic import ValidationError

from benchling_webhook.server.settings import ServerSettings


def test_container_contract_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BenchlingSecret", "arn:aws:secretsmanager:us-east-1:1:secret:x")
    monkeypatch.setenv("WEBHOOK_ALLOW_LIST", "10.0.0.0/8, 192.0.2.7")
    monkeypatch.setenv("PACKAGE_PREFIX", "/benchling/")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = ServerSettings()
    assert settings.benchling_secret == "arn:aws:secretsmanager:us-east-1:1:secret:x"
    assert settings.webhook_allow_list == ["10.0.0.0/8", "192.0.2.7"]
    assert settings.package_prefix == "benchling"
    assert settings.log_level == "DEBUG"
    assert settings.jwks_url_for("appdef_1") == "https://apps.benchling.com/api/v1/apps/appdef_1/jwks"
    assert settings.benchling_url_for("acme") == "https://acme.benchling.com"


def test_nested_prefix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKAGE_PREFIX", "a/b")
    with pytest.raises(ValidationError, match="one path segment"):
        ServerSettings()


def test_sqs_calls_go_to_the_sqs_endpoint_else_the_general_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert ServerSettings().sqs_endpoint_url == "http://127.0.0.1:5000"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5001")
    assert ServerSettings().sqs_endpoint_url == "http://127.0.0.1:5001"
