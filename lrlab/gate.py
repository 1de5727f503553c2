"""Metric regression gate: compare evaluation metrics with a committed baseline.

Metrics files (``metrics/<variant>.json``) are nested JSON; :func:`flatten` turns them into
dotted keys such as ``test.accuracy`` (lists stay one value). Each key is judged by the most
specific rule of ``metrics_rules.yaml`` (:func:`parse_rules`): ``higher`` or ``lower`` is
better, or ``report`` (shown, never gated). With ``bound = max(abs_tol, rel_tol * |baseline|)``
a metric is WORSE when ``higher``: ``now < baseline - bound``, or ``lower``:
``now > baseline + bound``. :func:`compare` is pure: it takes dicts and returns :class:`Row`
objects; the report helpers turn rows into text. Reading files and git is left to
:mod:`lrlab.gate_repo` (``lrlab gate``).
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lrlab.base.errors import LrlabError

Direction = Literal["higher", "lower", "report"]
Verdict = Literal["ok", "improved", "WORSE", "new", "missing", "report"]
FAILING: tuple[Verdict, ...] = ("WORSE", "missing")
Tol = Annotated[float, Field(ge=0, allow_inf_nan=False)]
ABSENT: Any = object()  # a key one side lacks (JSON null is a value, not an absence)


class GateError(LrlabError):
    """The gate could not run: bad rules, unreadable metrics, or a bad revision."""


class MetricsRegressed(GateError):
    """At least one gated metric is worse than its baseline beyond its bound."""


class Tolerance(BaseModel):
    """How one metric is judged: which direction is better and how much noise is allowed."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    direction: Direction
    abs_tol: Tol | None = None
    rel_tol: Tol | None = None

    @model_validator(mode="after")
    def _gated_needs_a_tolerance(self) -> Tolerance:
        if self.direction != "report" and self.abs_tol is None and self.rel_tol is None:
            raise ValueError(
                f"direction '{self.direction}' needs abs_tol and/or rel_tol "
                "(write abs_tol: 0 for an exact comparison)"
            )
        return self

    def bound(self, baseline: float) -> float:
        """Largest change in the bad direction that still passes."""
        return max(self.abs_tol or 0.0, (self.rel_tol or 0.0) * abs(baseline))

    def describe(self) -> str:
        """``abs_tol 0.005, rel_tol 0.05`` (only the tolerances that are set)."""
        tols = {"abs_tol": self.abs_tol, "rel_tol": self.rel_tol}
        return ", ".join(f"{k} {v:g}" for k, v in tols.items() if v is not None)


class Rule(Tolerance):
    """A tolerance for every metric matching ``metric``: ``[variant:]dotted.key`` globs."""

    metric: str

    @field_validator("metric")
    @classmethod
    def _pattern(cls, value: str) -> str:
        if not re.fullmatch(r"([^:\s]+:)?[^:\s]+", value):
            raise ValueError("a pattern is `dotted.key` or `variant:dotted.key` (globs allowed)")
        return value

    @property
    def variant_glob(self) -> str | None:
        return self.metric.partition(":")[0] if ":" in self.metric else None

    @property
    def specificity(self) -> tuple[bool, int]:
        """Variant-qualified first, then more literal (non-wildcard) characters."""
        literal = re.sub(r"\[[^\]]*\]", "?", self.metric.replace(":", ""))
        return (self.variant_glob is not None, len(literal.replace("*", "").replace("?", "")))

    def matches(self, variant: str, key: str) -> bool:
        """Whether this rule covers ``key`` of ``variant``; ``reference`` covers
        ``reference.train_loss`` too (a pattern matches a key or any leading dotted part)."""
        if self.variant_glob is not None and not fnmatch.fnmatchcase(variant, self.variant_glob):
            return False
        parts = key.split(".")
        heads = (".".join(parts[:n]) for n in range(len(parts), 0, -1))
        return any(fnmatch.fnmatchcase(head, self.metric.rpartition(":")[2]) for head in heads)


# Timing and bookkeeping are never gated unless a rule in the rules file says otherwise.
BUILTIN = tuple(Rule(metric=m, direction="report") for m in ("*_seconds", "*_mb", "epochs", "seed"))


@dataclass(frozen=True)
class RuleSet:
    """Parsed rules file: ``defaults`` for unmatched metrics and the ordered ``rules``."""

    defaults: Tolerance
    rules: tuple[Rule, ...]
    source: str = "metrics_rules.yaml"

    def resolve(self, variant: str, key: str) -> tuple[Tolerance, str]:
        """The most specific matching rule (ties: earliest in the file), and its label."""
        for rules, kind in ((self.rules, "rule"), (BUILTIN, "built-in")):
            found = [r for r in rules if r.matches(variant, key)]
            if found:
                best = max(found, key=lambda r: r.specificity)
                return best, f"{kind} '{best.metric}'"
        return self.defaults, "defaults"


