"""The container contract: what the stack and the local environment set is what ``ServerSettings`` reads."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import Mock

import pytest
from pydantic import AliasChoices

from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.constants import EnvVars
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.sandbox.environment import AwsResources, LocalEnvironment
from benchling_webhook.server.settings import ServerSettings
from benchling_webhook.stack.inputs import build_stack_inputs
from tests.helpers import minimal_profile

INBOX = "https://sqs.eu-west-1.amazonaws.com/123456789012/inbox.fifo"
DLQ = "https://sqs.eu-west-1.amazonaws.com/123456789012/inbox-dlq.fifo"
BACKFILL = "https://sqs.eu-west-1.amazonaws.com/123456789012/backfill.fifo"
PACKAGER = "https://sqs.eu-west-1.amazonaws.com/123456789012/packager"
REVISIONS = "https://sqs.eu-west-1.amazonaws.com/123456789012/revision-events"
STATE_TABLE = "BenchlingWebhookStack-dev-StateTable1A2B3C4D-XYZ"


def _settings_variables() -> set[str]:
    names: set[str] = set()
    for field in ServerSettings.model_fields.values():
        alias = field.validation_alias
        names.update(alias.choices if isinstance(alias, AliasChoices) else [alias])  # type: ignore[arg-type]
    return names


def _full_profile() -> ProfileConfig:
    return ProfileConfig.model_validate(minimal_profile(
        benchling={"tenant": "acme", "clientId": "c", "appDefinitionId": "appdef_1", "secretArn": "bw-secret",
                   "baseUrl": "http://127.0.0.1:8000"},
        packages={"bucket": "quilt-packages", "prefix": "eln", "metadataKey": "entry_id", "workflow": "alpha"},
        quilt={"catalog": "catalog.example.com", "database": "quilt_db", "queueUrl": PACKAGER,
               "athenaWorkgroup": "wg-1", "athenaResultsLocation": "s3://results/bw/"},
        security={"enableVerification": False, "webhookAllowList": "10.0.0.0/8, 192.0.2.7"},
        logging={"level": "debug"},
    ))


def test_every_settings_variable_is_named_in_env_vars() -> None:
    contract = {value for name, value in vars(EnvVars).items() if name.isupper()}
    assert _settings_variables() <= contract


def test_every_settings_variable_has_a_row_in_the_container_docs() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "container.md").read_text()
    assert {name for name in _settings_variables() if f"| `{name}`" not in docs and f"(or `{name}`)" not in docs} \
        == set()


def test_the_stacks_container_environment_is_read_back_as_the_profile_says(monkeypatch: pytest.MonkeyPatch) -> None:
    env = build_stack_inputs(_full_profile(), "dev").container_environment(
        region="eu-west-1", inbox_queue_url=INBOX, inbox_dlq_url=DLQ, backfill_queue_url=BACKFILL,
        revision_events_queue_url=REVISIONS, state_table_name=STATE_TABLE)
    assert set(env) <= _settings_variables()
    for name in _settings_variables():
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = ServerSettings()

    assert settings.model_dump(include={
        "port", "aws_region", "benchling_secret", "inbox_queue_url", "inbox_dlq_url", "package_bucket",
        "package_prefix", "metadata_key", "packager_sqs_url", "quilt_web_host", "athena_user_database",
        "athena_workgroup", "athena_output_location", "enable_webhook_verification", "webhook_allow_list",
        "log_level", "benchling_base_url", "quilt_workflow", "revision_events_queue_url",
        "backfill_queue_url", "benchling_api_rate", "state_table",
    }) == {
        "port": 8080, "aws_region": "eu-west-1", "benchling_secret": "bw-secret", "inbox_queue_url": INBOX,
        "inbox_dlq_url": DLQ, "package_bucket": "quilt-packages", "package_prefix": "eln", "metadata_key": "entry_id",
        "packager_sqs_url": PACKAGER, "quilt_web_host": "catalog.example.com", "athena_user_database": "quilt_db",
        "athena_workgroup": "wg-1", "athena_output_location": "s3://results/bw/",
        "enable_webhook_verification": False, "webhook_allow_list": ["10.0.0.0/8", "192.0.2.7"],
        "log_level": "DEBUG", "benchling_base_url": "http://127.0.0.1:8000", "quilt_workflow": "alpha",
        "revision_events_queue_url": REVISIONS, "backfill_queue_url": BACKFILL, "state_table": STATE_TABLE,
        "benchling_api_rate": 0.2,  # the profile's default 2 requests/s over its default 10 tasks
    }


def test_the_local_environment_sets_only_contract_variables(tmp_path: Path) -> None:
    sandbox = Mock(spec=SandboxServer, url="http://127.0.0.1:8001",
                   jwks_url_template="http://127.0.0.1:8001/jwks/{app_definition_id}")
    local = LocalEnvironment(log_dir=tmp_path, sandbox=sandbox,
                             aws=AwsResources("http://127.0.0.1:5000", "bucket", INBOX, DLQ, "arn:secret",
                                              backfill_url=BACKFILL, state_table="benchling-webhook-state",
                                              packager_url=PACKAGER,
                                              revision_events_url=REVISIONS))
    credentials = {EnvVars.AWS_ACCESS_KEY_ID, EnvVars.AWS_SECRET_ACCESS_KEY}
    env = local.server_env(8080)
    assert set(env) - credentials <= _settings_variables()
    assert (env[EnvVars.PACKAGER_SQS_URL], env[EnvVars.REVISION_EVENTS_QUEUE_URL]) == (PACKAGER, REVISIONS)
    assert env[EnvVars.STATE_TABLE] == "benchling-webhook-state"
