"""Metric gate: rules parsing, pure comparison, and `lrlab gate` on tmp git repositories."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from repo_kit import git

from lrlab import gate
from lrlab.base import layout
from lrlab.cli import dispatch
from lrlab.gate import GateError, MetricsRegressed

REPO = Path(__file__).resolve().parents[1]

METRICS: dict[str, Any] = {
    "train": {"loss": 0.25, "accuracy": 0.88},
    "test": {"loss": 0.30, "accuracy": 0.9781},
    "reference": {"train_loss": 0.203, "separable": False, "method": "lbfgs"},
    "optimality_gap": 0.05,
    "weight": [1.9, -0.4],
    "bias": 0.1,
    "query": {"x=4.0": 7.69},
    "train_seconds": 12.3,
    "device": "cpu",
    "epochs": 10,
    "seed": 2017,
}
RULES: dict[str, Any] = {
    "defaults": {"direction": "lower", "abs_tol": 0.01},
    "rules": {
        "*accuracy": {"direction": "higher", "abs_tol": 0.01},
        "mnist_mlp:test.accuracy": {"direction": "higher", "abs_tol": 0.005},
        "*loss": {"direction": "lower", "rel_tol": 0.05, "abs_tol": 0.001},
        "reference": "report",
        "weight": "report",
        "bias": "report",
        "query": "report",
        "device": "report",
    },
}
VARIANTS = ("mnist_mlp", "hours_pass")


def metrics(**changes: Any) -> dict[str, Any]:
    """The fixture metrics with dotted-key changes applied (None deletes the key)."""
    data = copy.deepcopy(METRICS)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = data
        for part in parents:
            node = node[part]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    return data


def rules(raw: dict[str, Any] = RULES) -> gate.RuleSet:
    return gate.parse_rules(copy.deepcopy(raw))


def verdicts(rows: list[gate.Row]) -> dict[str, str]:
    return {f"{r.variant}:{r.metric}": r.verdict for r in rows}


def judge(now: dict[str, Any], variant: str = "mnist_mlp", raw: dict = RULES) -> dict[str, str]:
    return verdicts(gate.compare({variant: METRICS}, {variant: now}, rules(raw)))


# --- rules file ---------------------------------------------------------------------------


def rule_error(raw: Any) -> str:
    with pytest.raises(GateError) as info:
        gate.parse_rules(raw)
    return str(info.value)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"direction": "higher", "abs_tool": 0.1}, "rules['x'].abs_tool: unknown key (did you"),
        ({"direction": "up", "abs_tol": 0.1}, "rules['x'].direction = 'up'"),
        ({"direction": "lower", "rel_tol": -1}, "rules['x'].rel_tol = -1"),
        ({"direction": "higher"}, "direction 'higher' needs abs_tol and/or rel_tol"),
        (7, "rules['x'].direction = 7"),
    ],
)
def test_a_bad_rule_is_an_error_naming_its_key(rule: Any, expected: str) -> None:
    message = rule_error({"defaults": "report", "rules": {"x": rule}})
    assert expected in message
    assert "metrics_rules.yaml" in message


def test_rules_file_structure_errors() -> None:
    assert "defaults: expected a mapping" in rule_error({"rules": {}})
    assert "extra: unknown top-level key" in rule_error({"defaults": "report", "extra": 1})
    assert "rules[0].metric" in rule_error({"defaults": "report", "rules": [{"direction": "x"}]})
    assert "variant:dotted.key" in rule_error({"defaults": "report", "rules": {"a:b:c": "report"}})
    twice = [{"metric": "a", "direction": "report"}] * 2
    assert "'a' appears 2 times" in rule_error({"defaults": "report", "rules": twice})


def test_list_and_mapping_forms_are_the_same_and_frozen() -> None:
    bodies = {k: v if isinstance(v, dict) else {"direction": v} for k, v in RULES["rules"].items()}
    listed = [{"metric": k, **v} for k, v in bodies.items()]
    assert rules({**RULES, "rules": listed}) == rules()
    with pytest.raises(ValidationError):
        rules().rules[0].abs_tol = 1.0  # type: ignore[misc]


def test_bound_is_the_larger_of_abs_and_rel_tolerance() -> None:
    tol = gate.Tolerance(direction="lower", abs_tol=0.01, rel_tol=0.05)
    assert tol.bound(0.1) == 0.01  # 0.05 * 0.1 = 0.005 < 0.01
    assert tol.bound(-2.0) == pytest.approx(0.1)


def test_project_rules_file_loads_and_classifies_metrics() -> None:
    ruleset = gate.parse_rules(yaml.safe_load((REPO / "metrics_rules.yaml").read_text()))

    def rule(variant: str, key: str) -> tuple[str, float | None]:
        tol, _ = ruleset.resolve(variant, key)
        return tol.direction, tol.abs_tol

    assert rule("mnist_mlp", "test.accuracy") == ("higher", 0.008)
    assert rule("diabetes_deep", "test.accuracy") == ("higher", 0.02)
    assert rule("hours_pass", "train.accuracy")[1] > 0.33
    assert rule("breast_cancer_torch", "test.loss")[0] == "lower"
    assert rule("mnist_mlp", "optimality_gap")[0] == "lower"
    for key in ("reference.train_loss", "weight", "query.x=4.0", "train_seconds", "epochs"):
        assert rule("mnist_mlp", key)[0] == "report", key
    assert ruleset.resolve("mnist_mlp", "something_new")[1] == "defaults"


# --- pure comparison ----------------------------------------------------------------------


def test_flatten_makes_dotted_keys_and_keeps_lists() -> None:
    flat = gate.flatten(METRICS)
    assert flat["test.accuracy"] == 0.9781
    assert flat["query.x=4.0"] == 7.69
    assert flat["weight"] == [1.9, -0.4]


def test_within_tolerance_passes_beyond_fails_improvement_passes() -> None:
    result = judge(metrics(test__accuracy=0.9740, test__loss=0.31))  # -0.0041; +0.01 < 0.015
    assert result["mnist_mlp:test.accuracy"] == result["mnist_mlp:test.loss"] == "ok"
    result = judge(metrics(test__accuracy=0.9702, test__loss=0.32))
    assert result["mnist_mlp:test.accuracy"] == result["mnist_mlp:test.loss"] == "WORSE"
    result = judge(metrics(test__accuracy=0.999, test__loss=0.01, train__accuracy=0.881))
    assert result["mnist_mlp:test.accuracy"] == result["mnist_mlp:test.loss"] == "improved"
    assert result["mnist_mlp:train.accuracy"] == "ok"


def test_missing_rule_falls_back_to_the_defaults() -> None:
    base, worse, same = (metrics(custom=v) for v in (1.0, 1.02, 1.005))
    rows = gate.compare({"v": base}, {"v": worse}, rules())
    row = next(r for r in rows if r.metric == "custom")
    assert (row.verdict, row.rule) == ("WORSE", "defaults")
    assert verdicts(gate.compare({"v": base}, {"v": same}, rules()))["v:custom"] == "ok"


def test_variant_qualified_rule_beats_the_generic_one() -> None:
    now = metrics(test__accuracy=0.9711)  # -0.007: beyond 0.005, within 0.01
    assert judge(now, "mnist_mlp")["mnist_mlp:test.accuracy"] == "WORSE"
    assert judge(now, "hours_pass")["hours_pass:test.accuracy"] == "ok"
    assert rules().resolve("mnist_mlp", "test.accuracy")[1] == "rule 'mnist_mlp:test.accuracy'"
    assert rules().resolve("mnist_mlp", "train.accuracy")[1] == "rule '*accuracy'"


def test_report_only_metrics_never_fail() -> None:
    now = metrics(
        reference__train_loss=9.0,
        reference__separable=True,
        train_seconds=999.0,
        device="cuda",
        epochs=50,
        weight=None,
        query=None,
    )
    rows = gate.compare({"v": METRICS}, {"v": now}, rules())
    assert not [r for r in rows if r.fails]
    for key in ("reference.train_loss", "train_seconds", "device", "epochs", "weight"):
        assert verdicts(rows)[f"v:{key}"] == "report", key


def test_new_metric_is_reported_missing_or_non_numeric_gated_metric_fails() -> None:
    result = judge(metrics(test__accuracy=None, test__loss=None, r2=0.9, train__loss=float("nan")))
    assert result["mnist_mlp:r2"] == "new"
    assert result["mnist_mlp:test.accuracy"] == result["mnist_mlp:test.loss"] == "missing"
    assert result["mnist_mlp:train.loss"] == "WORSE"


def test_failure_sentence_names_metric_amount_and_rule() -> None:
    rows = gate.compare(
        {"mnist_mlp": METRICS}, {"mnist_mlp": metrics(test__accuracy=0.9702)}, rules()
    )
    (row,) = [r for r in rows if r.fails]
    assert gate.explain(row, "HEAD", layout.METRICS, "metrics_rules.yaml") == (
        "mnist_mlp test.accuracy fell from 0.9781 to 0.9702 (-0.0079), more than the allowed "
        "0.005 (rule 'mnist_mlp:test.accuracy' in metrics_rules.yaml: abs_tol 0.005)"
    )


# --- `lrlab gate` on tmp git repositories ---------------------------------------------------


def write(repo: Path, variant: str, data: dict[str, Any] | str) -> None:
    path = layout.metrics_file(repo, variant)
    path.parent.mkdir(exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))


def shown(variant: str) -> str:
    """The metrics file of ``variant`` as the gate names it, escaped for a regex."""
    return re.escape(layout.relative(".", layout.metrics_file(".", variant)))


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose HEAD holds the fixture metrics of two variants."""
    git(tmp_path, "init", "-q")
    (tmp_path / "metrics_rules.yaml").write_text(yaml.safe_dump(RULES))
    for variant in VARIANTS:
        write(tmp_path, variant, METRICS)
    commit(tmp_path, "baseline")
    return tmp_path


