"""The README's results table and its "Add a variant" example are real: the table shows
columns of the one built from the committed metrics, every variant, cell for cell, and the
example is what tests/test_open_layout runs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from lrlab.core.config import ParamsFile
from lrlab.core.outputs import read_metrics
from lrlab.report.build import results_table
from lrlab.report.lessons import parse_lessons

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    return README.split(title, 1)[1].split("\n## ", 1)[0]


def readme_variant_example() -> dict:
    """The variants of the README's "Add a variant" YAML block."""
    block = re.search(r"```yaml\n(.*?)```", section("### Add a variant"), re.S).group(1)
    return yaml.safe_load(block)


def readme_csv_example() -> tuple[str, dict]:
    """The shell commands and the params.yaml blocks of the README's "Add your own CSV"."""
    text = section("### Add your own CSV")
    shell = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return shell, yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))


def readme_predict_example() -> str:
    """The shell commands of the README's "Use a trained model"."""
    return re.search(r"```bash\n(.*?)```", section("## Use a trained model"), re.S).group(1)


def cells(line: str) -> list[str]:
    """A Markdown table row's cells (an escaped ``\\|`` stays inside its cell)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def test_results_table_matches_the_committed_metrics():
    params = ParamsFile(REPO / "params.yaml")
    lessons = parse_lessons(yaml.safe_load((REPO / "lessons.yaml").read_text()))
    # the lessons' variants: one you add to params.yaml has its row in report.md only
    variants = {k: params.variant(k) for k in params.variant_keys() if k in lessons.variants}
    metrics = {key: read_metrics(REPO, key) for key in variants}
    head, _, *rows = [cells(line) for line in results_table(variants, metrics, lessons)]
    shown_head, rule, *shown = [
        cells(line) for line in section("## Results").splitlines() if line.startswith("|")
    ]
    # the README shows some of report.md's columns, in report.md's order, and every lesson
    # variant
    assert shown_head[0] == "variant" and set(rule) == {"---"}
    assert {"train loss · acc.", "test acc. / MSE"} <= set(shown_head)
    picked = [head.index(name) for name in shown_head]
    assert picked == sorted(picked), shown_head
    # the report links each variant to its section; the README names it
    expected = [[re.sub(r"^\[(\w+)\]\(#\1\)$", r"\1", row[i]) for i in picked] for row in rows]
    # train time is a timing: compare every other cell
    timing = [n for n, name in enumerate(shown_head) if name == "train time"]
    for row in (*expected, *shown):
        for n in timing:
            row[n] = re.sub(r"^[\d.]+ (s|min)$", "t", row[n])
    assert shown == expected


def test_readme_table_appears_once():
    assert README.count("| variant | lesson | train loss") == 1


def test_readme_variant_example_is_valid_and_new():
    example = readme_variant_example()
    params = ParamsFile(REPO / "params.yaml")
    lessons = parse_lessons(yaml.safe_load((REPO / "lessons.yaml").read_text()))
    # new beside the lessons' variants (once you add it to params.yaml, it is yours)
    assert example and not set(example) & set(lessons.variants)
    for key, raw in example.items():
        params.raw["variants"][key] = raw
        params.variant(key)  # validates, with the README's defaults
