"""Training speed: the lessons' DataLoader loop vs lrlab's training function vs the bare floor.

    python benchmarks/train_speed.py                   # 3 epochs each, CPU, markdown table
    python benchmarks/train_speed.py --epochs 3 --device cuda

For ``mnist_mlp`` and ``fashion_softmax`` (hyperparameters from params.yaml), in one run:

(a) ``lesson``: torchvision dataset + ``DataLoader(batch_size=64, shuffle=True)`` + per-sample
    transforms, exactly as the lessons write it (normalizing once);
(b) ``lrlab``: :func:`lrlab.train.training.train` on the prepared tensors, as the train stage
    runs it;
(c) ``floor``: the same forward/backward/step on pre-sliced batches, no data handling at all;
(d) ``matmul``: the matrix products alone of a one-layer model's step on the same pre-sliced
    batches: the scores ``W Xᵀ`` and the gradient ``Pᵀ X`` (as the closed-form step lays them
    out, the faster way round on CPUs), into preallocated outputs; for an MLP, those of its
    first layer only (a lower bound, not its floor).

The three loops run in rounds, one epoch of each per round, and the table reports each one's
median seconds per epoch (training loop only), the ratios a/b, b/c and b/d, and the test accuracy
of (a) and (b) after the same number of epochs (one untimed warm-up epoch each, then
``--epochs`` timed ones). Needs ``dvc repro`` to have run
(raw and prepared data). Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lrlab.base import layout  # noqa: E402
from lrlab.core.config import ParamsFile, VariantConfig  # noqa: E402
from lrlab.core.prepared import load_prepared  # noqa: E402
from lrlab.datasets.prepare import dataset_settings  # noqa: E402
from lrlab.train.device import resolve_device, to_device  # noqa: E402
from lrlab.train.models import build_model, forward_in_batches  # noqa: E402
from lrlab.train.training import derive_seeds, make_optimizer, make_step, train  # noqa: E402

TORCHVISION_CLASS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
DEFAULT_VARIANTS = ["mnist_mlp", "fashion_softmax"]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def lesson_loaders(variant: VariantConfig, mean: float, std: float, batch_size: int):
    """The lessons' input pipeline: PIL images -> ToTensor (-> Normalize) per sample."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    steps = [transforms.ToTensor()]
    if (mean, std) != (0.0, 1.0):
        steps.append(transforms.Normalize((mean,), (std,)))
    transform = transforms.Compose(steps)
    root = layout.raw_dir(REPO, variant.dataset)
    cls = getattr(datasets, TORCHVISION_CLASS[variant.dataset])
    train_set = cls(root=str(root), train=True, transform=transform, download=False)
    test_set = cls(root=str(root), train=False, transform=transform, download=False)
    return (
        DataLoader(train_set, batch_size=batch_size, shuffle=True),
        DataLoader(test_set, batch_size=batch_size, shuffle=False),
    )


def timed(step: Callable[[], None], device: torch.device) -> float:
    """Seconds ``step`` takes, with queued GPU work finished at both ends."""
    sync(device)
    start = time.perf_counter()
    step()
    sync(device)
    return time.perf_counter() - start


class LessonLoop:
    """(a): the lessons' loop, one ``loss.item()`` per step as they print running loss."""

    def __init__(self, variant: VariantConfig, mean: float, std: float, seed: int, device):
        torch.manual_seed(seed)
        self.train_loader, self.test_loader = lesson_loaders(variant, mean, std, variant.batch_size)
        self.model = build_model(variant.model, torch.Generator().manual_seed(seed)).to(device)
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = make_optimizer(self.model.parameters(), variant.optimizer)
        self.track_accuracy = variant.dataset == "fashion-mnist"
        self.device = device

    def run_epoch(self) -> None:
        self.model.train()
        running_loss, running_acc = 0.0, 0.0
        for images, labels in self.train_loader:
            images = images.view(images.size(0), -1).to(self.device)
            labels = labels.to(self.device)
            out = self.model(images)
            loss = self.criterion(out, labels)
            running_loss += loss.item()
            if self.track_accuracy:  # lesson 003's loop also keeps a running accuracy per step
                _, pred = torch.max(out, 1)
                running_acc += (pred == labels).float().mean()
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    def test_accuracy(self) -> float:
        self.model.eval()
        correct = total = 0
        with torch.no_grad():
            for images, labels in self.test_loader:
                out = self.model(images.view(images.size(0), -1).to(self.device))
                correct += (out.argmax(1).cpu() == labels).sum().item()
                total += labels.size(0)
        return correct / total


class LrlabLoop:
    """(b): :func:`lrlab.train.training.train` as ``stages.train`` runs it, one epoch per call (the
    step, with its optimizer state, and the shuffling generator carry over, as in one
    multi-epoch call)."""

    def __init__(self, variant: VariantConfig, data, seed: int, device):
        init_seed, shuffle_seed = derive_seeds(seed, variant.seed_offset)
        self.model = build_model(variant.model, torch.Generator().manual_seed(init_seed))
        self.model.to(device)
        self.shuffler = torch.Generator(device=device).manual_seed(shuffle_seed)
        self.x, self.y = to_device(data.x_train, device), to_device(data.y_train, device)
        self.step = make_step(self.model, variant.loss, variant.optimizer)
        self.variant, self.data = variant, data

    def run_epoch(self) -> None:
        v = self.variant
        train(self.model, loss_name=v.loss, optimizer_cfg=v.optimizer, x=self.x, y=self.y,
              epochs=1, batch_size=v.batch_size, shuffle=v.shuffle, generator=self.shuffler,
              progress=False, step=self.step)  # fmt: skip

    def test_accuracy(self) -> float:
        logits = forward_in_batches(self.model.cpu(), self.data.x_test, dtype=torch.float32)
        return (logits.argmax(1) == self.data.y_test).double().mean().item()


