from __future__ import annotations

import json

from pydantic import SecretStr

from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.setup.secrets import read_benchling_secret, store_benchling_secret


def _secret(client_secret: str = "first") -> BenchlingCredentials:
    return BenchlingCredentials(tenant="acme", client_id="client_abc", client_secret=SecretStr(client_secret),
                                app_definition_id="appdef_1")


def test_secret_is_created_then_updated_in_place(aws) -> None:  # type: ignore[no-untyped-def]
    sm = aws.client("secretsmanager")
    arn = store_benchling_secret(sm, "dev", _secret())
    assert sm.describe_secret(SecretId=arn)["Name"] == "benchling-webhook/dev"
    assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"]) == {
        "tenant": "acme", "client_id": "client_abc", "client_secret": "first", "app_definition_id": "appdef_1"}
    again = store_benchling_secret(sm, "dev", _secret("second"), existing_arn=arn)
    assert again == arn
    assert read_benchling_secret(sm, arn)["client_secret"] == "second"
    assert len(sm.list_secrets()["SecretList"]) == 1


def test_existing_name_without_arn_is_updated_not_duplicated(aws) -> None:  # type: ignore[no-untyped-def]
    sm = aws.client("secretsmanager")
    arn = store_benchling_secret(sm, "dev", _secret())
    assert store_benchling_secret(sm, "dev", _secret("third")) == arn
    assert read_benchling_secret(sm, arn)["client_secret"] == "third"


def test_secret_value_never_shows_in_repr() -> None:
    assert "first" not in repr(_secret())
