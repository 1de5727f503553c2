"""Evaluate a trained variant beside its reference: metrics, predictions and figures.

``train@<variant>`` calls :func:`evaluate_variant` in its own process once the model is
trained (and writes the model file, with the metrics, before the evaluation's outputs);
``python -m stages.evaluate <variant>`` re-evaluates a saved model by hand, read safely with
:func:`lrlab.core.model_file.read_model_file`. The model is evaluated on the CPU; the metrics
JSON and the predictions CSV are written (paths: :mod:`lrlab.base.layout`), then the variant's
figures are drawn from those outputs (:func:`lrlab.plotting.render.variant_figures`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from lrlab.base import layout
from lrlab.base.errors import ConfigError
from lrlab.base.io import write_csv, write_json
from lrlab.core.config import VariantConfig
from lrlab.core.model_file import config_changes
from lrlab.core.outputs import read_history, read_reference
from lrlab.core.prepared import PreparedData
from lrlab.plotting.render import variant_figures
from lrlab.train.metrics import evaluate
from lrlab.train.models import build_model, load_weights
from lrlab.train.resources import peak_rss_mb

log = logging.getLogger("lrlab.evaluate")


def evaluate_variant(
    root: Path,
    name: str,
    variant: VariantConfig,
    arrays: PreparedData,
    checkpoint: dict[str, Any],
    before_writing: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Metrics, predictions and figures of ``variants.<name>`` (``variant`` bound to its
    ``arrays``, NumPy: :func:`lrlab.core.binding.bind`) from its ``checkpoint`` (as
    :func:`lrlab.core.model_file.parse_checkpoint` returns it); ``before_writing(metrics)``
    runs once the metrics are known, before any of them is written."""
    model_path = layout.model_file(root, name)
    if checkpoint["config"] != variant.model_dump():
        changes = "; ".join(config_changes(checkpoint["config"], variant.model_dump()))
        raise ConfigError(
            f"{model_path} was trained with other settings than variants.{name} in params.yaml "
            f"now ({changes}). Rerun `dvc repro -s train@{name}` (or `dvc repro`) to retrain it."
        )
    saved = VariantConfig.model_validate(checkpoint["config"])

    def weights(part: str) -> torch.nn.Module:
        model = build_model(saved.model, torch.Generator().manual_seed(0))
        return load_weights(model, checkpoint[part], str(model_path), name)

    model = weights("state_dict")
    initial = weights("initial_state_dict") if variant.query else None  # query_initial only
    data = arrays.map(torch.from_numpy)  # the same memory, as tensors
    reference = read_reference(root, name, variant.loss, len(arrays.y_train))
    read_history(root, name, checkpoint["meta"].get("history_sha256"))  # damaged: stop now
    metrics, columns = evaluate(model, variant, data, reference, checkpoint["meta"], initial)
    metrics["evaluate_peak_rss_mb"] = peak_rss_mb()  # through the metrics, before the figures
    if before_writing is not None:
        before_writing(metrics)
    write_json(layout.metrics_file(root, name), metrics, layout.metrics_cached_file(root, name))
    write_csv(layout.predictions_file(root, name), columns)
    figures = variant_figures(root, name, variant, arrays, checkpoint)  # already in memory
    test = metrics.get("test", metrics["train"])
    log.info(
        "evaluate@%s: train loss %.6g (reference %.6g)%s; figures: %s",
        name,
        metrics["train"]["loss"],
        reference["train_loss"],
        f", {'test' if 'test' in metrics else 'train'} accuracy {test['accuracy']:.4f}"
        if "accuracy" in test
        else "",
        ", ".join(figures),
    )
