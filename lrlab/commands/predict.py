"""Predict with a trained model: new CSV rows, or PNG/JPEG images, to a CSV of predictions.

    lrlab predict iris_softmax --input new_flowers.csv [--output predictions.csv]
    lrlab predict mnist_mlp --input my_digit.png [more.png folder/ ...]
    lrlab predict --model path/to/iris_softmax.pt --input new_flowers.csv

A table model reads a CSV with the training's feature columns (any order; others are ignored)
and prepares it exactly as `prepare` did; with the target column present it also prints the
score. An image model reads 28 x 28 images (RGB is converted to gray), light on dark as in
MNIST. The output (standard output unless --output) has the line or file, the prediction and,
for a classifier, each class's probability. The model file alone is enough: --model works
outside the repository. More: docs/predict.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("variant", nargs="?", help="a variant trained here (models/VARIANT.pt)")
    parser.add_argument(
        "--input", nargs="+", type=Path, required=True, metavar="PATH", help="a CSV, or images"
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="default: standard output")
    parser.add_argument("--model", type=Path, metavar="FILE", help="a model file to use instead")
    parser.add_argument(
        "--root", type=Path, default=Path("."), metavar="DIR", help="the repository (default: .)"
    )


def run(args: argparse.Namespace) -> None:
    from lrlab.base.entrypoint import heavy_imports

    with heavy_imports():
        from lrlab.predict.run import predict_command  # imports torch

    predict_command(args.variant, args.input, args.output, args.model, args.root)
