"""Training speed: the lessons' DataLoader loop vs lrlab's training function vs the bare floor.

    python benchmarks/train_speed.py                   # 3 epochs each, CPU, markdown table
    python benchmarks/train_speed.py --epochs 3 --device cuda

For ``mnist_mlp`` and ``fashion_softmax`` (hyperparameters from params.yaml), in one run:

(a) ``lesson``: torchvision dataset + ``DataLoader(batch_size=64, shuffle=True)`` + per-sample
    transforms, exactly as the lessons write it (normalizing once);
(b) ``lrlab``: :func:`lrlab.training.train` on the prepared tensors, as the train stage runs it;
(c) ``floor``: the same forward/backward/step on pre-sliced batches, no data handling at all.

Reports the median seconds per epoch (training loop only), the ratios a/b and b/c, and the
test accuracy of (a) and (b) after the same number of epochs. Needs ``dvc repro`` to have run
(raw and prepared data). Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lrlab.config import ParamsFile, VariantConfig  # noqa: E402
from lrlab.datasets.prepared import load_prepared, prepared_path  # noqa: E402
from lrlab.device import resolve_device, to_device  # noqa: E402
from lrlab.models import build_model, forward_in_batches  # noqa: E402
from lrlab.training import derive_seeds, make_optimizer, train  # noqa: E402

TORCHVISION_CLASS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
DEFAULT_VARIANTS = ["mnist_mlp", "fashion_softmax"]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


class EpochClock:
    """Seconds of each epoch; the median resists a busy neighbour slowing one epoch."""

    def __init__(self) -> None:
        self.last, self.seconds = time.perf_counter(), []

    def tick(self) -> None:
        now = time.perf_counter()
        self.seconds.append(now - self.last)
        self.last = now

    def median(self) -> float:
        return statistics.median(self.seconds)


def lesson_loaders(variant: VariantConfig, mean: float, std: float, batch_size: int):
    """The lessons' input pipeline: PIL images -> ToTensor (-> Normalize) per sample."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    steps = [transforms.ToTensor()]
    if (mean, std) != (0.0, 1.0):
        steps.append(transforms.Normalize((mean,), (std,)))
    transform = transforms.Compose(steps)
    root = REPO / "data" / "raw" / variant.dataset
    cls = getattr(datasets, TORCHVISION_CLASS[variant.dataset])
    train_set = cls(root=str(root), train=True, transform=transform, download=False)
    test_set = cls(root=str(root), train=False, transform=transform, download=False)
    return (
        DataLoader(train_set, batch_size=batch_size, shuffle=True),
        DataLoader(test_set, batch_size=batch_size, shuffle=False),
    )


def run_lesson(variant: VariantConfig, mean: float, std: float, epochs: int, seed: int, device):
    """(a): the lessons' loop, one ``loss.item()`` per step as they print running loss."""
    torch.manual_seed(seed)
    train_loader, test_loader = lesson_loaders(variant, mean, std, variant.batch_size)
    model = build_model(variant.model, torch.Generator().manual_seed(seed)).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = make_optimizer(model.parameters(), variant.optimizer)
    track_accuracy = variant.dataset == "fashion-mnist"
    sync(device)
    clock = EpochClock()
    for _ in range(epochs):
        model.train()
        running_loss, running_acc = 0.0, 0.0
        for images, labels in train_loader:
            images, labels = images.view(images.size(0), -1).to(device), labels.to(device)
            out = model(images)
            loss = criterion(out, labels)
            running_loss += loss.item()
            if track_accuracy:  # lesson 003's loop also keeps a running accuracy per step
                _, pred = torch.max(out, 1)
                running_acc += (pred == labels).float().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        sync(device)
        clock.tick()
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in test_loader:
            out = model(images.view(images.size(0), -1).to(device))
            correct += (out.argmax(1).cpu() == labels).sum().item()
            total += labels.size(0)
    return clock.median(), correct / total


def run_lrlab(variant: VariantConfig, data, epochs: int, seed: int, device):
    """(b): exactly what ``stages.train`` does, timing the training loop only."""
    init_seed, shuffle_seed = derive_seeds(seed, variant.seed_offset)
    model = build_model(variant.model, torch.Generator().manual_seed(init_seed)).to(device)
    shuffler = torch.Generator(device=device).manual_seed(shuffle_seed)
    x, y = to_device(data.x_train, device), to_device(data.y_train, device)
    sync(device)
    clock = EpochClock()
    train(
        model,
        variant.loss,
        variant.optimizer,
        x,
        y,
        epochs,
        variant.batch_size,
        variant.shuffle,
        shuffler,
        progress=False,
        on_epoch=lambda row: clock.tick(),  # after the epoch's host sync
    )
    logits = forward_in_batches(model.cpu(), data.x_test, dtype=torch.float32)
    return clock.median(), (logits.argmax(1) == data.y_test).double().mean().item()


def run_floor(variant: VariantConfig, data, epochs: int, seed: int, device):
    """(c): forward/backward/step over batches sliced before the clock starts."""
    model = build_model(variant.model, torch.Generator().manual_seed(seed)).to(device)
    optimizer = make_optimizer(model.parameters(), variant.optimizer)
    criterion = nn.CrossEntropyLoss()
    order = torch.randperm(len(data.x_train), generator=torch.Generator().manual_seed(seed))
    xs = [b.contiguous().to(device) for b in data.x_train[order].split(variant.batch_size)]
    ys = [b.contiguous().to(device) for b in data.y_train[order].split(variant.batch_size)]
    for xb, yb in list(zip(xs, ys, strict=True))[:20]:  # warm-up: allocator, kernel choice
        criterion(model(xb), yb).backward()
    optimizer.zero_grad(set_to_none=True)
    sync(device)
    clock = EpochClock()
    for _ in range(epochs):
        for xb, yb in zip(xs, ys, strict=True):
            loss = criterion(model(xb), yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        sync(device)
        clock.tick()
    return clock.median()


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
        norm = params.dataset(variant.dataset)
        data = load_prepared(prepared_path(REPO, variant.dataset)).map(torch.from_numpy)
        floor = run_floor(variant, data, args.epochs, seed, device)
        ours, our_acc = run_lrlab(variant, data, args.epochs, seed, device)
        lesson, lesson_acc = run_lesson(variant, norm.mean, norm.std, args.epochs, seed, device)
        rows.append((key, lesson, ours, floor, lesson / ours, ours / floor, lesson_acc, our_acc))
        print(
            f"{key}: lesson {lesson:.2f} s, lrlab {ours:.3f} s, floor {floor:.3f} s per epoch",
            file=sys.stderr,
        )
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    print(
        f"\nmedian of {args.epochs} epoch(s) per measurement; device {device} ({name or 'cpu'}), "
        f"{args.threads} threads, {os.cpu_count()} cores, torch {torch.__version__}\n"
    )
    print(
        "| variant | (a) lesson s/epoch | (b) lrlab s/epoch | (c) floor s/epoch | a/b | b/c "
        "| test acc (a) | test acc (b) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for key, a, b, c, ab, bc, acc_a, acc_b in rows:
        print(
            f"| {key} | {a:.2f} | {b:.3f} | {c:.3f} | {ab:.1f}x | {bc:.2f}x "
            f"| {acc_a:.4f} | {acc_b:.4f} |"
        )


if __name__ == "__main__":
    main()
