from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import CONSOLE_SCRIPT, SEED_EXAMPLE, imported_modules, minimal_profile, write_profile


def test_help_and_version_do_not_import_heavy_libraries() -> None:
    heavy = ("aws_cdk", "boto3", "botocore", "fastapi", "benchling_sdk", "quilt3", "uvicorn")
    assert imported_modules("from benchling_webhook.cli.app import app", heavy) == []
    version = subprocess.run([sys.executable, "-m", "benchling_webhook", "--version"],
                             capture_output=True, text=True, check=True)
    assert version.stdout.startswith("benchling-webhook ")


def test_config_list_show_validate_path(cli, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    write_profile(isolation, "dev", minimal_profile())
    result = cli("config", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["dev"]

    result = cli("config", "show", "--profile", "dev", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["benchling"]["secretArn"] == "****"
    assert shown["benchling"]["tenant"] == "acme-bio"

    result = cli("config", "validate", "--profile", "dev")
    assert result.exit_code == 0, result.output
    assert "profile dev is valid" in result.stderr

    result = cli("config", "path", "--profile", "dev")
    assert result.stdout.strip() == str(isolation / "config" / "benchling-webhook" / "dev" / "config.json")


def test_seed_example_validates_through_the_cli(cli, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    write_profile(isolation, "seed", SEED_EXAMPLE.read_text())
    result = cli("config", "validate", "--profile", "seed")
    assert result.exit_code == 0, result.output


def test_invalid_profile_is_one_line_exit_2(cli, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    data = minimal_profile()
    data["deployment"]["natGateways"] = 5
    path = write_profile(isolation, "dev", data)
    result = cli("config", "validate", "--profile", "dev")
    assert result.exit_code == 2, result.output
    first, hint = result.stderr.strip().splitlines()
    assert first.startswith(f"error: invalid profile {path}: deployment.natGateways:")
    assert hint.startswith("hint: ")
    assert "Traceback" not in result.output


def test_bad_json_exit_2(cli, isolation: Path) -> None:  # type: ignore[no-untyped-def]
    write_profile(isolation, "dev", "{ not json")
    result = cli("config", "show", "--profile", "dev")
    assert result.exit_code == 2
    assert "is not valid JSON" in result.stderr


def test_missing_profile_hint(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "show", "--profile", "ghost")
    assert result.exit_code == 2
    assert "profile 'ghost' does not exist" in result.stderr
    assert "hint: run: benchling-webhook setup --profile ghost" in result.stderr


def test_empty_config_list_suggests_setup(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("config", "list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "benchling-webhook setup" in result.stderr


def test_manifest_stdout_and_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("manifest")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["features"][0]["id"] == "quilt_entry"
    target = tmp_path / "manifest.yaml"
    result = cli("manifest", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(target.read_text())["manifestVersion"] == 1
    assert result.stdout == ""


def test_console_script_runs_as_a_subprocess() -> None:
    out = subprocess.run([CONSOLE_SCRIPT, "config", "show", "--profile", "ghost"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
