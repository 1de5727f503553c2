"""Stage ``train@<variant>``: train one variant, save its weights and loss history, and (with
``--evaluate``, as dvc.yaml runs it) evaluate it in the same process.

    python -m stages.train <variant> [--evaluate] [--params params.yaml] [--root .]

Reads ``seed``, ``device``, ``num_threads`` and ``variants.<variant>`` from params.yaml and
the prepared dataset; writes the model file (trained and initial weights, the variant config
with its widths taken from the data, run metadata) and the per-epoch history, at the paths
of :mod:`lrlab.layout`, and with ``seed_sweep: N`` its numbers under seeds 0 … N-1
(:mod:`lrlab.seed_sweep`; an empty record for N = 0). Nothing is written if training fails.
``--evaluate`` then writes the metrics, predictions and figures
(:func:`stages.evaluate.evaluate_variant`): one process, one torch start-up (~1.3 s) and one
DVC stage (~1 s of lock bookkeeping) fewer per variant.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import torch

from lrlab import layout
from lrlab.config import ParamsFile, Runtime, VariantConfig
from lrlab.datasets.prepared import PreparedData, load_prepared
from lrlab.device import configure_threads, resolve_device, to_device
from lrlab.errors import ConfigError
from lrlab.io import file_sha256, save_torch, write_json
from lrlab.live_history import LiveHistory
from lrlab.models import build_model, check_data_fits, cpu_state, make_checkpoint
from lrlab.resources import peak_cuda_mb, peak_rss_mb
from lrlab.seed_sweep import sweep
from lrlab.training import derive_seeds, make_optimizer, numpy_state_dict, train, train_numpy
from stages._cli import parse_variant_args, run
from stages.evaluate import evaluate_variant

log = logging.getLogger("stages.train")


def train_torch(
    key: str,
    variant: VariantConfig,
    runtime: Runtime,
    data: PreparedData,
    device: torch.device,
    on_epoch: Callable[[dict[str, Any]], None],
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], list[dict[str, Any]], dict]:
    init_seed, shuffle_seed = derive_seeds(runtime.seed, variant.seed_offset)
    model = build_model(variant.model, torch.Generator().manual_seed(init_seed), variant.init_draw)
    initial = cpu_state(model.state_dict())
    model = model.to(device)
    shuffler = torch.Generator(device=device).manual_seed(shuffle_seed)
    x, y = to_device(data.x_train, device), to_device(data.y_train, device)
    optimizer = make_optimizer(model.parameters(), variant.optimizer)  # set-up outside the timing
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
        name=key,
        optimizer=optimizer,
        on_epoch=on_epoch,
        test=test_split(key, variant, data, device),
        log_every=variant.log_every,
    )
    seconds = time.perf_counter() - start
    meta = {"device": str(device), "train_seconds": seconds}
    if (cuda := peak_cuda_mb(device)) is not None:
        meta["train_peak_cuda_mb"] = cuda
    return model.state_dict(), initial, history, meta


def test_split(
    key: str, variant: VariantConfig, data: PreparedData, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The test split on ``device`` when the variant asks for accuracy after each epoch."""
    if not variant.test_each_epoch:
        return None
    if not data.has_test:  # the config checked the rest (classification, a torch model)
        raise ConfigError(
            f"variants.{key}.test_each_epoch = true needs a classification dataset with a test "
            f"split; {variant.dataset} has none. Set it to false."
        )
    return to_device(data.x_test, device), to_device(data.y_test, device)


def train_with_numpy(
    key: str, variant: VariantConfig, data: PreparedData
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], list[dict[str, Any]], dict]:
    x, y = data.x_train.double().numpy(), data.y_train.double().numpy()
    start = time.perf_counter()
    model, history = train_numpy(variant.model, variant.optimizer, x, y, variant.epochs, key)
    seconds = time.perf_counter() - start
    state = numpy_state_dict(model)
    initial = {k: torch.zeros_like(v) for k, v in state.items()}  # lesson 004 starts at 0
    return state, initial, history, {"device": "cpu", "train_seconds": seconds}


def main(argv: list[str]) -> None:
    evaluate_too = {"--evaluate": "then evaluate it, as `train@<variant>` in dvc.yaml does"}
    args = parse_variant_args("python -m stages.train", __doc__, argv, evaluate_too)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    params = ParamsFile(args.params or args.root / "params.yaml")
    runtime, variant = params.runtime(), params.variant(args.variant)
    device = resolve_device(runtime.device)  # `cuda` without a GPU fails here, before any work
    stage = layout.prepare_stage(variant.dataset)
    arrays = load_prepared(layout.prepared_file(args.root, variant.dataset), stage)
    data = arrays.map(torch.from_numpy)
    variant = variant.for_data(data.x_train.shape[1], data.info.get("num_classes"))
    check_data_fits(args.variant, variant, data.x_train, data.y_train, data.info)
    configure_threads(runtime.num_threads)
    history_path = layout.history_file(args.root, args.variant)
    with LiveHistory(history_path) as live:  # written while training runs: live curves
        if variant.model.kind == "numpy_logistic":
            state, initial, history, meta = train_with_numpy(args.variant, variant, data)
            for row in history:
                live.add(row)
        else:
            state, initial, history, meta = train_torch(
                args.variant, variant, runtime, data, device, live.add
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
    checkpoint = make_checkpoint(state, initial, variant.model_dump(), meta)
    try:
        save_torch(layout.model_file(args.root, args.variant), checkpoint)
    except BaseException:
        history_path.unlink(missing_ok=True)  # no model, no history: the stage did not run
        raise
    write_json(layout.seeds_file(args.root, args.variant), seeds)
    last = history[-1]
    log.info(
        "train@%s: %d epochs in %.2f s on %s; final train loss %.6g%s",
        args.variant,
        variant.epochs,
        meta["train_seconds"],
        meta["device"],
        last["train_loss"],
        f", accuracy {last['train_accuracy']:.4f}" if "train_accuracy" in last else "",
    )
    if variant.seed_sweep:
        log.info(
            "train@%s: also trained under seeds 0-%d in %.2f s (%d diverged)",
            args.variant,
            variant.seed_sweep - 1,
            sweep_seconds,
            seeds["diverged"],
        )
    if args.evaluate:  # in this process: torch is imported once, DVC runs one stage
        evaluate_variant(args.root, args.variant, variant, arrays, checkpoint)


if __name__ == "__main__":
    run(main)
