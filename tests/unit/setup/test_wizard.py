from __future__ import annotations

from unittest.mock import Mock

import pytest

from benchling_webhook.cli.prompts import NonInteractiveAsker
from benchling_webhook.config.models import ProfileConfig, VpcConfig
from benchling_webhook.errors import AwsCredentialsError, BenchlingAuthError, ConfigError, SetupCancelled
from benchling_webhook.setup.validate import BucketInfo
from benchling_webhook.setup.wizard import SetupWizard, check_profile_names, save_setup
from tests.helpers import minimal_profile
from tests.unit.setup.support import ARN, FRESH, ScriptedAsker, mock_services


def test_fresh_interactive_run_uses_discovered_defaults() -> None:
    asker, services = ScriptedAsker(FRESH, confirms=[True]), mock_services()
    result = SetupWizard(asker, services, profile="dev").run()
    assert dict(asker.asked)["bucket"] == "quilt-data"
    assert dict(asker.asked)["region"] == "us-east-1"  # the catalog's region beats the session's
    assert result.config.quilt.queue_url == "https://sqs/q"
    assert result.config.benchling.tenant == "acme"
    assert result.config.deployment.vpc is None
    assert result.secret is not None and result.secret.client_secret.get_secret_value() == "s3cret"
    services.verify_benchling.assert_called_once_with("acme.benchling.com", "client_1", "s3cret", None)


def test_rerun_offers_current_values_and_keeps_the_unchanged_secret() -> None:
    existing = ProfileConfig.model_validate(minimal_profile())
    asker, services = ScriptedAsker({}), mock_services()
    result = SetupWizard(asker, services, profile="dev", existing=existing).run()
    offered = dict(asker.asked)
    assert offered["tenant"] == "acme-bio"
    assert offered["bucket"] == "quilt-packages"
    assert offered["region"] == "us-east-1"
    assert offered["vpc_id"] == "new"
    assert result.secret is None
    assert asker.confirmed == []  # no manifest offer on a re-run
    services.verify_benchling.assert_called_once_with("acme-bio", "client_abc", "stored", None)
    services.read_secret.assert_called_once_with(ARN)


def test_changed_client_id_rewrites_the_stored_secret() -> None:
    existing = ProfileConfig.model_validate(minimal_profile())
    result = SetupWizard(ScriptedAsker({"client_id": "client_new"}), mock_services(), profile="dev",
                         existing=existing).run()
    assert result.secret is not None
    assert (result.secret.client_id, result.secret.client_secret.get_secret_value()) == ("client_new", "stored")


def test_refused_credentials_can_be_re_entered() -> None:
    services = mock_services()
    services.verify_benchling.side_effect = [BenchlingAuthError("refused", hint="fix it"), None]
    asker = ScriptedAsker({**FRESH, "client_secret": ["bad", "good"]}, confirms=[True, True])
    notes: list[tuple[str, str]] = []
    result = SetupWizard(asker, services, profile="dev", notify=lambda *a: notes.append(a)).run()
    assert ("warning", "refused — fix it") in notes
    assert "Re-enter the Benchling values?" in asker.confirmed
    assert result.secret is not None and result.secret.client_secret.get_secret_value() == "good"


def test_declining_to_re_enter_raises_the_check_error() -> None:
    services = mock_services()
    services.verify_benchling.side_effect = BenchlingAuthError("refused")
    with pytest.raises(BenchlingAuthError):
        SetupWizard(ScriptedAsker(FRESH, confirms=[True, False]), services, profile="dev").run()


def test_no_app_yet_writes_the_manifest_and_can_stop(tmp_path) -> None:  # type: ignore[no-untyped-def]
    services = mock_services()
    target = str(tmp_path / "m.yaml")
    asker = ScriptedAsker({**FRESH, "manifest_path": target}, confirms=[False, False])
    with pytest.raises(SetupCancelled, match="setup stopped before the Benchling step; nothing was saved"):
        SetupWizard(asker, services, profile="dev").run()
    services.write_manifest.assert_called_once()
    assert str(services.write_manifest.call_args.args[0]) == target


