from __future__ import annotations

from typing import Any
from unittest.mock import Mock

import pytest

from benchling_webhook.cli.prompts import NonInteractivePrompter
from benchling_webhook.config.models import ProfileConfig, VpcConfig
from benchling_webhook.errors import AwsCredentialsError, BenchlingAuthError, ConfigError, SetupCancelled
from benchling_webhook.setup.discovery import CatalogInfo, QuiltStack
from benchling_webhook.setup.questions import Question
from benchling_webhook.setup.services import SetupServices
from benchling_webhook.setup.validate import BucketInfo, WorkgroupInfo
from benchling_webhook.setup.wizard import SetupWizard, check_profile_names, save_setup
from tests.helpers import minimal_profile

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bw-abc"
STACK = QuiltStack("quilt", "arn:aws:cloudformation:us-east-1:1:stack/quilt/x", "us-east-1",
                   {"QuiltWebHost": "https://quilt.example.com", "PackagerQueueUrl": "https://sqs/q",
                    "UserAthenaDatabaseName": "db", "UserBucket": "quilt-data"})


class ScriptedPrompter:
    """Answers from a script; records every question with the default it was offered."""

    interactive = True

    def __init__(self, answers: dict[str, Any], confirms: list[bool] | None = None) -> None:
        self.answers = {k: list(v) if isinstance(v, list) else [v] for k, v in answers.items()}
        self.confirms = list(confirms or [])
        self.asked: list[tuple[str, str | None]] = []
        self.questions: dict[str, Question] = {}  # as last asked: choices/instructions carry the costs
        self.confirmed: list[str] = []

    def ask(self, question: Question, default: str | None) -> str | None:
        self.asked.append((question.name, default))
        self.questions[question.name] = question
        queue = self.answers.get(question.name)
        answer = queue.pop(0) if queue else None
        return default if answer is None else answer

    def confirm(self, message: str, default: bool = True) -> bool:
        self.confirmed.append(message)
        return self.confirms.pop(0) if self.confirms else default

    def raise_if_incomplete(self) -> None:
        return None


def _services() -> Mock:
    services = Mock(spec=SetupServices)
    services.catalog_info.return_value = CatalogInfo("quilt.example.com", "https://quilt.example.com/config.json",
                                                     "us-east-1")
    services.quilt_stacks.return_value = [STACK]
    services.verify_bucket.side_effect = lambda name: BucketInfo(name, "us-east-1")
    services.default_region.return_value = "us-west-2"
    services.list_vpcs.return_value = []
    services.read_secret.return_value = {"client_secret": "stored"}
    services.athena_workgroup.return_value = WorkgroupInfo("primary", None, enforced=False)
    return services


FRESH = {"catalog": "https://quilt.example.com", "tenant": "acme.benchling.com", "app_definition_id": "appdef_1",
         "client_id": "client_1", "client_secret": "s3cret"}


def test_fresh_interactive_run_uses_discovered_defaults() -> None:
    prompter, services = ScriptedPrompter(FRESH, confirms=[True]), _services()
    result = SetupWizard(prompter, services, profile="dev").run()
    assert dict(prompter.asked)["bucket"] == "quilt-data"
    assert dict(prompter.asked)["region"] == "us-east-1"  # the catalog's region beats the session's
    assert result.config.quilt.queue_url == "https://sqs/q"
    assert result.config.benchling.tenant == "acme"
    assert result.config.deployment.vpc is None
    assert result.secret is not None and result.secret.client_secret.get_secret_value() == "s3cret"
    services.verify_benchling.assert_called_once_with("acme.benchling.com", "client_1", "s3cret", None)


def test_rerun_offers_current_values_and_keeps_the_unchanged_secret() -> None:
    existing = ProfileConfig.model_validate(minimal_profile())
    prompter, services = ScriptedPrompter({}), _services()
    result = SetupWizard(prompter, services, profile="dev", existing=existing).run()
    offered = dict(prompter.asked)
    assert offered["tenant"] == "acme-bio"
    assert offered["bucket"] == "quilt-packages"
    assert offered["region"] == "us-east-1"
    assert offered["vpc_id"] == "new"
    assert result.secret is None
    assert prompter.confirmed == []  # no manifest offer on a re-run
    services.verify_benchling.assert_called_once_with("acme-bio", "client_abc", "stored", None)
    services.read_secret.assert_called_once_with(ARN)


def test_changed_client_id_rewrites_the_stored_secret() -> None:
    existing = ProfileConfig.model_validate(minimal_profile())
    result = SetupWizard(ScriptedPrompter({"client_id": "client_new"}), _services(), profile="dev",
                         existing=existing).run()
    assert result.secret is not None
    assert (result.secret.client_id, result.secret.client_secret.get_secret_value()) == ("client_new", "stored")


