"""What the "Linked packages" view lists: packages of the entries this entry links to, and packages that
name this entry in their metadata.

* The entry links to other notebook entries (a mention in a note, an entry-link field). Their packages are
  ``<prefix>/<their display id>``; the worker keeps the linked entries' display ids in ``entry.json``
  (``linked``, type ``entry``; ``server/worker/links.py``), so no Benchling call is needed here.
* Packages whose metadata key (``METADATA_KEY``) is this entry's display id, found with Athena
  (``server/quilt/athena.py``).

Linked entries come first, then the packages found with Athena; each package once. The view is paginated
like the file browser; whether a linked entry's package exists yet is checked for the rows shown only
(``exists``; Athena found only packages that exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benchling_webhook.server.quilt.athena import LinkedPackages
from benchling_webhook.server.quilt.manifest import PageNumbers, clamp_page


@dataclass(frozen=True)
class LinkedPackage:
    """One row: the package, why it is linked, and whether it exists (None: not checked)."""

    name: str
    via: str
    exists: bool | None = None


@dataclass(frozen=True)
class LinkedPage(PageNumbers):
    """One page of linked packages; ``warning`` says when the Athena half could not be looked up."""

    items: tuple[LinkedPackage, ...]
    page: int
    page_size: int
    count: int
    warning: str | None = None

    @property
    def total(self) -> int:
        return self.count


def linked_packages(user_meta: dict[str, Any], *, own: str, package_name: Any, found: LinkedPackages | None,
                    metadata_key: str, display_id: str) -> list[LinkedPackage]:
    """Every linked package, in display order (``package_name(display_id)`` names an entry's package)."""
    rows: dict[str, LinkedPackage] = {}
    linked = user_meta.get("linked")
    entries = [item for item in linked if isinstance(item, dict) and item.get("type") == "entry"
               and isinstance(item.get("display_id"), str)] if isinstance(linked, list) else []
    for item in sorted(entries, key=lambda i: str(i["display_id"])):
        name = package_name(item["display_id"])
        label = f"linked entry {item['display_id']}" + (f" ({item['name']})" if item.get("name") else "")
        if name != own:
            rows.setdefault(name, LinkedPackage(name, label))
    for name in found.names if found is not None else ():
        if name != own:
            rows.setdefault(name, LinkedPackage(name, f"its metadata {metadata_key} is {display_id}", True))
    return list(rows.values())


def page_of(rows: list[LinkedPackage], page: int, page_size: int) -> tuple[int, list[LinkedPackage]]:
    """The page number, clamped, and its rows."""
    page = clamp_page(page, len(rows), page_size)
    return page, rows[page * page_size:(page + 1) * page_size]
