"""Train one variant as ``train@<variant>`` does: bind it to its data, train it (torch, or
lesson 004's NumPy model), also under seeds 0 … N-1 with ``seed_sweep: N``, then (evaluating
it, as dvc.yaml runs it) write its model file, history and seed record (paths:
:mod:`lrlab.base.layout`). Nothing is left if training or evaluating fails: the history,
written while training runs, is removed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from lrlab.base import layout
from lrlab.base.io import file_sha256, save_torch, write_json
from lrlab.core.binding import load_bound
from lrlab.core.config import ParamsFile, Runtime, VariantConfig
from lrlab.core.inputs import input_recipe
from lrlab.core.model_file import cpu_state, make_checkpoint, provenance
from lrlab.core.model_kinds import KINDS
from lrlab.core.prepared import PreparedData
from lrlab.train.device import configure_threads, resolve_device, to_device
from lrlab.train.live_history import LiveHistory
from lrlab.train.models import build_model
from lrlab.train.resources import peak_cuda_mb, peak_rss_mb
from lrlab.train.seed_sweep import sweep
from lrlab.train.training import derive_seeds, make_step, numpy_state_dict, train, train_numpy

log = logging.getLogger("lrlab.train")
Trained = tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], list[dict[str, Any]], dict]


def train_torch(
    name: str,
    variant: VariantConfig,
    runtime: Runtime,
    data: PreparedData,
    device: torch.device,
    on_epoch: Callable[[dict[str, Any]], None],
) -> Trained:
    """Trained and initial weights, the history and run metadata of a torch variant."""
    init_seed, shuffle_seed = derive_seeds(runtime.seed, variant.seed_offset)
    model = build_model(variant.model, torch.Generator().manual_seed(init_seed), variant.init_draw)
    initial = cpu_state(model.state_dict())
    model = model.to(device)
    shuffler = torch.Generator(device=device).manual_seed(shuffle_seed)
    x, y = to_device(data.x_train, device), to_device(data.y_train, device)
    test = None
    if variant.test_each_epoch:  # bind checked that there is a test split
        test = to_device(data.x_test, device), to_device(data.y_test, device)
    step = make_step(model, variant.loss, variant.optimizer)  # set-up outside the timing
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    history = train(
        model,
        loss_name=variant.loss,
        optimizer_cfg=variant.optimizer,
        x=x,
        y=y,
        epochs=variant.epochs,
        batch_size=variant.batch_size,
        shuffle=variant.shuffle,
        generator=shuffler,
        name=name,
        step=step,
        on_epoch=on_epoch,
        test=test,
        log_every=variant.log_every,
    )
    seconds = time.perf_counter() - start
    meta = {"device": str(device), "train_seconds": seconds}
    if (cuda := peak_cuda_mb(device)) is not None:
        meta["train_peak_cuda_mb"] = cuda
    return model.state_dict(), initial, history, meta


def train_with_numpy(name: str, variant: VariantConfig, data: PreparedData) -> Trained:
    """The same for lesson 004's NumPy model, which starts from zeros."""
    x, y = data.x_train.double().numpy(), data.y_train.double().numpy()
    start = time.perf_counter()
    model, history = train_numpy(variant.model, variant.optimizer, x, y, variant.epochs, name)
    seconds = time.perf_counter() - start
    state = numpy_state_dict(model)
    initial = {k: torch.zeros_like(v) for k, v in state.items()}
    return state, initial, history, {"device": "cpu", "train_seconds": seconds}


def train_stage(root: Path, name: str, params: ParamsFile, evaluate: bool) -> None:
    """``train@<name>``: :func:`train_variant`, then (``evaluate``) its metrics, then the model
    file, which carries them (:func:`save_model`), then the evaluation's outputs."""
    from lrlab.train.evaluate_variant import evaluate_variant

    variant, arrays, checkpoint, seeds = train_variant(root, name, params)
    try:
        if evaluate:
            saving = lambda metrics: save_model(root, name, checkpoint, seeds, metrics)  # noqa: E731
            evaluate_variant(root, name, variant, arrays, checkpoint, before_writing=saving)
        else:
            save_model(root, name, checkpoint, seeds, None)
    except BaseException:
        layout.history_file(root, name).unlink(missing_ok=True)  # no model, no history
        raise


def save_model(
    root: Path, name: str, checkpoint: dict[str, Any], seeds: dict, metrics: dict | None
) -> None:
    """Write ``models/<name>.pt`` (with a summary of ``metrics``), then the seed record."""
    if metrics is not None:
        keep = ("train", "test", "r2", "optimality_gap")
        checkpoint["about"]["metrics"] = {k: metrics[k] for k in keep if k in metrics}
    save_torch(layout.model_file(root, name), checkpoint)
    write_json(layout.seeds_file(root, name), seeds)


def train_variant(
    root: Path, name: str, params: ParamsFile
) -> tuple[VariantConfig, PreparedData, dict[str, Any], dict[str, Any]]:
    """Train ``variants.<name>`` of ``params`` on its prepared data under ``root`` (its history
    written as it goes); returns the bound variant, its data (NumPy), the checkpoint to write
    and the seed record, for :func:`train_stage`."""
    runtime, variant = params.runtime(), params.variant(name)
    device = resolve_device(runtime.device)  # `cuda` without a GPU fails here, before any work
    variant, arrays = load_bound(root, name, variant)
    data = arrays.map(torch.from_numpy)
    configure_threads(runtime.num_threads)
    history_path = layout.history_file(root, name)
    with LiveHistory(history_path) as live:  # written while training runs: live curves
        if KINDS[variant.model.kind].trainer == "numpy":
            state, initial, history, meta = train_with_numpy(name, variant, data)
            for row in history:
                live.add(row)
        else:
            state, initial, history, meta = train_torch(
                name, variant, runtime, data, device, live.add
            )
        start = time.perf_counter()  # on the CPU: N copies of a sub-second run
        seeds = sweep(variant, data, range(variant.seed_sweep))
        sweep_seconds = time.perf_counter() - start
    # the model file (CRC-checked) vouches for the history, which has no checksum of its own
    meta.update(
        epochs=variant.epochs,
        seed=runtime.seed,
        history_sha256=file_sha256(history_path),
        train_peak_rss_mb=peak_rss_mb(),
    )
    if variant.seed_sweep:
        meta["seed_sweep_seconds"] = sweep_seconds
    about = {"variant": name, **provenance(root)}
    inputs = input_recipe(arrays.info, arrays.x_train.shape[1])
    checkpoint = make_checkpoint(state, initial, variant.model_dump(), meta, inputs, about)
    _log_done(name, variant, meta, history[-1], seeds)
    return variant, arrays, checkpoint, seeds


def _log_done(
    name: str, variant: VariantConfig, meta: dict, last: dict[str, Any], seeds: dict
) -> None:
    log.info(
        "train@%s: %d epochs in %.2f s on %s; final train loss %.6g%s",
        name,
        variant.epochs,
        meta["train_seconds"],
        meta["device"],
        last["train_loss"],
        f", accuracy {last['train_accuracy']:.4f}" if "train_accuracy" in last else "",
    )
    if variant.seed_sweep:
        log.info(
            "train@%s: also trained under seeds 0-%d in %.2f s (%d diverged)",
            name,
            variant.seed_sweep - 1,
            meta["seed_sweep_seconds"],
            seeds["diverged"],
        )
