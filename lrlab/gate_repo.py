"""The metric gate on a git repository: the baseline metrics committed at a revision (any git
revision or a DVC experiment's name), the workspace's metrics files, the rules file, and the
printed comparison. :func:`check` is all of ``lrlab gate``; the comparison itself is pure, in
:mod:`lrlab.gate`.

Paths are relative to the repository root. :func:`check` prints one row per metric, a summary
line and a note per unused rule, and raises :class:`MetricsRegressed` naming every failure when
a gated metric is worse than its bound, or a variant's metrics file of the baseline is missing
from the workspace; a malformed metrics or rules file is a :class:`GateError`. When the
revision holds no metrics (or the repository has no commits), there is nothing to compare and
the gate passes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from lrlab import gate
from lrlab.base.io import write_text
from lrlab.gate import GateError, MetricsRegressed, Row


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C repo args``; a missing git binary is a clear error."""
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GateError(
            "git was not found on PATH; the metric gate reads the baseline metrics from git. "
            "Install git (or activate the environment that has it) and rerun."
        ) from None


def repo_root(path: Path) -> Path:
    """Top level of the git work tree holding ``path``."""
    out = git(path, "rev-parse", "--show-toplevel")
    if out.returncode or not path.is_dir():
        raise GateError(
            f"{path}: not a directory inside a git repository ({out.stderr.decode().strip()}). "
            "Run the gate from the lrlab checkout or pass --repo PATH."
        )
    return Path(out.stdout.decode().strip())


def resolve_rev(repo: Path, rev: str) -> str | None:
    """Commit id of ``rev`` (any git revision, or the name of a DVC experiment), or None for
    HEAD of a repository that has no commits yet."""
    if not rev.startswith("-"):  # never let a revision be read as an option
        out = git(repo, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}")
        if out.returncode == 0:
            return out.stdout.decode().strip()
        experiment = experiment_commit(repo, rev)
        if experiment:
            return experiment
    if rev == "HEAD" and not git(repo, "rev-list", "-n1", "--all").stdout.strip():
        return None
    raise GateError(
        f"--rev {rev!r}: no such commit or experiment in {repo}. Pass a commit hash, branch, "
        "tag or experiment name that exists there, such as HEAD, HEAD~1 or main (list them "
        "with `git log --oneline` and `dvc exp ls`)."
    )


def experiment_commit(repo: Path, name: str) -> str | None:
    """The commit of the DVC experiment ``name`` (a ref ``refs/exps/../../<name>``), if any."""
    refs = git(repo, "for-each-ref", "--format=%(objectname) %(refname)", EXPERIMENT_REFS)
    found = [
        line.split()[0]
        for line in refs.stdout.decode().splitlines()
        if line.split()[-1].rsplit("/", 1)[-1] == name
    ]
    if len(found) > 1:
        raise GateError(
            f"--rev {name!r}: {len(found)} experiments have that name (on different baselines). "
            "Pass the experiment's commit instead (`dvc exp show --sha` lists them)."
        )
    return found[0] if found else None


def parse_metrics(data: bytes, where: str, fix: str) -> dict[str, Any]:
    """One metrics file's JSON object; a malformed file is an error naming ``where``."""
    if not data.strip():
        raise GateError(f"{where}: the file is empty, not a JSON object of metrics. {fix}")
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise GateError(f"{where}: not UTF-8 text ({exc.reason}). {fix}") from None
    except json.JSONDecodeError as exc:
        why = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise GateError(f"{where}: not valid JSON ({why}). {fix}") from None
    if not isinstance(parsed, dict):
        kind = type(parsed).__name__
        raise GateError(f"{where}: expected a JSON object of metrics, not a {kind}. {fix}")
    return parsed


def read_baseline(repo: Path, commit: str, rev: str, metrics: str) -> dict[str, dict[str, Any]]:
    """``{variant: metrics}`` for every ``<metrics>/*.json`` committed at ``commit``."""
    listing = git(repo, "ls-tree", "-z", commit, "--", f"{metrics}/").stdout.decode()
    found: dict[str, dict[str, Any]] = {}
    for entry in filter(None, listing.split("\0")):
        info, path = entry.split("\t", 1)
        if info.split()[1] != "blob" or not path.endswith(".json"):
            continue
        blob = git(repo, "cat-file", "blob", info.split()[2]).stdout
        fix = f"Compare with another revision (--rev), or commit a fixed {path}."
        found[Path(path).stem] = parse_metrics(blob, f"{path} at {rev}", fix)
    return found


