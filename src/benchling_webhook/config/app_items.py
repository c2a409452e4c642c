"""The App Configuration items: what a tenant admin sets in the app's Configuration tab in Benchling.

Declared once here and used three ways: ``ops/manifest.py`` writes them into the manifest's
``configuration`` section, the worker (``server/appconfig.py``) reads their values by path, and the
sandbox answers ``GET /app-configuration-items`` in the shape Benchling gives them (docs/benchling.md,
"App Configuration").

Every item is optional. An unset item means "what the deployment says": the profile's package prefix and
metadata key (the container's ``PACKAGE_PREFIX`` / ``METADATA_KEY``), attachments fetched, no canvas note,
every entry the app can see packaged. The item *names* are the paths the API reports, so renaming one is
a breaking change for installed apps: their admins would have to set the value again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# What a package name prefix and a metadata key may look like (the key is quoted into an Athena query).
PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
METADATA_KEY_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


@dataclass(frozen=True)
class AppItem:
    """One configuration item of the manifest.

    ``type`` is a manifest type (``text``, ``boolean``, ``array``); an ``array`` holds rows whose single
    element is ``element`` (name, type, description), e.g. ``("Project", "project", "…")``. In the API a
    row is an ``array_element`` item at ``[name, <row name>]`` and its element is at
    ``[name, <row name>, element name]``.
    """

    name: str
    type: str
    description: str
    element: tuple[str, str, str] | None = None

    def manifest_entry(self, default: str | None = None) -> dict[str, Any]:
        """This item as one entry of the manifest's ``configuration`` list (``default`` ends the description)."""
        description = self.description + (f" Unset: {default}." if default else "")
        entry: dict[str, Any] = {"name": self.name, "type": self.type, "description": description}
        if self.element is None:
            entry["requiredConfig"] = False  # an array has no such field; it may simply have no rows
        else:
            name, kind, about = self.element
            element: dict[str, Any] = {"name": name, "type": kind, "description": about, "requiredConfig": True}
            if kind.endswith("_schema"):
                element["fieldDefinitions"] = []  # the app reads no field of the schema
            entry["elementDefinition"] = [element]
        return entry


PROJECTS = AppItem(
    "Projects", "array",
    "Package only entries in these projects. With neither projects nor folders set, every entry the app can "
    "see is packaged.", element=("Project", "project", "A project whose entries are packaged."))
FOLDERS = AppItem(
    "Folders", "array",
    "Package only entries in these folders or their sub-folders (an entry in a listed project or a listed "
    "folder is packaged).", element=("Folder", "folder", "A folder whose entries are packaged."))
INCLUDED_SCHEMAS = AppItem(
    "Entry schemas to package", "array",
    "When set, only entries of these schemas are packaged.",
    element=("Entry schema", "entry_schema", "An entry schema whose entries are packaged."))
EXCLUDED_SCHEMAS = AppItem(
    "Entry schemas to skip", "array",
    "Entries of these schemas are never packaged, whatever else is set.",
    element=("Entry schema", "entry_schema", "An entry schema whose entries are not packaged."))
PACKAGE_PREFIX = AppItem(
    "Package name prefix", "text",
    "First part of every package name, <prefix>/<entry display id>: 1 to 64 letters, digits, '-' or '_'.")
METADATA_KEY = AppItem(
    "Metadata key", "text",
    "The package metadata key that holds the entry's display id; other packages with this key set to the "
    "display id are shown as linked.")
FETCH_ATTACHMENTS = AppItem(
    "Fetch attachments", "boolean",
    "Copy the files attached to an entry into its package.")
CANVAS_NOTE = AppItem(
    "Canvas note", "text",
    "A short note shown to everyone on the Quilt canvas, for example whom to ask about packages.")

APP_ITEMS: tuple[AppItem, ...] = (PROJECTS, FOLDERS, INCLUDED_SCHEMAS, EXCLUDED_SCHEMAS, PACKAGE_PREFIX,
                                  METADATA_KEY, FETCH_ATTACHMENTS, CANVAS_NOTE)
MAX_NOTE_CHARS = 500


def configuration_section(package_prefix: str, metadata_key: str) -> list[dict[str, Any]]:
    """The manifest's ``configuration`` list; the deployment's values are named as the defaults."""
    defaults = {PACKAGE_PREFIX.name: package_prefix, METADATA_KEY.name: metadata_key,
                FETCH_ATTACHMENTS.name: "yes", CANVAS_NOTE.name: "no note"}
    return [item.manifest_entry(defaults.get(item.name)) for item in APP_ITEMS]