def _problem(where: str, err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    path = f"{where}.{loc}" if loc else where
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(err["loc"][-1]), list(Rule.model_fields), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"{path}: unknown key{hint}; allowed: direction, abs_tol, rel_tol"
    if err["type"] == "missing":
        return f"{path}: required key is missing"
    value = f" = {err['input']!r}" if loc else ""
    return f"{path}{value}: {err['msg'].removeprefix('Value error, ')}"


def _validate(model: type[Tolerance], where: str, raw: Any, problems: list[str]) -> Any:
    if isinstance(raw, str):
        raw = {"direction": raw}  # shorthand: `defaults: report`
    if not isinstance(raw, dict):
        got = "nothing" if raw is None else repr(raw)
        problems.append(f"{where}: expected a mapping of direction, abs_tol, rel_tol; got {got}")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_problem(where, err) for err in exc.errors())
        return None


def _entries(raw: Any, problems: list[str]) -> list[tuple[str, Any]]:
    """``rules`` as (where, mapping-with-metric) pairs, from a mapping or a list."""
    if isinstance(raw, dict):  # {pattern: {direction: ...}} or the shorthand {pattern: report}
        body = {k: v if isinstance(v, dict) else {"direction": v} for k, v in raw.items()}
        return [(f"rules[{k!r}]", {"metric": str(k), **v}) for k, v in body.items()]
    if isinstance(raw, list):
        return [(f"rules[{i}]", v) for i, v in enumerate(raw)]
    problems.append("rules: expected a mapping {pattern: rule} or a list of rules with 'metric'")
    return []


def parse_rules(raw: Any, source: str = "metrics_rules.yaml") -> RuleSet:
    """Validate the loaded YAML of a rules file; every problem is named by its key path."""
    if not isinstance(raw, dict):
        raise GateError(f"{source}: expected a mapping with keys 'defaults' and 'rules'.")
    problems = [f"{k}: unknown top-level key" for k in raw if k not in ("defaults", "rules")]
    defaults = _validate(Tolerance, "defaults", raw.get("defaults"), problems)
    entries = _entries(raw.get("rules") or [], problems)
    rules = [_validate(Rule, where, entry, problems) for where, entry in entries]
    seen = Counter(r.metric for r in rules if r is not None)
    problems += [f"rules: '{m}' appears {n} times; keep one" for m, n in seen.items() if n > 1]
    if problems:
        raise GateError(
            f"{source} has invalid rules:\n  "
            + "\n  ".join(problems)
            + f"\nFix them in {source}; its header comments describe the format."
        )
    return RuleSet(defaults=defaults, rules=tuple(rules), source=source)


