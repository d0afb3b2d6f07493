"""The README and docs a new user reads: short, linked, and about this version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checks import __version__

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


def test_the_readme_is_at_most_12_kb() -> None:
    assert len((ROOT / "README.md").read_bytes()) <= 12_000


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    broken = [
        target
        for target, _ in LINK.findall(text)
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert broken == []


def test_every_mention_of_a_release_tag_is_this_version() -> None:
    tags = {
        str(page.relative_to(ROOT)): sorted(set(re.findall(r"\bv\d+\.\d+\.\d+\b", text)))
        for page in [*PAGES, ROOT / ".pre-commit-hooks.yaml"]
        if (text := page.read_text(encoding="utf-8"))
    }
    stale = {page: found for page, found in tags.items() if set(found) - {f"v{__version__}"}}
    assert stale == {}
    assert f"rev: v{__version__}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_changelog_has_a_section_for_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(
        rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.MULTILINE
    )