def test_refused_credentials_can_be_re_entered() -> None:
    services = _services()
    services.verify_benchling.side_effect = [BenchlingAuthError("refused", hint="fix it"), None]
    prompter = ScriptedPrompter({**FRESH, "client_secret": ["bad", "good"]}, confirms=[True, True])
    notes: list[tuple[str, str]] = []
    result = SetupWizard(prompter, services, profile="dev", notify=lambda *a: notes.append(a)).run()
    assert ("warning", "refused — fix it") in notes
    assert "Re-enter the Benchling values?" in prompter.confirmed
    assert result.secret is not None and result.secret.client_secret.get_secret_value() == "good"


def test_declining_to_re_enter_raises_the_check_error() -> None:
    services = _services()
    services.verify_benchling.side_effect = BenchlingAuthError("refused")
    with pytest.raises(BenchlingAuthError):
        SetupWizard(ScriptedPrompter(FRESH, confirms=[True, False]), services, profile="dev").run()


def test_no_app_yet_writes_the_manifest_and_can_stop(tmp_path) -> None:  # type: ignore[no-untyped-def]
    services = _services()
    target = str(tmp_path / "m.yaml")
    prompter = ScriptedPrompter({**FRESH, "manifest_path": target}, confirms=[False, False])
    with pytest.raises(SetupCancelled, match="setup stopped before the Benchling step; nothing was saved"):
        SetupWizard(prompter, services, profile="dev").run()
    services.write_manifest.assert_called_once()
    assert str(services.write_manifest.call_args.args[0]) == target


def test_non_interactive_collects_before_checking() -> None:
    services = _services()
    prompter = NonInteractivePrompter()
    with pytest.raises(ConfigError) as err:
        SetupWizard(prompter, services, profile="dev", flags={"catalog": "quilt.example.com"}).run()
    assert err.value.message == ("--tenant, --app-definition-id, --client-id and --client-secret (or "
                                 "--client-secret-stdin) are required when not interactive")
    services.verify_benchling.assert_not_called()
    services.verify_bucket.assert_not_called()


def test_existing_vpc_is_validated_and_stored() -> None:
    services = _services()
    services.verify_vpc.return_value = VpcConfig(vpc_id="vpc-0123456789abcdef0", private_subnet_ids=["subnet-1"],
                                                 availability_zones=["us-east-1a"])
    result = SetupWizard(ScriptedPrompter(FRESH, confirms=[True]), services, profile="dev",
                         flags={"vpc_id": "vpc-0123456789abcdef0"}).run()
    assert result.config.deployment.vpc is not None
    assert result.config.deployment.vpc.private_subnet_ids == ["subnet-1"]
    services.verify_vpc.assert_called_once_with("us-east-1", "vpc-0123456789abcdef0")


def test_skip_validation_checks_nothing_live() -> None:
    services = _services()
    SetupWizard(NonInteractivePrompter(), services, profile="dev", skip_validation=True,
                flags={**FRESH, "vpc_id": "vpc-0123456789abcdef0"}).run()
    services.verify_benchling.assert_not_called()
    services.verify_bucket.assert_not_called()
    services.verify_vpc.assert_not_called()


def test_bucket_in_another_region_is_noted() -> None:
    services = _services()
    services.verify_bucket.side_effect = lambda name: BucketInfo(name, "eu-west-1")
    result = SetupWizard(ScriptedPrompter(FRESH, confirms=[True]), services, profile="dev").run()
    assert any("the bucket is in eu-west-1 and the stack in us-east-1" in note for note in result.notes)


def test_save_writes_secret_then_profile() -> None:
    existing = ProfileConfig.model_validate(minimal_profile())
    result = SetupWizard(ScriptedPrompter({"client_secret": "new"}), _services(), profile="dev",
                         existing=existing).run()
    services, store = _services(), Mock()
    services.store_secret.return_value = ARN + "-2"
    store.save.return_value = "/x/config.json"
    save_setup(result, "dev", services, store)
    assert services.store_secret.call_args.args[:2] == ("us-east-1", "dev")
    assert services.store_secret.call_args.args[3] == ARN
    assert store.save.call_args.args[1].benchling.secret_arn == ARN + "-2"


def test_profile_name_mixups() -> None:
    assert check_profile_names("staging", None, profile_exists=False, benchling_profiles=[],
                               aws_profiles=["staging"]) is not None
    assert check_profile_names("staging", None, profile_exists=True, benchling_profiles=["staging"],
                               aws_profiles=["staging"]) is None
    with pytest.raises(AwsCredentialsError) as err:
        check_profile_names("default", "dev", profile_exists=False, benchling_profiles=["dev"], aws_profiles=[])
    assert err.value.hint == "'dev' is a benchling-webhook profile: did you mean --profile dev?"
