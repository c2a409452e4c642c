"""The repository documents itself: no text points at a document the repository does not contain, and every
relative Markdown link in the README and ``docs/`` leads to a file that exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("src", "tests", "bench", "docker", "scripts", "docs", "README.md")
MARKDOWN = ("README.md", "bench/README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")))

# Built from pieces so this file does not match itself.
OUTSIDE_DOCUMENT = re.compile(
    r"\bSPE" r"C(?:\.md|\s*§|\s+\d)"  # a product specification kept outside the repository
    r"|seed-arch" r"itecture"  # the architecture document the project started from
    r"|(?i:\bthe se" r"ed\b)"  # ... and its shorthand
    r"|\.\./sha" r"red/"  # the workspace around the repository
)
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def tracked_files() -> list[Path]:
    """The checked paths' files as git tracks them, or every file under them outside a git checkout."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", *CHECKED], cwd=ROOT, check=True,
                             capture_output=True).stdout
        return [ROOT / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        found = [ROOT / "README.md"]
        for top in CHECKED[:-1]:
            found += [p for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        return found


def text_of(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # deleted in the working tree, still in the index
        return None
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_no_text_refers_to_a_document_outside_the_repository() -> None:
    hits = []
    for path in tracked_files():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE_DOCUMENT.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not hits, "references to documents outside the repository:\n" + "\n".join(hits)


@pytest.mark.parametrize("name", MARKDOWN)
def test_relative_links_lead_to_files_that_exist(name: str) -> None:
    page = ROOT / name
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # a URL or an anchor on the same page
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{name}: links to missing files: {broken}"


def test_the_docs_pages_exist_and_the_readme_links_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for page in ("architecture", "container", "benchling", "aws", "quilt"):
        assert (ROOT / "docs" / f"{page}.md").is_file()
        assert f"(docs/{page}.md)" in readme