def read_workspace(repo: Path, metrics: str) -> dict[str, dict[str, Any]]:
    """``{variant: metrics}`` for every ``<metrics>/*.json`` in the work tree."""
    directory = repo / metrics
    paths = sorted(directory.glob("*.json")) if directory.is_dir() else []
    found: dict[str, dict[str, Any]] = {}
    for path in (p for p in paths if not p.name.startswith(".")):
        where = f"{metrics}/{path.name}"
        fix = f"Rewrite it with `dvc repro train@{path.stem}`."
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise GateError(f"{where}: cannot be read ({exc.strerror}). {fix}") from None
        found[path.stem] = parse_metrics(data, f"{where} (workspace)", fix)
    return found


def load_rules(path: Path, name: str) -> gate.RuleSet:
    """Read and validate the rules file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GateError(
            f"{name}: rules file not found in {path.parent}. Restore it from git, or pass "
            "--rules PATH (relative to the repository root)."
        ) from None
    except yaml.YAMLError as exc:
        raise GateError(f"{name}: not valid YAML ({exc}). Fix the syntax and rerun.") from None
    return gate.parse_rules(raw, source=name)


def inside(repo: Path, directory: str) -> str:
    """``directory`` as a POSIX path relative to the repository root."""
    try:
        return (repo / directory).resolve().relative_to(repo.resolve()).as_posix()
    except ValueError:
        raise GateError(
            f"--metrics-dir {directory}: outside the repository {repo}; git holds the baseline "
            "only for paths inside it. Pass a directory inside the repository."
        ) from None


EXPERIMENT_REFS = "refs/exps/"  # where DVC keeps experiment commits

HEADER = ("variant", "metric", "baseline", "now", "change", "bound", "verdict", "rule")


def format_table(rows: list[Row]) -> str:
    """Fixed-width table, one line per metric, numbers right-aligned; readable in CI logs."""
    cells = [
        (r.variant, r.metric, gate.show(r.baseline), gate.show(r.now), gate.signed(r.change))
        + ("" if r.bound is None else f"{r.bound:.4g}", r.verdict, r.rule)
        for r in rows
    ]
    widths = [max(len(c[i]) for c in (HEADER, *cells)) for i in range(len(HEADER))]

    def line(cells: tuple[str, ...]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if 2 <= i <= 5 else c.ljust(w) for i, (c, w) in pairs).rstrip()

    dashes = tuple("-" * w for w in widths)
    return "\n".join(line(c) for c in (HEADER, dashes, *cells))


def check(repo: Path, rev: str, rules_file: str, metrics_dir: str, md: Path | None = None) -> None:
    """Compare the metrics in ``metrics_dir`` of the work tree holding ``repo`` with those
    committed at ``rev`` under the rules in ``rules_file``; print the comparison, and write it
    as Markdown to ``md`` too. Raise :class:`MetricsRegressed` when a check fails."""
    repo = repo_root(repo)
    rules = load_rules(repo / rules_file, rules_file)
    metrics = inside(repo, metrics_dir)
    commit = resolve_rev(repo, rev)
    baseline = read_baseline(repo, commit, rev, metrics) if commit else {}
    if not baseline:
        why = "the repository has no commits yet" if commit is None else "nothing committed there"
        message = f"no baseline: no {metrics}/*.json at {rev} ({why}); nothing to compare."
        print(message + " Pass.")
        if md:
            write_text(md, f"### Metric gate vs `{rev}`\n\n{message} Passed.\n")
        return
    rows = gate.compare(baseline, read_workspace(repo, metrics), rules)
    label = f"{rev} ({commit[:10]})"
    notes = [
        f"note: rule '{p}' in {rules_file} matched no metric"
        for p in gate.unused_rules(rules, rows)
    ]
    # flush: in a CI log the error (stderr) must come after the table (stdout)
    print(format_table(rows), gate.summary(rows, label), *notes, sep="\n", flush=True)
    if md:
        write_text(md, gate.markdown(rows, label))
    failures = [gate.explain(r, rev, metrics, rules_file) for r in rows if r.fails]
    if failures:
        raise MetricsRegressed(
            f"{len(failures)} metric check(s) failed against {label}:\n  - "
            + "\n  - ".join(failures)
            + f"\nIf a change is intended, commit the new {metrics}/ so it becomes the baseline, "
            f"or adjust the rule in {rules_file}; otherwise look for the cause with "
            f"`git diff {rev} -- params.yaml lrlab stages`."
        )
