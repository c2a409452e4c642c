"""The Benchling App manifest for a profile.

Benchling reads the manifest when an admin creates the app: one CANVAS feature (the panel inside an
entry), the configuration items an admin sets in the app's Configuration tab (``config/app_items.py``;
the profile's values are named as the defaults of unset items), and the webhook subscriptions the server
handles, including ``v2-beta.app.configuration.updated`` so a changed configuration applies at once.
``info.version`` follows the package version so an upgrade is visible in Benchling.
"""

from __future__ import annotations

from typing import Any

from benchling_webhook import __version__
from benchling_webhook.config.app_items import configuration_section
from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.constants import (
    DEFAULT_METADATA_KEY,
    DEFAULT_PACKAGE_PREFIX,
    DEFAULT_PROFILE,
    MANIFEST_FEATURE_ID,
)

SUBSCRIBED_MESSAGES: tuple[str, ...] = (
    "v2.canvas.initialized",
    "v2.canvas.created",
    "v2.canvas.userInteracted",
    "v2.entry.created",
    "v2.entry.updated.fields",
    "v2.entry.updated.reviewRecord",
    "v2-beta.app.configuration.updated",
)


def build_manifest(config: ProfileConfig | None, *, profile: str = DEFAULT_PROFILE,
                   name: str | None = None) -> dict[str, Any]:
    """The manifest as data (no profile needed: a user may write it before the app exists)."""
    if name is None:
        name = "Quilt Packages" if profile == DEFAULT_PROFILE else f"Quilt Packages ({profile})"
    description = "Packages each notebook entry as a versioned Quilt data package in Amazon S3"
    prefix, metadata_key = DEFAULT_PACKAGE_PREFIX, DEFAULT_METADATA_KEY
    if config is not None:
        description += f" (s3://{config.packages.bucket}/{config.packages.prefix})"
        prefix, metadata_key = config.packages.prefix, config.packages.metadata_key
    return {
        "manifestVersion": 1,
        "info": {"name": name, "description": description, "version": __version__},
        "features": [{"name": "Quilt Package", "id": MANIFEST_FEATURE_ID, "type": "CANVAS"}],
        "configuration": configuration_section(prefix, metadata_key),
        "subscriptions": {
            "deliveryMethod": "WEBHOOK",
            "messages": [{"type": t} for t in SUBSCRIBED_MESSAGES],
        },
    }


def render_manifest(manifest: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
