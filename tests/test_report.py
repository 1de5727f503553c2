"""report.md: every variant in one table with numbers from its metrics file, the lesson's
published figure from lessons.yaml, figure links; missing inputs stop with their name."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from lrlab.config import ParamsFile, VariantConfig
from lrlab.errors import LrlabError
from lrlab.plotting.plan import plan_figures
from lrlab.report import (
    build_report,
    fmt,
    gap,
    gap_cell,
    parse_lessons,
    pct,
    reference_cell,
    seconds,
)
from stages import report as report_stage

REPO = Path(__file__).resolve().parents[1]
PARAMS = ParamsFile(REPO / "params.yaml")
VARIANTS = {key: PARAMS.variant(key) for key in PARAMS.variant_keys()}
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
        metrics["query"] = {f"x={q}": 0.123 + q for q in cfg.query}
    if cfg.dataset == "synthetic-regression":
        metrics.update(weight=53.09, true_weight=[53.65])  # lists as the evaluate stage writes
    return metrics  # fmt: skip


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "params.yaml").write_text((REPO / "params.yaml").read_text())
    (tmp_path / "lessons.yaml").write_text((REPO / "lessons.yaml").read_text())
    (tmp_path / "metrics").mkdir()
    for index, (key, cfg) in enumerate(VARIANTS.items()):
        metrics = fake_metrics(index, cfg)
        (tmp_path / f"metrics/{key}.json").write_text(json.dumps(metrics))
    return tmp_path


def run_report(root: Path) -> str:
    report_stage.main(["--root", str(root)])
    return (root / "report.md").read_text(encoding="utf-8")


def table_rows(text: str) -> dict[str, str]:
    table = text.split("## Every variant", 1)[1].split("\n\n")[1]
    return {
        line.split("|")[1].strip().split("]")[0].lstrip("["): line for line in table.splitlines()
    }


def test_lessons_yaml_covers_every_variant_and_every_lesson_file():
    lessons = parse_lessons(LESSONS_RAW)
    assert set(lessons.variants) == set(VARIANTS)
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
        published = parse_lessons(LESSONS_RAW).variants[key].published
        assert published.replace("|", "\\|") in row, key


def test_changing_a_metric_changes_the_report(root):
    before = run_report(root)
    path = root / "metrics/mnist_mlp.json"
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
    (root / "metrics/two_clusters.json").unlink()
    (root / "metrics/linear_toy.json").unlink()
    with pytest.raises(LrlabError) as info:
        report_stage.main(["--root", str(root)])
    message = str(info.value)
    assert "metrics/two_clusters.json: not found" in message
    assert "metrics/linear_toy.json: not found" in message and "evaluate@linear_toy" in message
    assert not (root / "report.md").exists()


def test_broken_metrics_json_is_named(root):
    (root / "metrics/hours_pass.json").write_text("{not json")
    with pytest.raises(LrlabError, match=r"metrics/hours_pass\.json: not valid JSON"):
        report_stage.main(["--root", str(root)])


def test_a_bad_lessons_yaml_names_the_key(root):
    raw = copy.deepcopy(LESSONS_RAW)
    raw["variants"]["mnist_mlp"]["lesson"] = "042"
    (root / "lessons.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(LrlabError, match=r"variants\.mnist_mlp\.lesson = '042'"):
        report_stage.main(["--root", str(root)])


def test_figures_are_linked_relatively_when_rendered(root):
    specs = plan_figures(VARIANTS)
    rendered = specs[0]
    (root / rendered.path).parent.mkdir(parents=True)
    (root / rendered.path).write_bytes(b"png")
    text = run_report(root)
    assert f"]({rendered.path})" in text
    assert f"{specs[1].path} ({specs[1].caption}): not rendered" in text
    for key in VARIANTS:
        assert f"### {key}\n" in text


def test_build_report_is_pure_and_deterministic():
    metrics = {key: fake_metrics(i, cfg) for i, (key, cfg) in enumerate(VARIANTS.items())}
    lessons = parse_lessons(LESSONS_RAW)
    first = build_report(VARIANTS, metrics, lessons, plan_figures(VARIANTS))
    assert first == build_report(VARIANTS, metrics, lessons, plan_figures(VARIANTS))


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
