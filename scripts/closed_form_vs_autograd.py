"""Evidence: the convex variants trained by the closed-form step and by autograd differ only by
float rounding.

    python scripts/closed_form_vs_autograd.py                  # every convex torch variant
    python scripts/closed_form_vs_autograd.py fashion_softmax exam_scores_manual

Each variant of params.yaml whose kind is convex and trains with torch is trained twice, as
``train@<variant>`` trains it (same seeds, initial weights and batches, on the CPU): once with
:func:`lrlab.train.steps.make_step`'s closed form, once with autograd and the torch optimizer.
Prints, per variant, the largest difference of a weight, the final train losses (and test
accuracies, where recorded) of both, and the largest difference of an epoch's train loss.
Needs the prepared data (``dvc repro``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lrlab.core.binding import load_bound  # noqa: E402
from lrlab.core.config import ParamsFile, VariantConfig  # noqa: E402
from lrlab.core.model_kinds import KINDS  # noqa: E402
from lrlab.train.models import build_model  # noqa: E402
from lrlab.train.steps import make_optimizer, make_step  # noqa: E402
from lrlab.train.training import derive_seeds, train  # noqa: E402


def trained(variant: VariantConfig, data, seed: int, closed_form: bool):
    init_seed, shuffle_seed = derive_seeds(seed, variant.seed_offset)
    model = build_model(variant.model, torch.Generator().manual_seed(init_seed), variant.init_draw)
    optimizer = None if closed_form else make_optimizer(model.parameters(), variant.optimizer)
    step = make_step(model, variant.loss, variant.optimizer, optimizer)
    test = (data.x_test, data.y_test) if variant.test_each_epoch else None
    history = train(
        model, loss_name=variant.loss, optimizer_cfg=variant.optimizer, x=data.x_train,
        y=data.y_train, epochs=variant.epochs, batch_size=variant.batch_size,
        shuffle=variant.shuffle, generator=torch.Generator().manual_seed(shuffle_seed),
        progress=False, step=step, test=test,
    )  # fmt: skip
    return type(step).__name__, model, history


def main(keys: list[str]) -> None:
    torch.set_num_threads(1)
    params = ParamsFile(REPO / "params.yaml")
    keys = keys or [
        k
        for k in params.variant_keys()
        if KINDS[(v := params.variant(k)).model.kind].convex
        and KINDS[v.model.kind].trainer == "torch"
    ]
    print("| variant | steps | max abs weight diff | final train loss, closed form | autograd "
          "| max abs epoch-loss diff | final test acc, closed form | autograd |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for key in keys:
        variant, arrays = load_bound(REPO, key, params.variant(key))
        data = arrays.map(torch.from_numpy)
        runs = [trained(variant, data, params.seed(), closed) for closed in (True, False)]
        (kind_a, ours, h_ours), (kind_b, auto, h_auto) = runs
        assert (kind_a, kind_b) == ("ClosedFormStep", "AutogradStep"), (kind_a, kind_b)
        diff = max(
            (a.detach() - b.detach()).abs().max().item()
            for a, b in zip(ours.parameters(), auto.parameters(), strict=True)
        )
        loss_diff = max(
            abs(r["train_loss"] - s["train_loss"]) for r, s in zip(h_ours, h_auto, strict=True)
        )
        acc = [h[-1].get("test_accuracy") for h in (h_ours, h_auto)]
        acc_text = " | ".join("—" if a is None else f"{a:.4f}" for a in acc)
        print(
            f"| {key} | {variant.epochs} epochs × {len(data.x_train)} rows | {diff:.3g} "
            f"| {h_ours[-1]['train_loss']:.9g} | {h_auto[-1]['train_loss']:.9g} "
            f"| {loss_diff:.3g} | {acc_text} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
