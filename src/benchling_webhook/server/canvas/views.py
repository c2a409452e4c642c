"""What the canvas shows: main, file browser, linked packages, metadata, "not created yet", updating, error
and "not packaged" (out of the configured scope) views, plus the admin's note under any of them.

Views are pure functions from data (package revision, a page of files, linked packages) to blocks, so
they are unit-tested without any service. Links:

* package in the catalog: ``https://<QUILT_WEB_HOST>/b/<bucket>/packages/<name>``
* file in the catalog: ``…/packages/<name>/tree/latest/<logical key>``
* QuiltSync: ``quilt+s3://<bucket>#package=<name>[&path=<key>]&catalog=<host>``, opened through the
  catalog's ``/redir/<url-encoded URI>`` page so that it is a normal https link in Benchling.

Without a catalog host (local runs) the views fall back to plain ``quilt+s3://`` URIs and ``s3://`` paths.
Every view keeps at least one enabled button, so a user is never stuck on a dead canvas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from benchling_webhook.server.canvas.blocks import (
    Block,
    button,
    escape,
    human_size,
    link,
    markdown,
    section,
    url_path,
)
from benchling_webhook.server.canvas.linked import LinkedPage
from benchling_webhook.server.canvas.state import Button
from benchling_webhook.server.quilt.athena import LinkedPackages
from benchling_webhook.server.quilt.manifest import FilePage, PackageRevision, PageNumbers

UPDATING = "updating…"
MAX_METADATA_KEYS = 40
MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class PackageLinks:
    """Builds catalog, file and QuiltSync links for packages of one bucket."""

    bucket: str
    catalog_host: str | None = None

    @property
    def host(self) -> str | None:
        if not self.catalog_host:
            return None
        return self.catalog_host.removeprefix("https://").removeprefix("http://").strip("/") or None

    def package_url(self, name: str) -> str | None:
        return f"https://{self.host}/b/{quote(self.bucket)}/packages/{url_path(name)}" if self.host else None

    def file_url(self, name: str, logical_key: str) -> str | None:
        base = self.package_url(name)
        return f"{base}/tree/latest/{url_path(logical_key)}" if base else None

    def quilt_uri(self, name: str, path: str | None = None) -> str:
        uri = f"quilt+s3://{self.bucket}#package={name}"
        if path:
            uri += f"&path={quote(path, safe='/')}"
        if self.host:
            uri += f"&catalog={self.host}"
        return uri

    def sync_url(self, name: str, path: str | None = None) -> str:
        """The QuiltSync link: through the catalog's ``/redir/`` page when there is a catalog."""
        uri = self.quilt_uri(name, path)
        return f"https://{self.host}/redir/{quote(uri, safe='')}" if self.host else uri


def _package_title(links: PackageLinks, name: str) -> str:
    url = links.package_url(name)
    return f"### Quilt package {link(name, url) if url else escape(name)}"


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "unknown"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _linked_line(links: PackageLinks, linked: LinkedPackages | None) -> str | None:
    if linked is None:
        return None
    if linked.warning:
        return f"⚠️ {escape(linked.warning)}"
    if not linked.names:
        return "Linked packages: none"
    parts = []
    for name in linked.names:
        url = links.package_url(name)
        parts.append(link(name, url) if url else escape(name))
    return "Linked packages: " + ", ".join(parts)


def render_main(links: PackageLinks, name: str, revision: PackageRevision | None, *, updating: bool = False,
                linked: LinkedPackages | None = None, note: str | None = None) -> list[Block]:
    """Package link, QuiltSync link, last update (or "updating…"), linked packages, buttons."""
    if revision is None:
        return render_missing(links, name, updating=updating, note=note)
    lines = [_package_title(links, name),
             f"Open in QuiltSync: {link(links.quilt_uri(name), links.sync_url(name))}"]
    summary = f"{revision.file_count} file{'s' if revision.file_count != 1 else ''}, " \
              f"{human_size(revision.total_bytes)}"
    if updating:
        lines.append(f"Last update: **{UPDATING}** (the previous revision is from {_when(revision.updated_at)})")
    else:
        lines.append(f"Last update: {_when(revision.updated_at)} · {summary} · revision `{revision.top_hash[:12]}`")
    if note:
        lines.append(escape(note))
    blocks = [markdown("md-package", "\n\n".join(lines))]
    linked_line = _linked_line(links, linked)
    if linked_line:
        blocks.append(markdown("md-linked", linked_line))
    blocks.append(section("sec-actions", [
        button(Button.BROWSE, "Browse files"),
        button(Button.METADATA, "View metadata"),
        button(Button.LINKED, "Linked packages"),
        button(Button.UPDATE, "Update package"),
    ]))
    return blocks


def render_missing(links: PackageLinks, name: str, *, updating: bool = False, note: str | None = None) -> list[Block]:
    """The package does not exist yet: say so plainly, offer to create it."""
    if updating:
        text = (f"### Quilt package {escape(name)}\n\nThe package is being created: **{UPDATING}**\n\n"
                "This canvas shows it as soon as the first revision exists.")
    else:
        text = (f"### Quilt package {escape(name)}\n\nThis entry's package has not been created yet. "
                "Press **Update package** to create it now.")
    if note:
        text += f"\n\n{escape(note)}"
    return [markdown("md-missing", text),
            section("sec-actions", [button(Button.UPDATE, "Update package")])]


