from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.config.store import ProfileStore, parse_profile
from benchling_webhook.errors import ConfigError, ProfileNotFoundError
from tests.helpers import SEED_EXAMPLE, minimal_profile


def test_seed_example_loads_unchanged() -> None:
    config = parse_profile(SEED_EXAMPLE.read_text(), "seed")
    assert config.benchling.tenant == "my-company"
    assert config.deployment.vpc is not None
    assert config.deployment.vpc.vpc_id == "vpc-0123456789abcdef0"
    assert config.quilt.queue_url == "https://sqs.us-east-1.amazonaws.com/.../quilt-queue"
    assert config.packages.metadata_key == "experiment_id"
    assert config.security.enable_verification is True


def test_round_trip_keeps_camel_case_and_values(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    config = ProfileConfig.model_validate(minimal_profile())
    path = store.save("dev", config)
    saved = json.loads(path.read_text())
    assert saved["benchling"]["appDefinitionId"] == "appdef_T4nB7cWq1s"
    assert saved["packages"]["metadataKey"] == "experiment_id"
    assert store.load("dev") == config


def test_files_are_private_and_previous_version_is_kept(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.save("dev", ProfileConfig.model_validate(minimal_profile()))
    second = ProfileConfig.model_validate(minimal_profile(packages={"bucket": "other-bucket"}))
    path = store.save("dev", second)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    backup = path.with_name("config.json.bak")
    assert json.loads(backup.read_text())["packages"]["bucket"] == "quilt-packages"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_xdg_config_home_is_honoured(isolation: Path) -> None:
    store = ProfileStore()
    assert store.config_path("dev") == isolation / "config" / "benchling-webhook" / "dev" / "config.json"


def test_missing_profile_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ProfileNotFoundError) as info:
        ProfileStore(tmp_path).load("nope")
    assert "nope" in info.value.message and "setup --profile nope" in (info.value.hint or "")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda p: p["benchling"].pop("tenant"), "benchling.tenant: field required"),
        (lambda p: p["packages"].update(prefix="a/b"), "packages.prefix: prefix must be one segment of letters"),
        (lambda p: p["deployment"].update(minTasks=5, maxTasks=2), "deployment: minTasks (5) is larger"),
        (lambda p: p["deployment"].update(cpu=4096, memory=2048),
         "deployment: memory 2048 is not a Fargate size for cpu 4096 (valid: 8192 to 30720 in steps of 1024)"),
        (lambda p: p["quilt"].update(athenaResultsLocation="bucket/x"), "quilt.athenaResultsLocation: 'bucket/x' is "
                                                                        "not an S3 location"),
        (lambda p: p["security"].update(webhookAllowList="10.0.0.0/8,nonsense"), "security.webhookAllowList"),
        (lambda p: p["benchling"].update(clientSecret="s3cr3t"), "must not be stored in a profile"),
        (lambda p: p["logging"].update(colour=True), "logging.colour: extra inputs are not permitted"),
    ],
)
def test_validation_errors_name_file_and_field(mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    data = minimal_profile(security={}, logging={}, quilt={})
    mutate(data)
    with pytest.raises(ConfigError) as info:
        parse_profile(json.dumps(data), "/x/config.json")
    assert info.value.message.startswith("invalid profile /x/config.json: ")
    assert expected in info.value.message
    assert "\n" not in info.value.message
    assert "s3cr3t" not in info.value.message
    assert info.value.exit_code == 2


def test_bad_json_says_where() -> None:
    with pytest.raises(ConfigError, match=r"/x/config.json is not valid JSON: .* line 1"):
        parse_profile("{nope", "/x/config.json")


@pytest.mark.parametrize("tenant", ["acme", "acme.benchling.com", "https://acme.benchling.com/foo/bar", "ACME"])
def test_tenant_forms_normalise_to_slug(tenant: str) -> None:
    data = minimal_profile()
    data["benchling"]["tenant"] = tenant
    assert ProfileConfig.model_validate(data).benchling.tenant == "acme"


def test_deployments_append(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path)
    store.record_deployment("dev", {"endpoint": "https://x", "stackName": "S"})
    store.record_deployment("dev", {"endpoint": "https://y", "stackName": "S"})
    history = store.deployments("dev")
    assert [h["endpoint"] for h in history] == ["https://x", "https://y"]
    assert all("time" in h for h in history)
    assert stat.S_IMODE(store.deployments_path("dev").stat().st_mode) == 0o600


def test_profile_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a valid profile name"):
        ProfileStore(tmp_path).config_path("../etc")
