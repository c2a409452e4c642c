from __future__ import annotations

import copy
from typing import Any

from benchling_webhook.server.worker.metadata import (
    attachments_of,
    build_metadata,
    canonical_json,
    canvas_id_of,
    commit_message,
    links_of,
    package_segment,
    render_readme,
    safe_path,
)
from tests.helpers import load_api_fixture


def _entry() -> dict[str, Any]:
    entry: dict[str, Any] = load_api_fixture("get-entry.json")["entry"]
    return entry


def _meta(entry: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"metadata_key": "experiment_id", "benchling_url": "https://acme-bio.benchling.com",
                            "canvas_id": None, "files": []}
    args.update(kwargs)
    return build_metadata(entry, **args)


def test_metadata_is_deterministic_and_names_the_metadata_key() -> None:
    first = _meta(_entry(), metadata_key="eln_id")
    assert first["eln_id"] == "EXP26000042"
    assert canonical_json(first) == canonical_json(_meta(_entry(), metadata_key="eln_id"))
    assert first["custom_fields"] == {"Project code": "ONC-17"}
    assert first["fields"]["Cell line"] == {"value": "bfi_Kp31Ws", "display_value": "HCT116-7",
                                            "type": "entity_link"}
    assert first["review_status"] == "IN_PROGRESS"
    assert not any(key in first for key in ("exported_at", "timestamp", "updated_at"))


def test_commit_message_depends_only_on_the_entry_state() -> None:
    entry = _entry()
    message = commit_message(_meta(entry))
    assert message == commit_message(_meta(copy.deepcopy(entry)))
    entry["modifiedAt"] = "2026-11-21T09:00:00+00:00"
    assert commit_message(_meta(entry)) != message


def test_attachments_get_unique_safe_keys() -> None:
    entry = _entry()
    notes = entry["days"][0]["notes"]
    notes.append({"type": "external_file", "externalFileId": "exfl_dup", "text": "plate3_counts.csv"})
    notes.append({"type": "external_file", "externalFileId": "exfl_evil", "text": "../../etc/passwd"})
    notes.append({"type": "external_file", "externalFileId": "exfl_Wd8Zx1", "text": "again"})  # same file twice
    keys = [a.logical_key for a in attachments_of(entry)]
    assert keys == ["attachments/exfl_Wd8Zx1-plate3_counts.csv", "attachments/microscopy_overview.png",
                    "attachments/exfl_dup-plate3_counts.csv", "attachments/etc_passwd"]


def test_safe_path_keeps_paths_inside_the_prefix() -> None:
    assert safe_path("../a/./b//c.pdf") == "a/b/c.pdf"
    assert safe_path("/abs/x y?.pdf") == "abs/x_y_.pdf"
    assert safe_path("..") == "file"
    assert package_segment("EXP 26/000042").startswith("EXP-26-000042-")  # cleaned, plus a hash of the original


def test_canvas_is_ours_only_when_the_app_matches() -> None:
    assert canvas_id_of(_entry(), "app_Zf3kQ8wLm2Xv") == "cnvs_Hq7Tz3Lp"
    assert canvas_id_of(_entry(), "app_someone_else") is None


def test_links_come_from_notes_and_entity_link_fields() -> None:
    links = links_of(_entry())
    assert [(link["id"], link["type"], link["name"], link["sources"]) for link in links] == [
        ("bfi_Kp31Ws", "custom_entity", "HCT116-7", ["notes", "field:Cell line"]),
        ("seq_Qe4Rt6", "dna_sequence", None, ["notes"])]


def test_a_multi_valued_link_field_names_no_single_object() -> None:
    entry = {"fields": {"Strains": {"type": "entity_link", "value": ["bfi_1", "bfi_2"],
                                    "displayValue": "Strain A, Strain B"}}}
    assert [(link["id"], link["name"]) for link in links_of(entry)] == [("bfi_1", None), ("bfi_2", None)]


def test_readme_describes_the_entry_and_files() -> None:
    meta = _meta(_entry(), files=[{"logical_key": "export/EXP26000042.pdf", "size": 623, "kind": "export"}])
    readme = render_readme(meta, "benchling/EXP26000042")
    assert readme.startswith("# EXP26000042: CRISPR knock-out screen, plate 3\n")
    assert "| Authors | Mei Chen, Jide Okafor |" in readme
    assert "| Temperature (C) | 37.0 |" in readme
    assert "* `export/EXP26000042.pdf` (623 bytes)" in readme
