from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from benchling_webhook.server.canvas.linked import LinkedPackage, LinkedPage
from benchling_webhook.server.canvas.views import (
    PackageLinks,
    render_browse,
    render_error,
    render_linked,
    render_main,
    render_metadata,
    render_missing,
)
from benchling_webhook.server.quilt.athena import LinkedPackages
from benchling_webhook.server.quilt.manifest import FilePage, ManifestFile, PackageRevision

LINKS = PackageLinks("quilt-packages", "https://catalog.example.com/")
WHEN = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def revision(count: int = 2, meta: dict[str, Any] | None = None) -> PackageRevision:
    return PackageRevision(bucket="quilt-packages", name="benchling/EXP1", top_hash="ab" * 32, updated_at=WHEN,
                           message="m", user_meta=meta or {}, file_count=count, total_bytes=2048)


def text(blocks: list[dict[str, Any]]) -> str:
    out = []
    for block in blocks:
        for leaf in block.get("children", [block]):
            out.append(leaf.get("value") or f"[{leaf['text']}]")
    return "\n".join(out)


def ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [leaf["id"] for block in blocks for leaf in [block, *block.get("children", [])]]


def test_links_follow_the_catalog_conventions() -> None:
    assert LINKS.package_url("benchling/EXP1") == "https://catalog.example.com/b/quilt-packages/packages/benchling/EXP1"
    assert LINKS.file_url("benchling/EXP1", "a b.pdf") == \
        "https://catalog.example.com/b/quilt-packages/packages/benchling/EXP1/tree/latest/a%20b.pdf"
    assert LINKS.quilt_uri("benchling/EXP1") == \
        "quilt+s3://quilt-packages#package=benchling/EXP1&catalog=catalog.example.com"
    redir = LINKS.sync_url("benchling/EXP1", "dir/a&b.csv")
    assert redir.startswith("https://catalog.example.com/redir/quilt%2Bs3%3A%2F%2Fquilt-packages%23package%3D")
    assert unquote(redir.removeprefix("https://catalog.example.com/redir/")) == \
        "quilt+s3://quilt-packages#package=benchling/EXP1&path=dir/a%26b.csv&catalog=catalog.example.com"


def test_without_a_catalog_links_fall_back_to_quilt_uris() -> None:
    links = PackageLinks("quilt-packages", None)
    assert links.package_url("benchling/EXP1") is None
    assert links.sync_url("benchling/EXP1") == "quilt+s3://quilt-packages#package=benchling/EXP1"
    shown = text(render_main(links, "benchling/EXP1", revision()))
    assert "### Quilt package benchling/EXP1" in shown and "https://" not in shown


def test_main_view_shows_time_summary_linked_packages_and_buttons() -> None:
    blocks = render_main(LINKS, "benchling/EXP1", revision(), linked=LinkedPackages(("a/b",)))
    shown = text(blocks)
    assert f"Last update: 2026-11-27 11:00 UTC · 2 files, 2.0 KB · revision `{'ab' * 6}`" in shown
    assert "Linked packages: [a/b](https://catalog.example.com/b/quilt-packages/packages/a/b)" in shown
    assert ids(blocks)[-4:] == ["browse-files", "view-metadata", "linked-packages", "update-package"]
    assert len(set(ids(blocks))) == len(ids(blocks))


def test_main_view_while_updating_and_with_a_warning() -> None:
    shown = text(render_main(LINKS, "benchling/EXP1", revision(), updating=True,
                             linked=LinkedPackages(warning="Linked packages are unavailable right now (x).")))
    assert "Last update: **updating…** (the previous revision is from 2026-11-27 11:00 UTC)" in shown
    assert "⚠️ Linked packages are unavailable right now (x)." in shown


def test_linked_packages_view_pages_with_catalog_and_sync_links_and_why() -> None:
    page = LinkedPage((LinkedPackage("benchling/EXP2", "linked entry EXP2 (Screen 2)", True),
                       LinkedPackage("benchling/EXP3", "linked entry EXP3", False),
                       LinkedPackage("analysis/x", "its metadata experiment_id is EXP1", True)),
                      page=1, page_size=3, count=7, warning="Linked packages are unavailable right now (x).")
    blocks = render_linked(LINKS, "benchling/EXP1", page)
    shown = text(blocks)
    assert "### Linked packages of [benchling/EXP1](https://catalog.example.com/b/quilt-packages/packages/" \
           "benchling/EXP1)" in shown
    assert "Packages 4-6 of 7 (page 2 of 3)" in shown
    assert "- [benchling/EXP2](https://catalog.example.com/b/quilt-packages/packages/benchling/EXP2) · [sync](" \
           in shown and "· linked entry EXP2 (Screen 2)" in shown
    assert "- benchling/EXP3 · linked entry EXP3 · no package yet" in shown
    assert "⚠️ Linked packages are unavailable right now (x)." in shown
    assert [(b["id"], b["enabled"]) for b in blocks[-1]["children"]] == [
        ("prev-page", True), ("next-page", True), ("back", True)]
    empty = text(render_linked(LINKS, "benchling/EXP1", LinkedPage((), 0, 15, 0)))
    assert "No linked packages" in empty


def test_missing_views() -> None:
    assert render_main(LINKS, "benchling/EXP1", None) == render_missing(LINKS, "benchling/EXP1")
    assert "has not been created yet" in text(render_missing(LINKS, "benchling/EXP1"))
    assert "being created: **updating…**" in text(render_missing(LINKS, "benchling/EXP1", updating=True))


def test_browse_numbers_files_and_enables_navigation_at_the_edges() -> None:
    files = tuple(ManifestFile(f"f{i}", i, None) for i in range(15, 20))
    page = FilePage(revision(20), files, page=1, page_size=15)
    blocks = render_browse(LINKS, page)
    assert "Files 16-20 of 20 (page 2 of 2)" in text(blocks)
    nav = {b["id"]: b["enabled"] for b in blocks[-1]["children"]}
    assert nav == {"prev-page": True, "next-page": False, "back": True}


def test_metadata_is_escaped_and_truncated() -> None:
    meta = {f"k{i:02d}": "v" for i in range(45)} | {"big": "x" * 500, "evil": "[a](b)"}
    shown = text(render_metadata(LINKS, revision(meta=meta)))
    assert "- **evil**: \\[a\\](b)" in shown
    assert "x" * 199 + "…" in shown and "x" * 200 not in shown
    assert "… and 7 more (see the catalog)" in shown


def test_error_view_always_offers_a_way_forward() -> None:
    blocks = render_error("Could not update the package: boom.", "benchling/EXP1")
    assert "⚠️ Could not update the package: boom." in text(blocks)
    assert [b["enabled"] for b in blocks[-1]["children"]] == [True, True]