def check(repo: Path, *args: str) -> None:
    dispatch(["gate", "--repo", str(repo), *args])


def test_unchanged_metrics_pass(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check(repo)
    out = capsys.readouterr().out
    assert "variant" in out and "verdict" in out and "PASSED" in out


def test_regression_fails_with_metric_and_amount(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo, "mnist_mlp", metrics(test__accuracy=0.9702))
    with pytest.raises(MetricsRegressed) as info:
        check(repo)
    assert "mnist_mlp test.accuracy fell from 0.9781 to 0.9702 (-0.0079)" in str(info.value)
    assert "allowed 0.005" in str(info.value)
    out = capsys.readouterr().out
    assert "WORSE" in out and "FAILED: 1 problem" in out


def test_within_tolerance_and_improvement_pass(repo: Path) -> None:
    write(repo, "mnist_mlp", metrics(test__accuracy=0.9750, test__loss=0.305))
    write(repo, "hours_pass", metrics(test__accuracy=1.0, train__loss=0.01))
    check(repo)


def test_missing_variant_file_fails(repo: Path) -> None:
    layout.metrics_file(repo, "hours_pass").unlink()
    with pytest.raises(MetricsRegressed, match=rf"{shown('hours_pass')} is in the baseline"):
        check(repo)


def test_malformed_workspace_json_fails_naming_the_file(repo: Path) -> None:
    write(repo, "mnist_mlp", '{"test": {"accuracy": 0.97,}}')
    with pytest.raises(GateError, match=rf"{shown('mnist_mlp')} \(workspace\): not valid JSON"):
        check(repo)
    write(repo, "mnist_mlp", "[1, 2]")
    with pytest.raises(GateError, match=rf"{shown('mnist_mlp')} .*JSON object"):
        check(repo)


def test_malformed_baseline_json_fails_naming_the_file(repo: Path) -> None:
    write(repo, "hours_pass", "{oops")
    commit(repo, "broken metrics")
    write(repo, "hours_pass", METRICS)
    with pytest.raises(GateError, match=rf"{shown('hours_pass')} at HEAD: not valid JSON"):
        check(repo)


def test_rev_selects_the_baseline_revision(repo: Path) -> None:
    write(repo, "mnist_mlp", metrics(test__accuracy=0.99))
    commit(repo, "better")
    write(repo, "mnist_mlp", metrics(test__accuracy=0.975))  # -0.015 vs HEAD, -0.0031 vs HEAD~1
    with pytest.raises(MetricsRegressed, match="fell from 0.99 to 0.975"):
        check(repo)
    check(repo, "--rev", "HEAD~1")


def test_bad_rev_is_a_clear_error(repo: Path) -> None:
    with pytest.raises(GateError, match=r"--rev 'no-such-branch': no such commit or experiment"):
        check(repo, "--rev", "no-such-branch")


def test_no_baseline_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "metrics_rules.yaml").write_text(yaml.safe_dump(RULES))
    write(tmp_path, "mnist_mlp", METRICS)
    check(tmp_path)  # no commits at all
    assert "no baseline" in capsys.readouterr().out
    (tmp_path / "README").write_text("first commit, no metrics yet\n")
    git(tmp_path, "add", "README", "metrics_rules.yaml")
    git(tmp_path, "commit", "-q", "-m", "first")
    check(tmp_path)
    assert "no baseline" in capsys.readouterr().out


