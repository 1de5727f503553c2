"""The speed-ups in lrlab.train.torch_internals still work with the installed torch: each fails
here, loudly, when a torch upgrade changes the internals it relies on (torch would then work
as before, only about a second slower to start each training stage)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from lrlab.core.config import OptimizerConfig
from lrlab.train.torch_internals import COMPILE_WRAPPED, optimizer_step, skip_compile_hooks
from lrlab.train.training import make_optimizer

REPO = Path(__file__).resolve().parents[1]


def test_the_compile_hooks_are_where_lrlab_expects_them():
    assert skip_compile_hooks() == list(COMPILE_WRAPPED), (
        "torch no longer wraps Optimizer.add_param_group/zero_grad in torch/_compile.py as "
        "lrlab.train.torch_internals expects: update skip_compile_hooks for this torch version"
    )


@pytest.mark.parametrize(
    "cfg",
    [
        OptimizerConfig(name="sgd", lr=0.1),
        OptimizerConfig(name="sgd", lr=0.05, momentum=0.9, weight_decay=0.01),
        OptimizerConfig(name="adam", lr=0.01, weight_decay=0.001),
    ],
    ids=["sgd", "sgd-momentum-decay", "adam"],
)
def test_the_dynamo_free_step_matches_optimizer_step_bit_for_bit(cfg):
    torch.manual_seed(0)
    ours, theirs = nn.Linear(5, 3), nn.Linear(5, 3)
    theirs.load_state_dict(ours.state_dict())
    mine, ref = make_optimizer(ours.parameters(), cfg), make_optimizer(theirs.parameters(), cfg)
    step = optimizer_step(mine)
    x = torch.randn(20, 5)
    for _ in range(30):
        for model, opt in ((ours, mine), (theirs, ref)):
            opt.zero_grad(set_to_none=True)
            model(x).pow(2).mean().backward()
        step()
        ref.step()
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(ours.weight, nn.Linear(5, 3).weight)  # it did train


def test_training_does_not_import_torch_dynamo():
    """torch's optimizer wrappers import torch._dynamo (~1 s per train stage) on first use;
    lrlab's training loop must not."""
    code = (
        "import sys, torch\n"
        "from lrlab.core.config import OptimizerConfig\n"
        "from lrlab.train.training import train\n"
        "model = torch.nn.Linear(2, 1)\n"
        "x, y = torch.randn(8, 2), torch.randn(8)\n"
        "cfg = OptimizerConfig(name='sgd', lr=0.1, momentum=0.5)\n"
        "train(model, loss_name='mse', optimizer_cfg=cfg, x=x, y=y, epochs=3, batch_size=4,\n"
        "      shuffle=True, generator=torch.Generator().manual_seed(0), progress=False)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.strip() == "False", done.stdout + done.stderr
