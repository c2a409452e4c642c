"""What a package says about its entry: ``entry.json``, ``README.md``, ``links.json`` (pure functions).

Layout of ``s3://<bucket>/<prefix>/<display_id>/`` (= the package):

    entry.json          package metadata (the packager's ``metadata_uri``; quilt3 user_meta in direct mode)
    entry_record.json   the full API record of the entry, as Benchling returned it
    links.json          Benchling objects the entry links to (note links, entity-link fields), named, with
                        where the entry links each; entry.json has their names for the catalog's search
    README.md           what this package is, for people browsing the catalog
    export/…            members of Benchling's export ZIP (the PDF of the entry)
    attachments/…       the entry's external files

Everything is derived from the entry record, the file list and the names of the linked objects — no
"exported at" time, no run id — so the same entry always yields byte-identical metadata and an unchanged
entry creates no new package revision.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from benchling_webhook.server.worker.keys import MAX_SEGMENT_BYTES, digest, fit_bytes
from benchling_webhook.server.worker.links import linked_metadata, object_type

ENTRY_JSON = "entry.json"
RECORD_JSON = "entry_record.json"
LINKS_JSON = "links.json"
README = "README.md"
METADATA_FILES = (ENTRY_JSON, RECORD_JSON, LINKS_JSON, README)
_UNSAFE = re.compile(r"[^\w.\-]+")
_NAME_UNSAFE = re.compile(r"[^\w\-]+")


@dataclass(frozen=True)
class Attachment:
    file_id: str
    name: str
    logical_key: str


def package_segment(display_id: str) -> str:
    """The display id as a Quilt package-name segment (``[\\w-]+``), one per display id.

    An id that is already a clean segment (``EXP26000042``) is used as it is. Any other gets a short hash of
    the original appended, so ids that clean up alike (``EXP 1``, ``EXP/1``, ``EXP..1``) stay apart.
    """
    cleaned = _NAME_UNSAFE.sub("-", display_id).strip("-") or "entry"
    if cleaned != display_id:
        cleaned = f"{cleaned}-{digest(display_id)}"
    return fit_bytes(cleaned, MAX_SEGMENT_BYTES, original=display_id)


def display_id_of(entry: dict[str, Any]) -> str:
    return str(entry.get("displayId") or entry.get("id") or "entry")


def canonical_json(value: Any) -> bytes:
    """Stable serialization (sorted keys, UTF-8): equal content, equal bytes, equal hash."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def safe_path(name: str) -> str:
    """A relative POSIX path without ``..``, empty or odd segments (for ZIP members and file names)."""
    parts = []
    for part in posixpath.normpath(name.replace("\\", "/")).split("/"):
        if part in ("", ".", ".."):
            continue
        cleaned = _UNSAFE.sub("_", part).strip("_") or "_"
        parts.append(cleaned)
    return "/".join(parts) or "file"


