"""report.md: every variant in one table with numbers from its metrics file, the lesson's
published figure from lessons.yaml, links to the rendered figures in catalogue order with
their captions; missing inputs stop with their name."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fixtures_data import EXTENDED_PARAMS, extended_variants
from repo_kit import write_params

from lrlab.base import layout
from lrlab.base.errors import LrlabError
from lrlab.core.config import VariantConfig
from lrlab.plotting.catalogue import LESSON_FIGURES, VARIANT_FIGURES, ordered
from lrlab.report.build import (
    FigureLink,
    build_report,
    fmt,
    gap,
    gap_cell,
    pct,
    published_cell,
    reference_cell,
    seconds,
)
from lrlab.report.lessons import parse_lessons
from lrlab.train.metrics import query_key
from stages import report as report_stage

REPO = Path(__file__).resolve().parents[1]
CAPTION = dict(ordered(lessons=False))
VARIANTS = extended_variants()  # params.yaml's, and a user's own on their CSV
LESSONS_RAW = yaml.safe_load((REPO / "lessons.yaml").read_text(encoding="utf-8"))


def fake_metrics(index: int, cfg: VariantConfig) -> dict[str, Any]:
    """Distinct, recognisable numbers per variant, in the evaluate stage's schema."""
    loss = 0.1 + index / 100
    if cfg.task == "classification":
        train = {"loss": loss, "accuracy": 0.8 + index / 1000}
        test = {"loss": loss + 0.01, "accuracy": 0.7 + index / 1000}
        ref = {"train_loss": loss - 0.05, "train_accuracy": 0.81, "method": "lbfgs"}
    else:
        train = {"loss": loss, "mse": loss}
        test = {"loss": loss + 0.01, "mse": loss + 0.01}
        ref = {"train_loss": loss - 0.05, "weight": [[2.0]], "bias": [0.0], "method": "lstsq"}
    metrics = {
        "train": train,
        "test": test,
        "reference": ref,
        "optimality_gap": 0.05,
        "train_seconds": 1.5 + index,
        "device": "cpu",
        "epochs": cfg.epochs,
        "seed": 2017,
    }
    if cfg.query:
        metrics["query"] = {query_key(p): 0.123 + p[0] for p in cfg.query_points}
    if cfg.dataset == "synthetic-regression":
        metrics.update(weight=53.09, true_weight=[53.65])  # lists as the evaluate stage writes
    return metrics  # fmt: skip


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_params(tmp_path, base=EXTENDED_PARAMS, fast=False)
    (tmp_path / "lessons.yaml").write_text((REPO / "lessons.yaml").read_text())
    for index, (key, cfg) in enumerate(VARIANTS.items()):
        path = layout.metrics_file(tmp_path, key)
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(fake_metrics(index, cfg)))
        history = layout.history_file(tmp_path, key)
        history.parent.mkdir(exist_ok=True)
        rows = "".join(f"{e},{1 / e}\n" for e in range(1, cfg.epochs + 1))
        history.write_text("epoch,train_loss\n" + rows)
        seeds = layout.seeds_file(tmp_path, key)
        seeds.parent.mkdir(exist_ok=True)
        swept = list(range(cfg.seed_sweep))
        values = {"train.loss": [0.5 + s / 100 for s in swept]} if swept else {}
        seeds.write_text(json.dumps({"seeds": swept, "values": values, "diverged": 0}))
    return tmp_path


def test_deliberate_deviations_from_the_lessons_are_listed_with_their_undo(root):
    text = run_report(root)
    section = text.split("## Where lrlab differs from the lesson, on purpose", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert "**diabetes_deep**" in section and "test_fraction=null" in section
    assert "**mnist_mlp**" in section and "datasets.mnist.mean=0.75" in section


def test_printed_losses_are_set_beside_this_runs_and_matched_to_their_digits(root):
    text = run_report(root)
    section = text.split("## Training losses the lessons printed", 1)[1].split("\n## ", 1)[0]
    # the fake history's loss at epoch 200 is 1/200 = 0.005: printed "0.39010", this run 0.00500
    assert "| exam_scores_manual | 200 | 0.39010 | 0.00500 | 0 of 5 |" in section
    assert "reproduced exactly" not in section


def run_report(root: Path) -> str:
    report_stage.main(["--root", str(root)])
    return layout.report_file(root).read_text(encoding="utf-8")


def render(root: Path, owner: str, *names: str) -> list[str]:
    """Stand-ins for rendered figures ``names`` of ``owner``; their relative paths."""
    paths = [layout.figure_file(root, owner, name) for name in names]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"png")
    return [layout.relative(root, path) for path in paths]