def flatten(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys: ``{"test": {"loss": 1}}`` -> ``{"test.loss": 1}``."""
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def is_number(value: Any) -> bool:
    """A finite int or float (booleans and strings are not numbers here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Row:
    """One metric of one variant, judged."""

    variant: str
    metric: str
    baseline: Any
    now: Any
    verdict: Verdict
    rule: str
    tolerance: Tolerance | None = None
    change: float | None = None
    bound: float | None = None

    @property
    def fails(self) -> bool:
        return self.verdict in FAILING


def judge(variant: str, key: str, baseline: Any, now: Any, rules: RuleSet) -> Row:
    """Compare one value with its baseline under the rule that covers it."""
    tol, label = rules.resolve(variant, key)
    gated = tol.direction != "report"
    row = Row(variant, key, baseline, now, "report", label, tol)
    if baseline is ABSENT:
        return replace(row, verdict="new")
    if now is ABSENT:
        return replace(row, verdict="missing" if gated else "report")
    change = now - baseline if is_number(baseline) and is_number(now) else None
    if not gated:
        return replace(row, change=change)
    if not is_number(baseline):
        return replace(row, verdict="new" if is_number(now) else "report")
    bound = tol.bound(baseline)
    if change is None:  # was a number, is not any more (null, NaN, text)
        return replace(row, verdict="WORSE", bound=bound)
    worse = -change if tol.direction == "higher" else change
    verdict = "WORSE" if worse > bound else "improved" if -worse > bound else "ok"
    return replace(row, verdict=verdict, change=change, bound=bound)


def compare(
    baseline: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, Mapping[str, Any]],
    rules: RuleSet,
) -> list[Row]:
    """Judge every metric of every variant (``{variant: metrics dict}`` on both sides)."""
    rows: list[Row] = []
    for variant in sorted(set(baseline) | set(current)):
        if variant not in current:
            rows.append(Row(variant, "(metrics file)", "present", ABSENT, "missing", "-"))
            continue
        base = flatten(baseline.get(variant, {}))
        now = flatten(current[variant])
        keys = list(base) + [k for k in now if k not in base]
        rows += [judge(variant, k, base.get(k, ABSENT), now.get(k, ABSENT), rules) for k in keys]
    return rows


def unused_rules(rules: RuleSet, rows: list[Row]) -> list[str]:
    """Patterns in the rules file that no metric matched (often a typo in a name)."""
    seen = [(row.variant, row.metric) for row in rows if row.rule != "-"]
    return [r.metric for r in rules.rules if not any(r.matches(v, k) for v, k in seen)]


# --- report -------------------------------------------------------------------------------


def show(value: Any) -> str:
    """A value for the table: numbers to 6 significant digits, others compact and short."""
    if value is ABSENT:
        return "-"
    if is_number(value):
        return f"{value:.6g}"
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
    return text if len(text) <= 30 else text[:27] + "..."


def signed(value: float | None) -> str:
    return "" if value is None else "0" if value == 0 else f"{value:+.4g}"


def summary(rows: list[Row], rev: str) -> str:
    """One line: counts per verdict and PASSED or FAILED."""
    counts = Counter(r.verdict for r in rows)
    order: tuple[Verdict, ...] = ("ok", "improved", "WORSE", "missing", "new", "report")
    tally = ", ".join(f"{counts[v]} {v}" for v in order if counts[v])
    failed = sum(counts[v] for v in FAILING)
    variants = len({r.variant for r in rows})
    verdict = f"FAILED: {failed} problem{'s' * (failed != 1)}" if failed else "PASSED"
    return f"metric gate vs {rev}: {variants} variants, {len(rows)} metrics ({tally}). {verdict}."


def explain(row: Row, rev: str, metrics_dir: str, source: str) -> str:
    """One sentence for a failing row: what changed, by how much, and which rule allowed what."""
    name = f"{row.variant} {row.metric}"
    if row.metric == "(metrics file)":
        return (
            f"{metrics_dir}/{row.variant}.json is in the baseline at {rev} but not in the "
            f"workspace (rerun `dvc repro train@{row.variant}`, or commit its deletion if the "
            "variant was removed)"
        )
    tol = row.tolerance
    rule = f"{row.rule} in {source}: {tol.describe()}" if tol else row.rule
    if row.verdict == "missing":
        return f"{name} was {show(row.baseline)} at {rev} and is missing now ({rule})"
    if row.change is None:
        return f"{name} was {show(row.baseline)} at {rev} and is now {show(row.now)}, not a number"
    moved = "fell" if tol and tol.direction == "higher" else "rose"
    return (
        f"{name} {moved} from {show(row.baseline)} to {show(row.now)} ({signed(row.change)}), "
        f"more than the allowed {row.bound:.4g} ({rule})"
    )


def markdown(rows: list[Row], rev: str) -> str:
    """A Markdown summary for a pull request or a CI job summary: the verdict, then the
    regressions, then the improvements, then how many metrics are unchanged or only reported."""
    counts = Counter(r.verdict for r in rows)
    lines = [f"### Metric gate vs `{rev}`", "", summary(rows, f"`{rev}`"), ""]
    for title, verdicts in (("Regressions", FAILING), ("Improvements", ("improved",))):
        chosen = [r for r in rows if r.verdict in verdicts]
        if not chosen:
            continue
        lines += [f"**{title}** ({len(chosen)})", "", MD_HEADER, MD_RULE]
        lines += [_md_row(r) for r in chosen] + [""]
    quiet = ("ok", "new", "report")
    lines.append("Unchanged or report-only: " + ", ".join(f"{counts[v]} {v}" for v in quiet) + ".")
    return "\n".join(lines) + "\n"


MD_HEADER = "| variant | metric | baseline | now | change | bound | verdict | rule |"
MD_RULE = "|---|---|---:|---:|---:|---:|---|---|"


def _md_row(r: Row) -> str:
    bound = "" if r.bound is None else f"{r.bound:.4g}"
    cells = (r.variant, r.metric, show(r.baseline), show(r.now), signed(r.change), bound)
    cells += (f"**{r.verdict}**" if r.fails else r.verdict, f"`{r.rule}`")
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