def render_updating(entry_label: str | None = None) -> list[Block]:
    """Before anything is known about the package (a new canvas): progress, never an empty canvas."""
    what = f" for {escape(entry_label)}" if entry_label else ""
    return [markdown("md-updating", f"### Quilt package\n\nPackaging this entry{what}: **{UPDATING}**"),
            section("sec-actions", [button(Button.UPDATE, "Update package")])]


def render_browse(links: PackageLinks, page: FilePage) -> list[Block]:
    """One page of files, each with a catalog link and a QuiltSync link; Previous/Next/Back."""
    name = page.revision.name
    header = f"### Files in {link(name, links.package_url(name) or links.sync_url(name))}"
    if page.total == 0:
        body = "This package has no files."
    else:
        first = page.first_index + 1
        last = page.first_index + len(page.files)
        rows = []
        for file in page.files:
            view_url = links.file_url(name, file.logical_key)
            label = link(file.logical_key, view_url) if view_url else f"`{escape(file.logical_key)}`"
            rows.append(f"- {label} · {human_size(file.size)} · "
                        f"{link('sync', links.sync_url(name, file.logical_key))}")
        body = f"Files {first}-{last} of {page.total} (page {page.page + 1} of {page.page_count})\n\n" \
               + "\n".join(rows)
    return [markdown("md-files", f"{header}\n\n{body}"), _page_buttons(page)]


def _page_buttons(page: PageNumbers) -> Block:
    return section("sec-nav", [
        button(Button.PREVIOUS, "Previous", enabled=page.has_previous),
        button(Button.NEXT, "Next", enabled=page.has_next),
        button(Button.BACK, "Back"),
    ])


def render_linked(links: PackageLinks, name: str, page: LinkedPage) -> list[Block]:
    """One page of linked packages, each with a catalog link, a QuiltSync link and why it is linked."""
    header = f"### Linked packages of {link(name, links.package_url(name) or links.sync_url(name))}"
    lines = []
    if page.total == 0:
        lines.append("No linked packages: this entry links to no other entry with a package, and no package "
                     "names this entry in its metadata.")
    else:
        first, last = page.first_index + 1, page.first_index + len(page.items)
        lines.append(f"Packages {first}-{last} of {page.total} (page {page.page + 1} of {page.page_count})")
        rows = []
        for item in page.items:
            url = links.package_url(item.name)
            label = link(item.name, url) if url else f"`{escape(item.name)}`"
            if item.exists is False:
                rows.append(f"- {escape(item.name)} · {escape(item.via)} · no package yet")
            else:
                rows.append(f"- {label} · {link('sync', links.sync_url(item.name))} · {escape(item.via)}")
        lines.append("\n".join(rows))
    if page.warning:
        lines.append(f"⚠️ {escape(page.warning)}")
    return [markdown("md-linked-packages", "\n\n".join([header, *lines])), _page_buttons(page)]


def render_metadata(links: PackageLinks, revision: PackageRevision) -> list[Block]:
    """The package metadata (``user_meta`` of the latest revision), one line per key."""
    name = revision.name
    lines = [f"### Metadata of {link(name, links.package_url(name) or links.sync_url(name))}",
             f"Revision `{revision.top_hash[:12]}` · {_when(revision.updated_at)}"
             + (f" · {escape(revision.message)}" if revision.message else "")]
    items = sorted(revision.user_meta.items())
    if not items:
        lines.append("This revision has no metadata.")
    else:
        rows = [f"- **{escape(str(key))}**: {escape(_value(value))}" for key, value in items[:MAX_METADATA_KEYS]]
        if len(items) > MAX_METADATA_KEYS:
            rows.append(f"- … and {len(items) - MAX_METADATA_KEYS} more (see the catalog)")
        lines.append("\n".join(rows))
    return [markdown("md-metadata", "\n\n".join(lines)),
            section("sec-nav", [button(Button.BACK, "Back")])]


def render_error(message: str, name: str | None = None) -> list[Block]:
    """Something failed: what happened in one sentence, and a way forward (retry or back)."""
    title = f"### Quilt package {escape(name)}" if name else "### Quilt package"
    return [markdown("md-error", f"{title}\n\n⚠️ {escape(message)}\n\n"
                                 "Press **Update package** to try again, or **Back** to return."),
            section("sec-actions", [button(Button.UPDATE, "Update package"), button(Button.BACK, "Back")])]


def render_out_of_scope(name: str, reason: str) -> list[Block]:
    """The installation's configuration leaves the entry out: say why, and who can change it."""
    return [markdown("md-scope", f"### Quilt package {escape(name)}\n\nThis entry is not packaged: "
                                 f"{escape(reason)}.\n\nAn admin of the app can change this in the app's "
                                 "Configuration tab in Benchling; then press **Update package**."),
            section("sec-actions", [button(Button.UPDATE, "Update package")])]


def with_note(blocks: list[Block], note: str | None) -> list[Block]:
    """``blocks`` followed by the admin's canvas note (App Configuration), when there is one."""
    if not note:
        return blocks
    return [*blocks, markdown("md-note", f"📌 {escape(note)}")]


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