def table_rows(text: str) -> dict[str, str]:
    table = text.split("## Every variant", 1)[1].split("\n\n")[1]
    return {
        line.split("|")[1].strip().split("]")[0].lstrip("["): line for line in table.splitlines()
    }


def test_lessons_yaml_names_existing_variants_and_every_lesson_file():
    lessons = parse_lessons(LESSONS_RAW)
    assert set(lessons.variants) <= set(VARIANTS)  # a variant of yours has no lesson entry
    shared = REPO.parent / "shared" / "lessons"
    for lesson in lessons.lessons.values():
        if shared.is_dir():
            assert (shared / lesson.file).is_file(), lesson.file
    assert lessons.variants["mnist_mlp"].values["test.accuracy"] == 0.9788
    assert "0.170425" in lessons.variants["linear_15pt"].published


def test_report_has_one_row_per_variant_with_its_own_numbers(root, capsys):
    text = run_report(root)
    assert "wrote report.md" in capsys.readouterr().out
    rows = table_rows(text)
    assert set(VARIANTS) <= set(rows)
    for index, (key, cfg) in enumerate(VARIANTS.items()):
        row = rows[key]
        assert fmt(0.1 + index / 100) in row, key  # train loss
        if cfg.task == "classification":
            assert pct(0.7 + index / 1000) in row, key  # test accuracy
        assert seconds(1.5 + index) in row and "cpu" in row, key
        entry = parse_lessons(LESSONS_RAW).variants.get(key)  # none for a variant of yours
        published = entry.published.replace("|", "\\|") if entry else published_cell(None)
        assert published in row, key


def test_changing_a_metric_changes_the_report(root):
    before = run_report(root)
    path = layout.metrics_file(root, "mnist_mlp")
    metrics = json.loads(path.read_text())
    metrics["test"]["accuracy"] = 0.4321
    path.write_text(json.dumps(metrics))
    after = run_report(root)
    assert "43.21 %" in table_rows(after)["mnist_mlp"]
    assert "43.21 %" not in before


def test_point_predictions_come_from_the_metrics_and_the_lesson(root):
    text = run_report(root)
    details = text.split("## Point predictions and parameters", 1)[1].split("##", 1)[0]
    assert "| linear_toy | prediction at x=4.0 | 4.123 | 7.69 |" in details
    assert "| study_hours | P(y = 1) at x=0.5 | 0.623 | 0.4064 |" in details
    assert "| linear_synthetic | weight (true weight) | 53.09 (53.65) | — |" in details


def test_missing_metrics_files_are_named(root):
    missing = [layout.metrics_file(root, key) for key in ("two_clusters", "linear_toy")]
    for path in missing:
        path.unlink()
    with pytest.raises(LrlabError) as info:
        report_stage.main(["--root", str(root)])
    message = str(info.value)
    for path in missing:
        assert f"{layout.relative(root, path)}: not found" in message
    assert "train@two_clusters" in message and "train@linear_toy" in message
    assert not layout.report_file(root).exists()


def test_broken_metrics_json_is_named(root):
    path = layout.metrics_file(root, "hours_pass")
    path.write_text("{not json")
    with pytest.raises(
        LrlabError, match=re.escape(f"{layout.relative(root, path)}: not valid JSON")
    ):
        report_stage.main(["--root", str(root)])
    assert not layout.report_file(root).exists()


