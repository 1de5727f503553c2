"""The README stays one page for a newcomer, and the documentation holds together: every
relative link in README.md and docs/*.md reaches a file (and, with an anchor, one of its
headings), and every pointer of the form README, 'Section' in the project names a README
heading."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").glob("*.md"))]
MAX_README_LINES = 250

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
POINTER = re.compile(r"""README, (['"])([^'"]+?)\1""")  # may wrap over lines


def prose(text: str) -> str:
    """Markdown without its code: links and headings inside code are not links."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def anchors(text: str) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to
    hyphens, a repeated one numbered."""
    found, count = set(), {}
    for title in HEADING.findall(FENCE.sub("", text)):
        slug = re.sub(r"[^\w\- ]", "", title.replace("`", "").lower()).replace(" ", "-")
        count[slug] = count.get(slug, -1) + 1
        found.add(slug if count[slug] == 0 else f"{slug}-{count[slug]}")
    return found


def pipeline_outputs() -> set[Path]:
    """Files a pipeline stage writes (report.md): there after `dvc repro`, never in git."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    outs = set()
    for stage in stages.values():
        for out in stage.get("outs", []):
            name = out if isinstance(out, str) else next(iter(out))
            if "${" not in name:
                outs.add((REPO / name).resolve())
    return outs


def test_the_readme_is_one_page():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    outputs = pipeline_outputs()
    broken = []
    for target in LINK.findall(prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if file in outputs:  # maybe not built yet: only the file itself may be linked
            if anchor:
                broken.append(f"{target}: a pipeline output, linked with an anchor")
            continue
        if not file.is_file():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in anchors(file.read_text(encoding="utf-8")):
            broken.append(f"{target}: no such heading in {file.relative_to(REPO)}")
    assert not broken, broken


def test_every_docs_page_is_linked_from_the_readme():
    linked = {
        (REPO / target.partition("#")[0]).resolve()
        for target in LINK.findall(prose(README.read_text(encoding="utf-8")))
    }
    assert set(PAGES[1:]) <= linked


def project_text() -> dict[str, str]:
    """The files whose messages and comments point into the README, with Python's implicit
    string concatenation joined, so a pointer split over two string literals reads whole."""
    files = [
        *REPO.glob("lrlab/**/*.py"),
        *REPO.glob("stages/*.py"),
        *REPO.glob("benchmarks/*.py"),
        *REPO.glob("scripts/*"),
        *REPO.glob("*.yaml"),
        *REPO.glob("data/external/*.md"),
        *(test for test in REPO.glob("tests/**/*.py") if test.name != "test_docs.py"),
    ]
    texts = {}
    for file in files:
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".py":
            text = re.sub(r"""(["'])\s*\n\s*f?\1""", "", text)
        texts[str(file.relative_to(REPO))] = text
    return texts


def test_every_readme_pointer_names_a_readme_heading():
    headings = set(HEADING.findall(FENCE.sub("", README.read_text(encoding="utf-8"))))
    pointers = [
        (name, " ".join(section.split()))
        for name, text in project_text().items()
        for _, section in POINTER.findall(text)
    ]
    assert pointers  # the config errors point there
    missing = [
        (name, section) for name, section in pointers if not set(section.split(" › ")) <= headings
    ]
    assert not missing, missing