def test_non_interactive_collects_before_checking() -> None:
    services = mock_services()
    asker = NonInteractiveAsker()
    with pytest.raises(ConfigError) as err:
        SetupWizard(asker, services, profile="dev", answers={"catalog": "quilt.example.com"}).run()
    assert err.value.message == ("--tenant, --app-definition-id, --client-id and --client-secret (or "
                                 "--client-secret-stdin) are required when not interactive")
    services.verify_benchling.assert_not_called()
    services.verify_bucket.assert_not_called()


def test_existing_vpc_is_validated_and_stored() -> None:
    services = mock_services()
    services.verify_vpc.return_value = VpcConfig(vpc_id="vpc-0123456789abcdef0", private_subnet_ids=["subnet-1"],
                                                 availability_zones=["us-east-1a"])
    result = SetupWizard(ScriptedAsker(FRESH, confirms=[True]), services, profile="dev",
                         answers={"vpc_id": "vpc-0123456789abcdef0"}).run()
    assert result.config.deployment.vpc is not None
    assert result.config.deployment.vpc.private_subnet_ids == ["subnet-1"]
    services.verify_vpc.assert_called_once_with("us-east-1", "vpc-0123456789abcdef0")


def test_skip_validation_checks_nothing_live() -> None:
    services = mock_services()
    SetupWizard(NonInteractiveAsker(), services, profile="dev", skip_validation=True,
                answers={**FRESH, "vpc_id": "vpc-0123456789abcdef0"}).run()
    services.verify_benchling.assert_not_called()
    services.verify_bucket.assert_not_called()
    services.verify_vpc.assert_not_called()


def test_bucket_in_another_region_is_noted() -> None:
    services = mock_services()
    services.verify_bucket.side_effect = lambda name: BucketInfo(name, "eu-west-1")
    result = SetupWizard(ScriptedAsker(FRESH, confirms=[True]), services, profile="dev").run()
    assert any("the bucket is in eu-west-1 and the stack in us-east-1" in note for note in result.notes)


def test_save_writes_secret_then_profile() -> None:
    existing = ProfileConfig.model_validate(minimal_profile())
    result = SetupWizard(ScriptedAsker({"client_secret": "new"}), mock_services(), profile="dev",
                         existing=existing).run()
    services, store = mock_services(), Mock()
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


def test_the_quilt_stacks_vpc_is_offered_first_to_a_new_profile() -> None:
    services = mock_services()
    services.quilt_stack_vpc.return_value = "vpc-0aaaaaaaaaaaaaaaa"
    services.list_vpcs.return_value = [("vpc-0aaaaaaaaaaaaaaaa", "vpc-0aaaaaaaaaaaaaaaa quilt 10.0.0.0/16"),
                                       ("vpc-0bbbbbbbbbbbbbbbb", "vpc-0bbbbbbbbbbbbbbbb other")]
    services.verify_vpc.side_effect = lambda region, vpc_id: VpcConfig(
        vpc_id=vpc_id, private_subnet_ids=["subnet-1", "subnet-2"], availability_zones=["us-east-1a", "us-east-1b"])
    asker = ScriptedAsker(FRESH, confirms=[True])
    result = SetupWizard(asker, services, profile="dev").run()
    assert [c.value for c in asker.questions["vpc_id"].choices] == [
        "vpc-0aaaaaaaaaaaaaaaa", "new", "vpc-0bbbbbbbbbbbbbbbb"]
    assert asker.questions["vpc_id"].choices[0].title == \
        "vpc-0aaaaaaaaaaaaaaaa quilt 10.0.0.0/16 (the Quilt stack's VPC)"
    assert dict(asker.asked)["vpc_id"] == "vpc-0aaaaaaaaaaaaaaaa"
    assert result.config.deployment.vpc is not None and result.config.deployment.vpc.vpc_id == "vpc-0aaaaaaaaaaaaaaaa"


def test_a_rerun_keeps_its_vpc_choice_over_the_quilt_stacks() -> None:
    services = mock_services()
    services.quilt_stack_vpc.return_value = "vpc-0aaaaaaaaaaaaaaaa"
    asker = ScriptedAsker({})
    SetupWizard(asker, services, profile="dev", existing=ProfileConfig.model_validate(minimal_profile())).run()
    assert dict(asker.asked)["vpc_id"] == "new"
