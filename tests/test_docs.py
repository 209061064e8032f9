"""Docs stay true to the tree: every relative link in the README and docs/ resolves."""

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(page):
    links = re.findall(r"\]\(([^)#\s]+)", page.read_text())
    missing = [
        link
        for link in links
        if not link.startswith(("http://", "https://", "mailto:"))
        and not (page.parent / link).exists()
    ]
    assert missing == []


def test_the_readme_says_the_bundled_cassettes_are_hand_made():
    """Every shipped cassette's ``_comment`` says it is hand-made, not captured traffic."""
    readme = (REPO / "README.md").read_text()
    assert re.search(r"hand-made from Microsoft's published\s+examples", readme), readme
    testing = (REPO / "docs" / "testing.md").read_text()
    assert re.search(r"hand-made from Microsoft's published\s+examples", testing)


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if "benchmarks" not in p.parts],
    ids=lambda p: str(p.relative_to(REPO)),
)
def test_prose_names_no_machine_paths(page):
    """Paths are given as the README gives them (``../shared/...``), not as on one machine.

    The benchmark pages are records of runs and keep the paths the runs used.
    """
    assert "/work/" not in page.read_text()


def test_the_examples_never_call_a_bundled_cassette_a_recording():
    """The bundled cassettes are hand-made (see above), so no example may say they were recorded."""
    said = [
        f"{script.name}:{number}"
        for script in sorted((REPO / "examples").glob("*.py"))
        for number, line in enumerate(script.read_text().splitlines(), 1)
        if re.search(r"\brecord(ed|ing)\b", line, re.IGNORECASE)
    ]
    assert said == []
