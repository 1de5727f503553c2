"""Where every artifact of the pipeline lives: the one module that knows the paths.

Outputs are grouped by kind, one folder each, so a stage that needs "every variant's X"
depends on the folder (``metrics/``, ``figures/``), never on a list of files:

    data/raw/<dataset>/            download@<dataset> (its files, or what it is made from)
    data/external/<file>.csv       yours, `dvc add`ed; read by prepare@<dataset> (kind: csv)
    data/prepared/<dataset>.npz    prepare@<dataset> (arrays), .json (info)
    references/<variant>.json      reference@<variant> (the exact optimum of its objective)
    models/<variant>.pt            train@<variant> (weights, initial weights, config)
    history/<variant>.csv          train@<variant> (per-epoch loss and accuracy)
    metrics/<variant>.json         train@<variant>, evaluating (committed: the gate's baseline)
    metrics_cached/<variant>.json  train@<variant> (the same bytes, cached by DVC)
    seeds/<variant>.json           train@<variant> (its numbers under seeds 0 … N-1)
    predictions/<variant>.csv      train@<variant>
    figures/<variant>/<name>.png   train@<variant> (drawn from its own outputs)
    figures/lessons/<name>.png     lesson_figures
    report.md                      report

Everything but ``metrics/`` is cached by DVC, so ``dvc push`` and ``dvc exp push`` carry it
and the run cache can restore a stage on another machine. ``metrics/`` is committed to git
(the gate and the README read it there); DVC pushes only cached objects, so its twin in
``metrics_cached/`` is what carries each metrics file's object to a remote for such a restore.

dvc.yaml spells the same paths with ``${key}``/``${item.dataset}``; tests/test_repo_layout.py
checks that the two agree. Every path function takes the repository root and returns a Path;
:func:`prepare_stage` names the stage that writes a prepared dataset, for messages.
"""

from __future__ import annotations

import os
from pathlib import Path

Root = str | os.PathLike[str]

RAW = "data/raw"
EXTERNAL = "data/external"  # your own CSV files (`dvc add`ed): a dep of every prepare
PREPARED = "data/prepared"
MODELS = "models"
REFERENCES = "references"
HISTORY = "history"
METRICS = "metrics"
METRICS_CACHED = "metrics_cached"
PREDICTIONS = "predictions"
SEEDS = "seeds"
FIGURES = "figures"
LESSON_FIGURES = "lessons"  # figures/lessons/: the lessons' own illustrations, not a variant
REPORT = "report.md"
PREPARED_SUFFIX = ".npz"


def prepare_stage(dataset: str) -> str:
    """The dvc.yaml stage that writes ``dataset``'s prepared arrays."""
    return f"prepare@{dataset}"


def raw_dir(root: Root, dataset: str) -> Path:
    return Path(root, RAW, dataset)


def prepared_file(root: Root, dataset: str) -> Path:
    return Path(root, PREPARED, dataset + PREPARED_SUFFIX)


def prepared_info(root: Root, dataset: str) -> Path:
    return Path(root, PREPARED, dataset + ".json")


def reference_file(root: Root, variant: str) -> Path:
    return Path(root, REFERENCES, variant + ".json")


def model_file(root: Root, variant: str) -> Path:
    return Path(root, MODELS, variant + ".pt")


def history_file(root: Root, variant: str) -> Path:
    return Path(root, HISTORY, variant + ".csv")


def metrics_file(root: Root, variant: str) -> Path:
    return Path(root, METRICS, variant + ".json")


def metrics_cached_file(root: Root, variant: str) -> Path:
    return Path(root, METRICS_CACHED, variant + ".json")


def seeds_file(root: Root, variant: str) -> Path:
    return Path(root, SEEDS, variant + ".json")


def predictions_file(root: Root, variant: str) -> Path:
    return Path(root, PREDICTIONS, variant + ".csv")


def figures_dir(root: Root, owner: str) -> Path:
    """``figures/<variant>/`` or, for ``owner = LESSON_FIGURES``, ``figures/lessons/``."""
    return Path(root, FIGURES, owner)


def figure_file(root: Root, owner: str, name: str) -> Path:
    return figures_dir(root, owner) / f"{name}.png"


def report_file(root: Root) -> Path:
    return Path(root, REPORT)


def relative(root: Root, path: Path) -> str:
    """``path`` relative to ``root`` with forward slashes, as messages and Markdown show it."""
    return Path(os.path.relpath(path, root)).as_posix()