def test_cli_exit_codes(repo: Path) -> None:
    cmd = [sys.executable, "-m", "lrlab.cli", "gate", "--repo", str(repo)]
    passed = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert passed.returncode == 0, passed.stderr
    write(repo, "mnist_mlp", metrics(test__accuracy=0.9702))
    failed = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert failed.returncode == 1
    assert "mnist_mlp test.accuracy fell from 0.9781 to 0.9702" in failed.stderr
    assert "FAILED" in failed.stdout


def test_markdown_summary_lists_regressions_then_improvements(repo: Path) -> None:
    write(repo, "mnist_mlp", metrics(test__accuracy=0.9702))  # worse by 0.0079 > 0.005
    write(repo, "hours_pass", metrics(test__accuracy=1.0))  # better by 0.03 > 0.01
    summary = repo / "summary.md"
    with pytest.raises(MetricsRegressed):
        check(repo, "--md", str(summary))
    text = summary.read_text()
    assert text.startswith("### Metric gate vs `HEAD (") and "FAILED: 1 problem" in text
    worse = text.index("**Regressions** (1)")
    better = text.index("**Improvements** (1)")
    assert worse < better < text.index("Unchanged or report-only:")
    assert "| mnist_mlp | test.accuracy | 0.9781 | 0.9702 | -0.0079 | 0.005 | **WORSE** |" in text
    assert "| hours_pass | test.accuracy |" in text[better:]