def _note_parts(entry: dict[str, Any]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for day in entry.get("days") or []:
        if isinstance(day, dict):
            parts += [n for n in day.get("notes") or [] if isinstance(n, dict)]
    return parts


def attachments_of(entry: dict[str, Any]) -> list[Attachment]:
    """The entry's ``external_file`` note parts, each with a unique ``attachments/<name>`` key."""
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    for part in _note_parts(entry):
        file_id = part.get("externalFileId")
        if part.get("type") != "external_file" or not isinstance(file_id, str) or file_id in seen:
            continue
        seen.add(file_id)
        found.append((file_id, safe_path(str(part.get("text") or file_id)).replace("/", "_")))
    counts: dict[str, int] = {}
    for _, name in found:
        counts[name] = counts.get(name, 0) + 1
    return [Attachment(fid, name, f"attachments/{name if counts[name] == 1 else f'{fid}-{name}'}")
            for fid, name in found]


def canvas_id_of(entry: dict[str, Any], app_id: str | None) -> str | None:
    """The canvas our app placed in the entry (an ``app_canvas`` note part), if any."""
    for part in _note_parts(entry):
        if part.get("type") == "app_canvas" and part.get("canvasId") and (
                app_id is None or part.get("appId") in (None, app_id)):
            return str(part["canvasId"])
    return None


def links_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Linked Benchling objects, one per id, sorted by id: mentions in notes and entity-link field values.

    Each has ``id``, ``type`` (``custom_entity``, ``dna_sequence``, … — see ``links.object_type``),
    ``web_url`` (notes give it), ``name`` (a single-valued entity-link field's ``displayValue``, else None
    until ``links.LinkResolver`` names it) and ``sources`` (``notes``, ``field:<name>``).
    """
    links: dict[str, dict[str, Any]] = {}

    def add(object_id: str, stated: str | None, source: str, web_url: Any = None, name: Any = None) -> None:
        link = links.setdefault(object_id, {"id": object_id, "type": object_type(object_id, stated),
                                            "web_url": None, "name": None, "sources": []})
        link["web_url"] = link["web_url"] or (web_url if isinstance(web_url, str) else None)
        link["name"] = link["name"] or (name if isinstance(name, str) and name else None)
        if source not in link["sources"]:
            link["sources"].append(source)

    for part in _note_parts(entry):
        for link in part.get("links") or []:
            if isinstance(link, dict) and link.get("id"):
                add(str(link["id"]), link.get("type"), "notes", web_url=link.get("webURL"))
    for name, field in sorted((entry.get("fields") or {}).items()):
        if not isinstance(field, dict) or not str(field.get("type", "")).endswith("link"):
            continue
        raw = field.get("value")
        values = [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, str) and v]
        for value in values:  # a multi-valued field's displayValue names them all at once: not usable
            add(value, field.get("type"), f"field:{name}", name=field.get("displayValue") if len(values) == 1 else None)
    return [links[k] for k in sorted(links)]


def _person(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    return {k: value.get(k) for k in ("id", "handle", "name")}


def _fields(raw: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, field in sorted((raw or {}).items()):
        if isinstance(field, dict):
            fields[name] = {"value": field.get("value"), "display_value": field.get("displayValue"),
                            "type": field.get("type")}
        else:
            fields[name] = {"value": field, "display_value": None, "type": None}
    return fields


def build_metadata(entry: dict[str, Any], *, metadata_key: str, benchling_url: str, canvas_id: str | None,
                   files: list[dict[str, Any]], linked: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``entry.json``: the package metadata (see module doc); ``files`` = data files (key, size, kind);
    ``linked`` = ``links_of`` named by ``links.LinkResolver`` (``linked`` and ``linked_names`` keys)."""
    display_id = display_id_of(entry)
    review = entry.get("reviewRecord")
    schema = entry.get("schema")
    meta: dict[str, Any] = {
        metadata_key: display_id,
        "entry_id": entry.get("id"),
        "display_id": display_id,
        "name": entry.get("name"),
        "web_url": entry.get("webURL"),
        "benchling_url": benchling_url,
        "folder_id": entry.get("folderId"),
        "creator": _person(entry.get("creator")),
        "authors": [p for p in (_person(a) for a in entry.get("authors") or []) if p],
        "created_at": entry.get("createdAt"),
        "modified_at": entry.get("modifiedAt"),
        "schema": {"id": schema.get("id"), "name": schema.get("name")} if isinstance(schema, dict) else None,
        "review_status": review.get("status") if isinstance(review, dict) else None,
        "fields": _fields(entry.get("fields")),
        "custom_fields": {k: (v.get("value") if isinstance(v, dict) else v)
                          for k, v in sorted((entry.get("customFields") or {}).items())},
        "archived": bool(entry.get("archiveRecord")),
        "canvas_id": canvas_id,
        **linked_metadata(linked if linked is not None else links_of(entry)),
        "files": sorted(files, key=lambda f: str(f.get("logical_key"))),
    }
    return meta


def commit_message(meta: dict[str, Any]) -> str:
    """Deterministic: the same entry state gives the same message (and so the same top hash)."""
    return f"Benchling {meta['display_id']}: {meta.get('name') or ''} (modified {meta.get('modified_at')})".strip()


def render_readme(meta: dict[str, Any], package_name: str) -> str:
    """README.md of the package."""
    def cell(value: Any) -> str:
        return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")

    authors = ", ".join(a.get("name") or a.get("handle") or "" for a in meta.get("authors") or [])
    creator = (meta.get("creator") or {}).get("name") or ""
    lines = [
        f"# {meta['display_id']}: {meta.get('name') or ''}".rstrip(),
        "",
        f"Benchling notebook entry [{meta['display_id']}]({meta.get('web_url') or ''}), packaged as "
        f"`{package_name}` by benchling-webhook. The package is rewritten whenever the entry changes.",
        "",
        "| | |", "|---|---|",
        f"| Entry id | {cell(meta.get('entry_id'))} |",
        f"| Creator | {cell(creator)} |",
        f"| Authors | {cell(authors)} |",
        f"| Created | {cell(meta.get('created_at'))} |",
        f"| Modified | {cell(meta.get('modified_at'))} |",
        f"| Review | {cell(meta.get('review_status'))} |",
        "",
    ]
    if meta.get("fields"):
        lines += ["## Fields", "", "| Field | Value |", "|---|---|"]
        lines += [f"| {cell(k)} | {cell(v.get('display_value', v.get('value')))} |"
                  for k, v in meta["fields"].items()]
        lines.append("")
    if meta.get("linked"):
        lines += ["## Linked Benchling objects", "", "| Name | Type | Id |", "|---|---|---|"]
        lines += [f"| {cell(item.get('name') or '')} | {cell(item.get('type'))} | {cell(item.get('id'))} |"
                  for item in meta["linked"]]
        lines.append("")
    lines += ["## Files", "",
              f"* `{ENTRY_JSON}`: package metadata; `{RECORD_JSON}`: the full Benchling record; "
              f"`{LINKS_JSON}`: linked Benchling objects"]
    lines += [f"* `{f['logical_key']}` ({f.get('size', 0)} bytes)" for f in meta.get("files") or []]
    return "\n".join(lines) + "\n"
