"""Stage ``reference@<variant>``: the exact reference of a variant's objective, computed once.

    python -m stages.reference <variant> [--params params.yaml] [--root .]

Reads ``variants.<variant>.dataset``, ``.model`` and ``.loss`` (all that defines the
objective, and all that dvc.yaml lists for this stage) and the prepared dataset; writes
``references/<variant>.json``: the exact optimum of the variant's objective on its training
data, or the MLP baselines (:mod:`lrlab.reference.solve`). An experiment that changes only the
optimizer, the epochs, the batch size or the seed leaves this stage's inputs as they were, so
DVC skips it (or restores it from the run cache) and evaluate reuses the file. No torch here.
"""

from __future__ import annotations

import logging

from lrlab.base import layout
from lrlab.base.io import write_json
from lrlab.base.stage_args import parse_variant_args, run
from lrlab.core.binding import load_bound
from lrlab.core.config import ParamsFile
from lrlab.reference.solve import compute_reference

log = logging.getLogger("stages.reference")


def main(argv: list[str]) -> None:
    args = parse_variant_args("python -m stages.reference", __doc__, argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    variant = ParamsFile(args.params or args.root / "params.yaml").variant(args.variant)
    variant, data = load_bound(args.root, args.variant, variant)
    test = (data.x_test, data.y_test) if data.has_test else (None, None)
    reference = compute_reference(variant.model, variant.loss, data.x_train, data.y_train, *test)
    write_json(layout.reference_file(args.root, args.variant), reference)
    log.info(
        "reference@%s: %s %s %.6g (%.1f s)",
        args.variant,
        reference["kind"],
        reference["method"],
        reference["train_loss"],
        reference["seconds"],
    )


if __name__ == "__main__":
    run(main)
