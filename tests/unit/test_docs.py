"""The README is one page, the generated reference pages are current, and no link in the docs is dead.

``docs/outputs.md`` and ``docs/configuration.md`` are written by :mod:`astrobuild.docs` (``make docs``)
from the catalogue, the contracts, the quality rules and the config schema; an edit to any of those
without ``make docs`` fails here. Nothing here needs Graphviz: the rule graph is a committed SVG.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from astrobuild import docs
from astrobuild.contracts.catalogue import CATALOGUE
from tests.workflow import REPO

README = REPO / "README.md"
MAX_README_LINES = 200
# [text](target) and ![alt](target); the target ends at whitespace or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]*`")
DATE = re.compile(r"\b20\d\d-[01]\d-[0-3]\d\b")


def _pages_with_links() -> list[Path]:
    return [README, *sorted((REPO / "docs").glob("*.md")), REPO / "benchmarks" / "README.md"]


def _relative_links(path: Path) -> list[str]:
    # A link-like text in a code block or a code span (a regular expression) is no link.
    text = CODE_SPAN.sub("", FENCE.sub("", path.read_text(encoding="utf-8")))
    return [target for target in LINK.findall(text)
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) and not target.startswith("#")]


@pytest.mark.parametrize("name", docs.PAGES)
def test_the_generated_page_is_current(name):
    committed = REPO / "docs" / name
    assert committed.exists(), f"docs/{name} is missing: run `make docs`"
    assert committed.read_text(encoding="utf-8") == docs.pages()[name], \
        f"docs/{name} differs from what astrobuild.docs generates now: run `make docs`"


def test_the_generator_is_deterministic():
    assert docs.pages() == docs.pages()


def test_every_table_of_the_catalogue_and_every_config_section_is_documented():
    outputs = docs.outputs_page()
    for name, table in CATALOGUE.items():
        assert f"### `{name}`" in outputs and table.path in outputs
        for column in table.contract.to_schema().columns:
            assert f"| `{column}` |" in outputs, f"column {name}.{column} missing from docs/outputs.md"
    configuration = docs.configuration_page()
    for section in ("sources", "sample", "quality", "train"):
        assert f"\n## {section}\n" in configuration
    assert "| `sample.scale` |" in configuration and "| `train.climate.grid.lat` |" in configuration


def test_the_readme_is_one_page_without_dated_measurements():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines (at most {MAX_README_LINES})"
    dated = [f"{n}: {line}" for n, line in enumerate(lines, 1) if DATE.search(line)]
    assert dated == [], "dated figures belong in benchmarks/README.md, not README.md:\n" + "\n".join(dated)


def test_the_readme_shows_the_rule_graph():
    assert "docs/images/rulegraph.svg" in _relative_links(README)


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page (lower case, punctuation dropped,
    spaces as hyphens)."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", FENCE.sub("", path.read_text(encoding="utf-8")), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_relative_link_points_at_an_existing_file():
    dead = []
    for page in _pages_with_links():
        for target in _relative_links(page):
            path, _, anchor = target.partition("#")
            file = page.parent / path
            if not file.exists():
                dead.append(f"{page.relative_to(REPO)}: {target}")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                dead.append(f"{page.relative_to(REPO)}: {target} (no such heading)")
    assert dead == [], "links to files or headings that do not exist:\n" + "\n".join(dead)


def test_the_link_check_sees_links():
    assert len(_relative_links(README)) >= 8  # the pages behind the README
