"""What ``lrlab sweep`` shows: what it will sweep, a progress bar (done / running / failed /
restored from the run cache), a line per finished configuration, the closing table, and an
error when any configuration failed or the sweep was interrupted."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from lrlab.base.errors import LrlabError
from lrlab.sweep import driver, table
from lrlab.sweep.task import Outcome


def run_sweep(
    root: Path,
    settings: list[str],
    prefix: str | None,
    address: str | None,
    max_parallel: int | None,
    retries: int,
    git_remote: str = "origin",
    targets: tuple[str, ...] = (),
) -> list[Outcome]:
    if max_parallel is not None and max_parallel < 1:
        raise LrlabError(f"--max-parallel {max_parallel}: give 1 or more")
    if retries < 0:
        raise LrlabError(f"--retries {retries}: give 0 or more")
    plan = driver.plan(root, settings, prefix, git_remote, targets)
    print(plan.snapshot.describe(), file=sys.stderr)
    print(
        f"{len(plan.jobs)} configuration(s), experiments {plan.jobs[0].name} ...", file=sys.stderr
    )
    driver.connect(address)
    live = sys.stderr.isatty()
    bar = tqdm(
        total=len(plan.jobs),
        desc="sweep",
        unit="exp",
        file=sys.stderr,
        mininterval=1 if live else 30,
    )

    def report(outcome: Outcome, attempts: int) -> None:
        where = [f"node {outcome.node[:8]}"] if outcome.node else []
        where += [f"attempt {attempts}"] if attempts > 1 else []
        where += [f"{sum(outcome.seconds.values()):.1f} s"] if outcome.seconds else []
        what = outcome.error if outcome.status == "failed" else outcome.status
        bar.write(f"  {outcome.name}: {what} ({', '.join(where)})", file=sys.stderr)
        bar.update(1)

    def progress(counts: dict[str, int]) -> None:
        bar.set_postfix(counts, refresh=False)

    try:
        outcomes = driver.run(plan, max_parallel, retries, report, progress)
    except KeyboardInterrupt:
        bar.close()
        driver.disconnect()
        print(
            "sweep interrupted: its running tasks were cancelled, and no half-pushed experiment "
            "is left (an experiment's data is pushed before its git ref). Rerun the same command "
            "to finish: what was pushed is kept.",
            file=sys.stderr,
        )
        raise
    bar.close()
    overrides = {job.index: job.overrides for job in plan.jobs}
    print("\n".join(table.lines(outcomes, overrides, plan.keys, plan.variants)))
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise LrlabError(
            f"{len(failed)} of {len(outcomes)} configuration(s) failed (see the table). The "
            "others are pushed; rerun the same command to retry the failed ones."
        )
    print(f"\nfetch them anywhere: dvc exp pull {plan.snapshot.remote}", file=sys.stderr)
    return outcomes
