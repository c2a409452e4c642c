from __future__ import annotations

from benchling_webhook.server.canvas.blocks import button, escape, human_size, link, markdown, section, url_path


def test_block_shapes_match_benchling() -> None:
    assert markdown("m", "hi") == {"id": "m", "type": "MARKDOWN", "value": "hi"}
    assert button("b", "Go", enabled=False) == {"id": "b", "type": "BUTTON", "text": "Go", "enabled": False}
    assert section("s", [button("b", "Go")]) == {
        "id": "s", "type": "SECTION", "children": [{"id": "b", "type": "BUTTON", "text": "Go", "enabled": True}]}


def test_user_text_cannot_inject_links_or_markup() -> None:
    assert escape("[x](javascript:alert(1))") == r"\[x\](javascript:alert(1))"
    assert escape("my_file *bold* `code` <b>") == r"my\_file \*bold\* \`code\` \<b\>"
    assert escape("two\nlines") == "two lines"


def test_link_escapes_text_and_keeps_the_target_intact() -> None:
    assert link("a_b", "https://h/x (1)") == r"[a\_b](https://h/x%20%281%29)"


def test_url_path_encodes_segments_but_keeps_slashes() -> None:
    assert url_path("benchling/EXP 1", "data/a#b?.csv") == "benchling/EXP%201/data/a%23b%3F.csv"


def test_human_size() -> None:
    assert [human_size(n) for n in (None, 0, 1023, 1024, 20480 + 812, 5 * 1024**3)] == [
        "size unknown", "0 B", "1023 B", "1.0 KB", "20.8 KB", "5.0 GB"]
