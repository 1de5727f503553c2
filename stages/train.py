"""Stage ``train@<variant>``: train one variant and save its weights and loss history.

    python -m stages.train <variant> [--params params.yaml] [--root .]

Reads ``seed``, ``device``, ``num_threads`` and ``variants.<variant>`` from params.yaml and
``data/prepared/<dataset>.npz``; writes ``models/<variant>.pt`` (state dict, variant config,
run metadata) and ``plots/<variant>/history.csv``. Nothing is written if training fails.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch

from lrlab.config import ParamsFile, Runtime, VariantConfig
from lrlab.datasets.prepared import PreparedData, load_prepared, prepared_path
from lrlab.device import configure_threads, resolve_device, to_device
from lrlab.io import save_torch, write_csv
from lrlab.models import build_model, check_data_fits, make_checkpoint
from lrlab.training import derive_seeds, make_optimizer, numpy_state_dict, train, train_numpy
from stages._cli import parse_variant_args, run

log = logging.getLogger("stages.train")


def train_torch(
    key: str, variant: VariantConfig, runtime: Runtime, data: PreparedData, device: torch.device
) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]], dict[str, Any]]:
    init_seed, shuffle_seed = derive_seeds(runtime.seed, variant.seed_offset)
    model = build_model(variant.model, torch.Generator().manual_seed(init_seed)).to(device)
    shuffler = torch.Generator(device=device).manual_seed(shuffle_seed)
    x, y = to_device(data.x_train, device), to_device(data.y_train, device)
    optimizer = make_optimizer(model.parameters(), variant.optimizer)  # set-up outside the timing
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    history = train(
        model,
        variant.loss,
        variant.optimizer,
        x,
        y,
        variant.epochs,
        variant.batch_size,
        variant.shuffle,
        shuffler,
        name=key,
        optimizer=optimizer,
    )
    seconds = time.perf_counter() - start
    return model.state_dict(), history, {"device": str(device), "train_seconds": seconds}


def train_with_numpy(
    key: str, variant: VariantConfig, data: PreparedData
) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]], dict[str, Any]]:
    x, y = data.x_train.double().numpy(), data.y_train.double().numpy()
    start = time.perf_counter()
    model, history = train_numpy(variant.model, variant.optimizer, x, y, variant.epochs, key)
    seconds = time.perf_counter() - start
    return numpy_state_dict(model), history, {"device": "cpu", "train_seconds": seconds}


def main(argv: list[str]) -> None:
    args = parse_variant_args("python -m stages.train", __doc__, argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    params = ParamsFile(args.params or args.root / "params.yaml")
    runtime, variant = params.runtime(), params.variant(args.variant)
    device = resolve_device(runtime.device)  # `cuda` without a GPU fails here, before any work
    data = load_prepared(prepared_path(args.root, variant.dataset)).map(torch.from_numpy)
    check_data_fits(args.variant, variant, data.x_train, data.y_train, data.info)
    configure_threads(runtime.num_threads)
    if variant.model.kind == "numpy_logistic":
        state, history, meta = train_with_numpy(args.variant, variant, data)
    else:
        state, history, meta = train_torch(args.variant, variant, runtime, data, device)
    meta.update(epochs=variant.epochs, seed=runtime.seed)
    checkpoint = make_checkpoint(state, variant.model_dump(), meta)
    save_torch(args.root / "models" / f"{args.variant}.pt", checkpoint)
    columns = {name: [row[name] for row in history] for name in history[0]}
    write_csv(args.root / "plots" / args.variant / "history.csv", columns)
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


if __name__ == "__main__":
    run(main)
