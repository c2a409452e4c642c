from __future__ import annotations

from typing import Any

import quilt3

from benchling_webhook.sandbox.api import SandboxFile, api_calls
from benchling_webhook.sandbox.benchling import SandboxServer
from benchling_webhook.server.settings import ServerSettings
from tests.functional.worker.conftest import (
    BUCKET,
    DISPLAY_ID,
    ENTRY_ID,
    PACKAGE,
    PREFIX,
    entry_event,
    handle,
    keys,
    read_json,
    revisions,
)

EXPECTED_KEYS = {"entry.json", "entry_record.json", "links.json", "README.md", f"export/{DISPLAY_ID}.pdf",
                 "attachments/plate3_counts.csv", "attachments/microscopy_overview.png"}
WIDE = "\U00020000"  # a CJK letter of four UTF-8 bytes (a word character, so kept in file names)


def test_entry_event_builds_the_prefix_and_a_quilt3_readable_package(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    assert handle(settings, entry_event(sandbox, kind="v2.entry.created")) == [None]

    assert keys(s3) == EXPECTED_KEYS
    meta = read_json(s3, PREFIX + "entry.json")
    assert meta["experiment_id"] == DISPLAY_ID
    assert (meta["entry_id"], meta["name"]) == (ENTRY_ID, "CRISPR knock-out screen, plate 3")
    assert meta["web_url"].startswith("https://acme-bio.benchling.com/")
    assert meta["creator"] == {"id": "ent_Yw2Kp0Rd", "handle": "mchen", "name": "Mei Chen"}
    assert [a["handle"] for a in meta["authors"]] == ["mchen", "jokafor"]
    assert meta["fields"]["Temperature (C)"]["value"] == 37.0
    assert meta["canvas_id"] == "cnvs_Hq7Tz3Lp"  # the app_canvas note part of our app
    assert {f["logical_key"] for f in meta["files"]} == {
        f"export/{DISPLAY_ID}.pdf", "attachments/plate3_counts.csv", "attachments/microscopy_overview.png"}
    assert read_json(s3, PREFIX + "entry_record.json") == sandbox.state.api.entries[ENTRY_ID]
    assert {link["id"] for link in read_json(s3, PREFIX + "links.json")} == {"bfi_Kp31Ws", "seq_Qe4Rt6"}

    package = quilt3.Package.browse(PACKAGE, registry=f"s3://{BUCKET}")
    assert {key for key, _ in package.walk()} == EXPECTED_KEYS
    assert package.meta == meta
    assert package[f"export/{DISPLAY_ID}.pdf"].get_bytes().startswith(b"%PDF-1.4")
    assert package["attachments/plate3_counts.csv"].get_bytes().startswith(b"well,guide,count")
    assert all(entry.physical_key.version_id for _, entry in package.walk())  # immutable revisions

    calls = api_calls(sandbox.state.requests)
    assert calls.count(("GET", f"/api/v2/entries/{ENTRY_ID}")) == 1
    assert calls.count(("GET", "/api/v2/app-configuration-items")) == 1  # the installation's, then cached
    per_revision = [c for c in calls if not c[1].startswith(("/api/v2/tasks/", "/api/v2/app-configuration-items"))]
    # token, entry, export + 2 files + one look-up of linked names (the cell line is named by its field)
    assert len(per_revision) <= 3 + 2 + 1
    assert [c for c in calls if ":bulk-get" in c[1]] == [("GET", "/api/v2/dna-sequences:bulk-get")]


def test_linked_objects_are_searchable_by_name_and_links_json_keeps_the_detail(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    sandbox.state.api.add_object("aa-sequences", {"id": "prtn_Zz9Aa1", "name": "Cas9-HF1",
                                                  "webURL": "https://acme-bio.benchling.com/prtn_Zz9Aa1"})
    sandbox.state.api.link_in_notes(ENTRY_ID, "prtn_Zz9Aa1", "aa_sequence", "https://acme-bio.benchling.com/p")
    sandbox.state.api.link_in_notes(ENTRY_ID, "con_Box1", "container", "https://acme-bio.benchling.com/c")
    sandbox.state.api.add_entry({"id": "etr_Zz11Yy22", "displayId": "EXP26000041", "name": "Screen, plate 2",
                                 "webURL": "https://acme-bio.benchling.com/etr_Zz11Yy22"})
    sandbox.state.api.link_in_notes(ENTRY_ID, "etr_Zz11Yy22", "entry", "https://acme-bio.benchling.com/e")
    assert handle(settings, entry_event(sandbox)) == [None]

    meta = read_json(s3, PREFIX + "entry.json")
    assert meta["linked_names"] == ["Cas9-HF1", "HCT116-7", "Screen, plate 2", "sgRNA library v2"]
    assert meta["linked"] == [
        {"id": "bfi_Kp31Ws", "name": "HCT116-7", "type": "custom_entity",
         "url": "https://acme-bio.benchling.com/acme-bio/f/lib_Mn4Vb/bfi-Kp31Ws-hct116-7/edit"},
        {"id": "con_Box1", "name": None, "type": "container", "url": "https://acme-bio.benchling.com/c"},
        {"id": "etr_Zz11Yy22", "name": "Screen, plate 2", "type": "entry", "url": "https://acme-bio.benchling.com/e",
         "display_id": "EXP26000041"},
        {"id": "prtn_Zz9Aa1", "name": "Cas9-HF1", "type": "aa_sequence", "url": "https://acme-bio.benchling.com/p"},
        {"id": "seq_Qe4Rt6", "name": "sgRNA library v2", "type": "dna_sequence",
         "url": "https://acme-bio.benchling.com/acme-bio/f/lib_Mn4Vb/seq-Qe4Rt6-sgrna-library-v2/edit"}]
    links = {link["id"]: link for link in read_json(s3, PREFIX + "links.json")}
    assert links["bfi_Kp31Ws"]["sources"] == ["notes", "field:Cell line"]
    assert "| HCT116-7 | custom_entity | bfi_Kp31Ws |" in s3.get_object(
        Bucket=BUCKET, Key=PREFIX + "README.md")["Body"].read().decode()
    lookups = sorted(p for _, p in api_calls(sandbox.state.requests) if ":bulk-get" in p)
    assert lookups == ["/api/v2/aa-sequences:bulk-get", "/api/v2/dna-sequences:bulk-get",
                       "/api/v2/entries:bulk-get"]  # one per type

    sandbox.state.requests.clear()
    assert handle(settings, entry_event(sandbox)) == [None]  # a new worker, an unchanged entry: no look-up
    assert not [p for _, p in api_calls(sandbox.state.requests) if ":bulk-get" in p]
    assert sandbox.state.api.export_count() == 1


def test_unchanged_entry_creates_no_new_revision_and_no_export(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    handle(settings, entry_event(sandbox))
    first = revisions(s3)
    assert handle(settings, entry_event(sandbox)) == [None]
    assert revisions(s3) == first and len(first) == 1
    assert sandbox.state.api.export_count() == 1

    sandbox.state.api.update_field(ENTRY_ID, "Hypothesis", "No dependency after all")
    handle(settings, entry_event(sandbox))
    assert len(revisions(s3)) == 2
    meta = quilt3.Package.browse(PACKAGE, registry=f"s3://{BUCKET}").meta
    assert meta["fields"]["Hypothesis"]["value"] == "No dependency after all"


def test_objects_no_longer_in_the_entry_are_removed(sandbox: SandboxServer, settings: ServerSettings,
                                                     s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=PREFIX + "stale/leftover.txt", Body=b"old")
    handle(settings, entry_event(sandbox))
    assert "stale/leftover.txt" not in keys(s3)

    sandbox.state.api.remove_attachment(ENTRY_ID, "exfl_Tt5Yy2")
    sandbox.state.api.update_field(ENTRY_ID, "Hypothesis", "png removed")
    handle(settings, entry_event(sandbox))
    assert keys(s3) == EXPECTED_KEYS - {"attachments/microscopy_overview.png"}
    package = quilt3.Package.browse(PACKAGE, registry=f"s3://{BUCKET}")
    assert "attachments/microscopy_overview.png" not in {key for key, _ in package.walk()}


def test_multipart_attachment_hash_matches_quilt(sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    from quilt3.checksums import calculate_multipart_checksum_bytes

    sandbox.state.api.add_attachment(ENTRY_ID, SandboxFile("plate-scan.tif", size=20 * 1024 * 1024 + 11), "exfl_big")
    handle(settings, entry_event(sandbox))
    package = quilt3.Package.browse(PACKAGE, registry=f"s3://{BUCKET}")
    entry = package["attachments/plate-scan.tif"]
    data = entry.get_bytes()
    assert entry.size == len(data) == 20 * 1024 * 1024 + 11
    assert entry.hash["value"] == calculate_multipart_checksum_bytes(data, checksum_type="sha2-256-chunked")


def test_an_attachment_name_past_s3s_key_limit_is_shortened_not_dead_lettered(
        sandbox: SandboxServer, settings: ServerSettings, s3: Any) -> None:
    name = WIDE * 255 + ".csv"  # 255 four-byte characters: the key would be 1,060+ bytes
    sandbox.state.api.add_attachment(ENTRY_ID, SandboxFile(name, content=b"a,b\n1,2\n"), "exfl_long")
    handle(settings, entry_event(sandbox))
    (long_key,) = [k for k in keys(s3) if k.startswith("attachments/" + WIDE)]
    assert len((PREFIX + long_key).encode()) <= 1024 and long_key.endswith(".csv")
    package = quilt3.Package.browse(PACKAGE, registry=f"s3://{BUCKET}")
    assert package[long_key].get_bytes() == b"a,b\n1,2\n"
