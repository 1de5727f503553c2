"""A per-variant stage's variant and its prepared data, read the one way every such stage
reads them (kept out of :mod:`stages._cli`, which download imports)."""

from __future__ import annotations

import argparse

from lrlab import layout
from lrlab.config import ParamsFile, VariantConfig
from lrlab.datasets.prepared import PreparedData, load_prepared


def variant_and_data(args: argparse.Namespace) -> tuple[VariantConfig, PreparedData]:
    """``variants.<args.variant>`` with its widths taken from its prepared dataset, and that
    dataset (NumPy arrays), for the stages that read both."""
    variant = ParamsFile(args.params or args.root / "params.yaml").variant(args.variant)
    path = layout.prepared_file(args.root, variant.dataset)
    data = load_prepared(path, layout.prepare_stage(variant.dataset))
    return variant.for_data(data.x_train.shape[1], data.info.get("num_classes")), data