class FloorLoop:
    """(c): forward/backward/step over batches sliced before the clock starts."""

    def __init__(self, variant: VariantConfig, data, seed: int, device):
        self.model = build_model(variant.model, torch.Generator().manual_seed(seed)).to(device)
        self.optimizer = make_optimizer(self.model.parameters(), variant.optimizer)
        self.criterion = nn.CrossEntropyLoss()
        order = torch.randperm(len(data.x_train), generator=torch.Generator().manual_seed(seed))
        xs = data.x_train[order].split(variant.batch_size)
        ys = data.y_train[order].split(variant.batch_size)
        pairs = zip(xs, ys, strict=True)
        self.batches = [(x.contiguous().to(device), y.to(device)) for x, y in pairs]

    def run_epoch(self) -> None:
        for xb, yb in self.batches:
            loss = self.criterion(self.model(xb), yb)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()


class MatmulLoop:
    """(d): per pre-sliced batch, the scores ``W Xᵀ`` and the weight gradient ``Pᵀ X`` of the
    (first) affine layer, into preallocated outputs: the floor of a one-layer model's step."""

    def __init__(self, variant: VariantConfig, data, seed: int, device):
        model = build_model(variant.model, torch.Generator().manual_seed(seed)).to(device)
        self.weight = next(p for p in model.parameters() if p.dim() == 2).detach()
        width = len(self.weight)
        order = torch.randperm(len(data.x_train), generator=torch.Generator().manual_seed(seed))
        xs = data.x_train[order].split(variant.batch_size)
        self.batches = [x.contiguous().to(device) for x in xs]
        self.p_t = torch.rand(width, variant.batch_size, device=device)
        self.scores = torch.empty(width, variant.batch_size, device=device)
        self.grad = torch.empty_like(self.weight)

    def run_epoch(self) -> None:
        for xb in self.batches:
            rows = len(xb)
            torch.mm(self.weight, xb.t(), out=self.scores[:, :rows])
            torch.mm(self.p_t[:, :rows], xb, out=self.grad)


def measure(loops: dict[str, Any], epochs: int, device: torch.device) -> dict[str, float]:
    """Median seconds per epoch of each loop, run in interleaved rounds (one epoch of each per
    round) so that a busy neighbour or a clock change affects all of them alike."""
    seconds: dict[str, list[float]] = {name: [] for name in loops}
    for _ in range(epochs):
        for name, loop in loops.items():
            seconds[name].append(timed(loop.run_epoch, device))
    return {name: statistics.median(values) for name, values in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per measurement")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--variants", nargs="+", default=DEFAULT_VARIANTS)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    params = ParamsFile(REPO / "params.yaml")
    seed = params.seed()
    rows = []
    for key in args.variants:
        variant = params.variant(key)
        norm = dataset_settings(params, variant.dataset)
        data = load_prepared(layout.prepared_file(REPO, variant.dataset)).map(torch.from_numpy)
        loops = {
            "lesson": LessonLoop(variant, norm.mean, norm.std, seed, device),
            "lrlab": LrlabLoop(variant, data, seed, device),
            "floor": FloorLoop(variant, data, seed, device),
            "matmul": MatmulLoop(variant, data, seed, device),
        }
        for loop in loops.values():  # untimed warm-up epoch: allocator, kernels, first calls
            loop.run_epoch()
        median = measure(loops, args.epochs, device)
        lesson, ours, floor, products = (median[k] for k in ("lesson", "lrlab", "floor", "matmul"))
        lesson_acc, our_acc = loops["lesson"].test_accuracy(), loops["lrlab"].test_accuracy()
        ratios = (lesson / ours, ours / floor, ours / products)
        rows.append((key, lesson, ours, floor, products, *ratios, lesson_acc, our_acc))
        print(
            f"{key}: lesson {lesson:.2f} s, lrlab {ours:.3f} s, floor {floor:.3f} s, "
            f"matrix products {products:.3f} s per epoch",
            file=sys.stderr,
        )
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    print(
        f"\nmedian of {args.epochs} interleaved epoch(s) per loop; device {device} "
        f"({name or 'cpu'}), {args.threads} threads, {os.cpu_count()} cores, "
        f"torch {torch.__version__}\n"
    )
    print(
        "| variant | (a) lesson s/epoch | (b) lrlab s/epoch | (c) floor s/epoch "
        "| (d) matrix products only s/epoch | a/b | b/c | b/d | test acc (a) | test acc (b) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key, a, b, c, d, ab, bc, bd, acc_a, acc_b in rows:
        print(
            f"| {key} | {a:.2f} | {b:.3f} | {c:.3f} | {d:.3f} | {ab:.1f}x | {bc:.2f}x "
            f"| {bd:.2f}x | {acc_a:.4f} | {acc_b:.4f} |"
        )


if __name__ == "__main__":
    main()