def test_markdown_summary_of_a_pass_and_of_no_baseline(repo: Path, tmp_path: Path) -> None:
    check(repo, "--md", str(repo / "ok.md"))
    text = (repo / "ok.md").read_text()
    assert "PASSED" in text and "Regressions" not in text and "Improvements" not in text
    git(repo, "checkout", "-q", "--orphan", "empty")
    git(repo, "rm", "-rq", "--cached", ".")
    git(repo, "commit", "-q", "--allow-empty", "-m", "nothing")
    check(repo, "--md", str(repo / "none.md"))
    assert "no baseline" in (repo / "none.md").read_text()


def test_rev_takes_an_experiment_name(repo: Path) -> None:
    """DVC keeps an experiment's commit under refs/exps/<baseline>/<name>."""
    write(repo, "mnist_mlp", metrics(test__accuracy=0.99))
    commit(repo, "an experiment")
    exp = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "update-ref", "refs/exps/ab/cdef/spiry-bark", exp)
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    write(repo, "mnist_mlp", metrics(test__accuracy=0.975))
    check(repo)  # within tolerance of HEAD
    with pytest.raises(MetricsRegressed, match="fell from 0.99 to 0.975"):
        check(repo, "--rev", "spiry-bark")
    git(repo, "update-ref", "refs/exps/12/3456/spiry-bark", exp)
    with pytest.raises(GateError, match="2 experiments have that name"):
        check(repo, "--rev", "spiry-bark")