def test_a_bad_lessons_yaml_names_the_key(root):
    raw = copy.deepcopy(LESSONS_RAW)
    raw["variants"]["mnist_mlp"]["lesson"] = "042"
    (root / "lessons.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(LrlabError, match=r"variants\.mnist_mlp\.lesson = '042'"):
        report_stage.main(["--root", str(root)])


def figure_lines(text: str) -> list[str]:
    return [line for line in text.split("## Figures", 1)[1].splitlines() if line]


def test_only_rendered_figures_are_linked_relatively_in_catalogue_order(root):
    for key in VARIANTS:
        render(root, key, "curves")
    # written out of catalogue order, plus a figure the catalogue does not know
    exam = render(root, "exam_scores_manual", "sigmoid", "boundary", "zz_extra")
    (layout.figures_dir(root, "exam_scores_manual") / "notes.txt").write_text("not a figure")
    text = run_report(root)
    lines = figure_lines(text)
    exam_links = [line for line in lines if line.startswith("![exam_scores_manual")]
    curves = layout.relative(root, layout.figure_file(root, "exam_scores_manual", "curves"))
    assert exam_links == [
        f"![exam_scores_manual: {CAPTION['curves']}]({curves})",
        f"![exam_scores_manual: {CAPTION['boundary']}]({exam[1]})",
        f"![exam_scores_manual: {CAPTION['sigmoid']}]({exam[0]})",
        f"![exam_scores_manual: zz_extra]({exam[2]})",
    ]
    assert "notes.txt" not in text
    unrendered = layout.relative(root, layout.figure_file(root, "two_clusters", "regions"))
    assert unrendered not in text and "not rendered" not in text
    headings = [line for line in lines if line.startswith("### ")]
    assert headings == [f"### {key}" for key in VARIANTS], "one section per variant, in order"
    for key in VARIANTS:  # the table's links point at these sections
        assert f"[{key}](#{key})" in table_rows(text)[key]


def test_the_lessons_illustrations_come_first(root):
    render(root, "linear_toy", "curves")
    paths = render(root, layout.LESSON_FIGURES, *(e.name for e in LESSON_FIGURES))
    lines = figure_lines(run_report(root))
    assert lines[0] == "### Lesson illustrations"
    links = [line for line in lines if line.startswith(f"![{layout.LESSON_FIGURES}:")]
    assert sorted(link.rsplit("](", 1)[1] for link in links) == sorted(f"{p})" for p in paths)
    assert lines.index("### linear_toy") > max(lines.index(link) for link in links)


def test_the_lessons_illustrations_have_their_own_captions_and_order(root):
    paths = render(root, layout.LESSON_FIGURES, *(e.name for e in LESSON_FIGURES))
    owner = layout.LESSON_FIGURES
    links = [line for line in figure_lines(run_report(root)) if line.startswith(f"![{owner}:")]
    assert links == [
        f"![{owner}: {text}]({path})"
        for (_, text), path in zip(ordered(lessons=True), paths, strict=True)
    ]


def test_a_report_without_figures_has_an_empty_figure_section(root):
    text = run_report(root)
    assert figure_lines(text) == [] and "![" not in text


def test_build_report_is_pure_and_deterministic():
    metrics = {key: fake_metrics(i, cfg) for i, (key, cfg) in enumerate(VARIANTS.items())}
    lessons = parse_lessons(LESSONS_RAW)
    figures = [
        FigureLink(key, layout.relative(REPO, layout.figure_file(REPO, key, e.name)), e.caption)
        for key in VARIANTS
        for e in VARIANT_FIGURES[:2]
    ]
    first = build_report(VARIANTS, metrics, lessons, figures)
    assert first == build_report(VARIANTS, metrics, lessons, list(figures))
    for fig in figures:
        assert f"![{fig.owner}: {fig.caption}]({fig.path})" in first


def test_number_formats():
    assert pct(0.97876) == "97.88 %" and pct(None) == "—"
    assert fmt(0.1704251) == "0.1704" and fmt("x") == "—" and fmt([[53.6]]) == "53.6"
    assert seconds(3.14159) == "3.14 s" and seconds(300) == "5.0 min"
    assert gap(1.5e-5) == "1.50e-05" and gap(0.25) == "0.2500"


def test_a_reference_that_stopped_short_is_shown_as_a_bound():
    cfg = VARIANTS["fashion_softmax"]
    ref = {"kind": "optimum", "method": "lbfgs", "train_loss": 0.31456, "train_accuracy": 0.8878}
    stopped = {"reference": {**ref, "converged": False, "iterations": 150}, "optimality_gap": 0.17}
    assert (
        reference_cell(cfg, stopped) == "≤ 0.3146 · 88.78 % (lbfgs, stopped after 150 iterations)"
    )
    assert gap_cell(stopped) == "≥ 0.1700"
    exact = {"reference": {**ref, "converged": True}, "optimality_gap": 0.17}
    assert reference_cell(cfg, exact) == "0.3146 · 88.78 % (lbfgs)" and gap_cell(exact) == "0.1700"
    unattained = {
        "reference": {**stopped["reference"], "attained": False, "recession_features": 66}
    }
    assert reference_cell(cfg, unattained) == (
        "≤ 0.3146 · 88.78 % (lbfgs, stopped after 150 iterations; not attained, no minimiser: "
        "66 features prove it)"
    )
    converged = {"reference": {**unattained["reference"], "converged": True}, "optimality_gap": 0.1}
    assert reference_cell(cfg, converged) == (
        "≤ 0.3146 · 88.78 % (lbfgs; not attained, no minimiser: 66 features prove it)"
    )
    assert gap_cell(converged) == "≥ 0.1000", "the reference bounds the infimum from above"
    separable = {**ref, "separable": True, "attained": False, "train_loss": 0.0}
    separable_row = {"reference": separable, "optimality_gap": 0.02}
    assert reference_cell(cfg, separable_row) == "0, not attained (separable; lbfgs)"
    assert gap_cell(separable_row) == "0.0200", "the infimum 0 is exact: the gap is too"


def test_the_seed_section_shows_every_swept_variant_and_why_others_are_not(root):
    text = run_report(root)
    section = text.split("## The lessons' numbers among seeds")[1].split("\n## ")[0]
    for key, cfg in VARIANTS.items():
        if cfg.seed_sweep:
            assert f"| [{key}](#{key}) | train.loss | {cfg.seed_sweep} | 0.5 |" in section
        else:
            assert f"- **{key}**: " in section


def test_a_missing_or_malformed_seed_sweep_is_named(root):
    layout.seeds_file(root, "linear_toy").unlink()
    layout.seeds_file(root, "study_hours").write_text('{"seeds": [1], "values": {"a": []}}')
    with pytest.raises(LrlabError) as info:
        report_stage.main(["--root", str(root)])
    message = str(info.value)
    assert "seeds/linear_toy.json: not found. It is written by `train@linear_toy`" in message
    assert "seeds/study_hours.json: values['a'] must hold one number" in message
    assert not layout.report_file(root).exists()


def test_single_batch_losses_the_lesson_printed_are_set_beside_this_runs(root):
    """Lesson 001's every-100th-batch losses beside the history's ``loss_step_<s>`` columns
    (``log_every``), one row per epoch, with both means."""
    lessons = parse_lessons(yaml.safe_load((REPO / "lessons.yaml").read_text()))
    printed = lessons.variants["mnist_mlp"].printed_step_losses
    assert list(printed) == list(range(1, 11)) and list(printed[1]) == list(range(100, 1000, 100))
    assert printed[1][100] == "0.4734" and printed[10][900] == "0.0427"  # the lesson's first, last
    steps = list(printed[1])
    header_row = "epoch,train_loss," + ",".join(f"loss_step_{s}" for s in steps)
    rows = [f"{e},{1 / e}," + ",".join(f"{e / 10 + s / 1e4}" for s in steps) for e in (1, 2)]
    layout.history_file(root, "mnist_mlp").write_text("\n".join([header_row, *rows]) + "\n")
    text = run_report(root)
    mine = " ".join(f"{0.1 + s / 1e4:.4f}" for s in steps)
    their_mean = sum(float(v) for v in printed[1].values()) / 9
    assert (
        f"| mnist_mlp | 1 | 100–900 | {' '.join(printed[1].values())} | {mine} | "
        f"{their_mean:.4f} vs {0.1 + 0.05:.4f} |"
    ) in text
    assert "| mnist_mlp | 3 | 100–900 |" in text and "— —" in text  # epochs this run lacks
