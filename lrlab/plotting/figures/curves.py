"""Figure ``curves``: loss and accuracy per epoch; drawn for every variant."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lrlab.plotting.inputs import Inputs

CAPTION = "loss and accuracy per epoch"
ORDER = 1  # its place in the catalogue and the report


def applies(c: Inputs) -> bool:
    return True


def draw(c: Inputs) -> Figure:
    from lrlab.plotting import curves

    return curves.training_curves(
        c.epochs,
        c.loss,
        c.accuracy if c.cfg.task == "classification" else None,
        loss_name=c.cfg.loss,
        title=c.title,
        reference_loss=c.ref_loss,
        reference_accuracy=c.ref_acc,
        test_accuracy=(c.metrics.get("test") or {}).get("accuracy"),
        test_curve=c.test_curve,
        step_losses={s / c.steps_per_epoch: v for s, v in c.step_losses.items()},
        reference_label=c.ref_label,
        note=c.note,
    )
