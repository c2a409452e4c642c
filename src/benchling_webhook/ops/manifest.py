"""The Benchling App manifest for a profile.

Benchling reads the manifest when an admin creates the app: one CANVAS feature (the panel inside an
entry) and the webhook subscriptions the server handles. ``info.version`` follows the package version
so an upgrade is visible in Benchling.
"""

from __future__ import annotations

from typing import Any

from benchling_webhook import __version__
from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.constants import DEFAULT_PROFILE, MANIFEST_FEATURE_ID

SUBSCRIBED_MESSAGES: tuple[str, ...] = (
    "v2.canvas.initialized",
    "v2.canvas.created",
    "v2.canvas.userInteracted",
    "v2.entry.created",
    "v2.entry.updated.fields",
    "v2.entry.updated.reviewRecord",
)


def build_manifest(config: ProfileConfig | None, *, profile: str = DEFAULT_PROFILE,
                   name: str | None = None) -> dict[str, Any]:
    """The manifest as data (no profile needed: a user may write it before the app exists)."""
    if name is None:
        name = "Quilt Packages" if profile == DEFAULT_PROFILE else f"Quilt Packages ({profile})"
    description = "Packages each notebook entry as a versioned Quilt data package in Amazon S3"
    if config is not None:
        description += f" (s3://{config.packages.bucket}/{config.packages.prefix})"
    return {
        "manifestVersion": 1,
        "info": {"name": name, "description": description, "version": __version__},
        "features": [{"name": "Quilt Package", "id": MANIFEST_FEATURE_ID, "type": "CANVAS"}],
        "subscriptions": {
            "deliveryMethod": "WEBHOOK",
            "messages": [{"type": t} for t in SUBSCRIBED_MESSAGES],
        },
    }


def render_manifest(manifest: dict[str, Any]) -> str:
    import yaml

    return str(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
