from __future__ import annotations

import warnings
from typing import Any

import pytest
import yaml

from benchling_webhook import __version__
from benchling_webhook.config.app_items import APP_ITEMS
from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.ops.manifest import build_manifest, render_manifest
from tests.helpers import minimal_profile


def _manifest(**packages: str) -> dict[str, Any]:
    config = ProfileConfig.model_validate(minimal_profile(packages={"bucket": "quilt-packages", **packages}))
    return dict(yaml.safe_load(render_manifest(build_manifest(config, profile="dev"))))


def _sdk_manifest(doc: dict[str, Any]) -> Any:
    """The manifest as benchling-sdk's model of Benchling's manifest schema reads it (a beta model)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # benchling-api-client flags its beta models with a warning
        from benchling_api_client.v2.beta.models.benchling_app_manifest import BenchlingAppManifest
    return BenchlingAppManifest.from_dict(doc)


def test_manifest_has_canvas_feature_and_all_subscriptions() -> None:
    doc = _manifest()
    assert doc["manifestVersion"] == 1
    assert doc["info"]["version"] == __version__
    assert doc["info"]["name"] == "Quilt Packages (dev)"
    assert "s3://quilt-packages/benchling" in doc["info"]["description"]
    assert doc["features"] == [{"name": "Quilt Package", "id": "quilt_entry", "type": "CANVAS"}]
    assert doc["subscriptions"]["deliveryMethod"] == "WEBHOOK"
    assert [m["type"] for m in doc["subscriptions"]["messages"]] == [
        "v2.canvas.initialized", "v2.canvas.created", "v2.canvas.userInteracted",
        "v2.entry.created", "v2.entry.updated.fields", "v2.entry.updated.reviewRecord",
        "v2-beta.app.configuration.updated",
    ]


def test_configuration_section_parses_with_the_reference_types() -> None:
    doc = _manifest()
    manifest = _sdk_manifest(doc)

    # every key we write is one the schema knows: the model writes back exactly what it read
    assert [item.to_dict() for item in manifest.configuration] == doc["configuration"]

    assert manifest.additional_properties == {}
    found = {}
    for item in manifest.configuration:
        assert type(item).__name__ != "UnknownType", item
        elements = [(type(e).__name__, e.type.value, e.name) for e in getattr(item, "element_definition", [])]
        found[item.name] = (type(item).__name__, item.type.value, elements)
    assert found == {
        "Projects": ("ManifestArrayConfig", "array", [("ResourceDependency", "project", "Project")]),
        "Folders": ("ManifestArrayConfig", "array", [("ResourceDependency", "folder", "Folder")]),
        "Entry schemas to package": ("ManifestArrayConfig", "array",
                                     [("SchemaDependency", "entry_schema", "Entry schema")]),
        "Entry schemas to skip": ("ManifestArrayConfig", "array",
                                  [("SchemaDependency", "entry_schema", "Entry schema")]),
        "Package name prefix": ("ManifestTextScalarConfig", "text", []),
        "Metadata key": ("ManifestTextScalarConfig", "text", []),
        "Fetch attachments": ("ManifestBooleanScalarConfig", "boolean", []),
        "Canvas note": ("ManifestTextScalarConfig", "text", []),
    }
    assert [item.name for item in APP_ITEMS] == list(found)
    for item in manifest.configuration:
        assert item.description and getattr(item, "additional_properties", {}) == {}, item
        assert getattr(item, "required_config", False) is False  # every item is optional
        for element in getattr(item, "element_definition", []):
            assert element.required_config is True and getattr(element, "additional_properties", {}) == {}
    assert [m.type.value for m in manifest.subscriptions.messages][-1] == "v2-beta.app.configuration.updated"


@pytest.mark.parametrize(("packages", "prefix", "key"), [({}, "benchling", "experiment_id"),
                                                          ({"prefix": "eln", "metadataKey": "entry_id"}, "eln",
                                                           "entry_id")])
def test_unset_items_name_the_profiles_values_as_defaults(packages: dict[str, str], prefix: str, key: str) -> None:
    described = {item["name"]: item["description"] for item in _manifest(**packages)["configuration"]}
    assert described["Package name prefix"].endswith(f"Unset: {prefix}.")
    assert described["Metadata key"].endswith(f"Unset: {key}.")
    assert described["Fetch attachments"].endswith("Unset: yes.")


def test_configuration_items_match_what_the_sdk_expects_from_the_api() -> None:
    """benchling-sdk's own mock of an installed app's items, from our manifest: the paths the worker reads."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from benchling_sdk.apps.config.mock_config import mock_app_config_items_from_manifest
    items = mock_app_config_items_from_manifest(_sdk_manifest(_manifest()))
    shapes = sorted((len(item.path), item.path[0], item.path[-1] if len(item.path) == 3 else "", item.type.value)
                    for item in items)
    assert shapes == sorted([
        (1, "Package name prefix", "", "text"), (1, "Metadata key", "", "text"),
        (1, "Fetch attachments", "", "boolean"), (1, "Canvas note", "", "text"),
        (2, "Projects", "", "array_element"), (3, "Projects", "Project", "project"),
        (2, "Folders", "", "array_element"), (3, "Folders", "Folder", "folder"),
        (2, "Entry schemas to package", "", "array_element"),
        (3, "Entry schemas to package", "Entry schema", "entry_schema"),
        (2, "Entry schemas to skip", "", "array_element"), (3, "Entry schemas to skip", "Entry schema", "entry_schema"),
    ])
