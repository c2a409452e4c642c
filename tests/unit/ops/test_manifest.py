from __future__ import annotations

import yaml

from benchling_webhook import __version__
from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.ops.manifest import build_manifest, render_manifest
from tests.helpers import minimal_profile


def test_manifest_has_canvas_feature_and_all_subscriptions() -> None:
    config = ProfileConfig.model_validate(minimal_profile())
    doc = yaml.safe_load(render_manifest(build_manifest(config, profile="dev")))
    assert doc["manifestVersion"] == 1
    assert doc["info"]["version"] == __version__
    assert doc["info"]["name"] == "Quilt Packages (dev)"
    assert "s3://quilt-packages/benchling" in doc["info"]["description"]
    assert doc["features"] == [{"name": "Quilt Package", "id": "quilt_entry", "type": "CANVAS"}]
    assert doc["subscriptions"]["deliveryMethod"] == "WEBHOOK"
    assert [m["type"] for m in doc["subscriptions"]["messages"]] == [
        "v2.canvas.initialized", "v2.canvas.created", "v2.canvas.userInteracted",
        "v2.entry.created", "v2.entry.updated.fields", "v2.entry.updated.reviewRecord",
    ]
