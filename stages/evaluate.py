"""Evaluate a trained variant beside its reference: metrics, predictions and figures.

    python -m stages.evaluate <variant> [--params params.yaml] [--root .]

In the pipeline ``train@<variant>`` does this in its own process (``--evaluate``); run by
hand it re-evaluates a saved model, e.g. after a change to the metrics or the figures.
Reads ``variants.<variant>``, the model file (safely, ``weights_only=True``), the prepared
dataset and the reference that ``reference@<variant>`` computed once for the variant's
objective (``references/<variant>.json``); evaluates the model on the CPU, writes the metrics
JSON and the predictions CSV (paths: :mod:`lrlab.layout`), then draws the variant's figures
from those outputs (:func:`lrlab.plotting.render.variant_figures`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from lrlab import layout
from lrlab.config import VariantConfig
from lrlab.datasets.prepared import PreparedData
from lrlab.errors import ConfigError, DataError
from lrlab.io import UnreadableTorchFile, load_torch, write_csv, write_json
from lrlab.metrics import evaluate
from lrlab.models import (
    build_model,
    check_data_fits,
    config_changes,
    load_weights,
    parse_checkpoint,
)
from lrlab.outputs import read_history, read_reference
from lrlab.plotting.render import variant_figures
from lrlab.resources import peak_rss_mb
from stages._cli import parse_variant_args, run
from stages._variant import variant_and_data

log = logging.getLogger("stages.evaluate")


def read_checkpoint(path: Path, key: str) -> dict[str, Any]:
    """``torch.load`` with ``weights_only=True``: tensors and plain containers, never code."""
    fix = f"Rerun `dvc repro -s train@{key}` to rebuild it."
    try:
        obj = load_torch(path)
    except FileNotFoundError:
        raise DataError(f"{path}: model file not found. {fix}") from None
    except UnreadableTorchFile as exc:
        why = " Model files hold only tensors and plain data." if "pickled" in str(exc) else ""
        raise DataError(
            f"{path}: refused or unreadable as a weights-only model file: {exc}.{why} {fix}"
        ) from None
    return parse_checkpoint(obj, str(path), key)


def main(argv: list[str]) -> None:
    args = parse_variant_args("python -m stages.evaluate", __doc__, argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    key, root = args.variant, args.root
    variant, arrays = variant_and_data(args)
    checkpoint = read_checkpoint(layout.model_file(root, key), key)
    evaluate_variant(root, key, variant, arrays, checkpoint)


def evaluate_variant(
    root: Path,
    key: str,
    variant: VariantConfig,
    arrays: PreparedData,
    checkpoint: dict[str, Any],
) -> None:
    """Metrics, predictions and figures of variant ``key`` (``variant`` resolved for its
    ``arrays``, NumPy) from its ``checkpoint`` (as :func:`parse_checkpoint` returns it)."""
    model_path = layout.model_file(root, key)
    if checkpoint["config"] != variant.model_dump():
        changes = "; ".join(config_changes(checkpoint["config"], variant.model_dump()))
        raise ConfigError(
            f"{model_path} was trained with other settings than variants.{key} in params.yaml "
            f"now ({changes}). Rerun `dvc repro -s train@{key}` (or `dvc repro`) to retrain it."
        )
    saved = VariantConfig.model_validate(checkpoint["config"])

    def weights(part: str) -> torch.nn.Module:
        model = build_model(saved.model, torch.Generator().manual_seed(0))
        return load_weights(model, checkpoint[part], str(model_path), key)

    model = weights("state_dict")
    initial = weights("initial_state_dict") if variant.query else None  # query_initial only
    data = arrays.map(torch.from_numpy)  # the same memory, as tensors
    check_data_fits(key, variant, data.x_train, data.y_train, data.info)
    reference = read_reference(root, key, variant.loss, len(arrays.y_train))
    read_history(root, key, checkpoint["meta"].get("history_sha256"))  # damaged: stop now
    metrics, columns = evaluate(model, variant, data, reference, checkpoint["meta"], initial)
    metrics["evaluate_peak_rss_mb"] = peak_rss_mb()  # through the metrics, before the figures
    write_json(layout.metrics_file(root, key), metrics, layout.metrics_cached_file(root, key))
    write_csv(layout.predictions_file(root, key), columns)
    figures = variant_figures(root, key, variant, arrays, checkpoint)  # already in memory
    test = metrics.get("test", metrics["train"])
    log.info(
        "evaluate@%s: train loss %.6g (reference %.6g)%s; figures: %s",
        key,
        metrics["train"]["loss"],
        reference["train_loss"],
        f", {'test' if 'test' in metrics else 'train'} accuracy {test['accuracy']:.4f}"
        if "accuracy" in test
        else "",
        ", ".join(figures),
    )


if __name__ == "__main__":
    run(main)
