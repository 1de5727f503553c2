"""Stage ``reference@<variant>``: the exact reference of a variant's objective, computed once.

    python -m stages.reference <variant> [--params params.yaml] [--root .]

Reads ``variants.<variant>.dataset``, ``.model`` and ``.loss`` (all that defines the
objective, and all that dvc.yaml lists for this stage) and the prepared dataset; writes
``references/<variant>.json``: the exact optimum of the variant's objective on its training
data, or the MLP baselines (:mod:`lrlab.reference`). An experiment that changes only the
optimizer, the epochs, the batch size or the seed leaves this stage's inputs as they were, so
DVC skips it (or restores it from the run cache) and evaluate reuses the file. No torch here.
"""

from __future__ import annotations

import logging

from lrlab import layout
from lrlab.errors import ConfigError
from lrlab.io import write_json
from lrlab.reference import compute_reference
from stages._cli import parse_variant_args, run
from stages._variant import variant_and_data

log = logging.getLogger("stages.reference")


def main(argv: list[str]) -> None:
    args = parse_variant_args("python -m stages.reference", __doc__, argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    key, root = args.variant, args.root
    variant, data = variant_and_data(args)
    path = layout.prepared_file(root, variant.dataset)
    test = (data.x_test, data.y_test) if data.has_test else (None, None)
    try:
        reference = compute_reference(
            variant.model,
            variant.loss,
            data.x_train,
            data.y_train,
            *test,
            num_classes=data.info.get("num_classes"),
        )
    except ConfigError as exc:
        raise ConfigError(f"variants.{key} with {path}: {exc}") from None
    write_json(layout.reference_file(root, key), reference)
    log.info(
        "reference@%s: %s %s %.6g (%.1f s)",
        key,
        reference["kind"],
        reference["method"],
        reference["train_loss"],
        reference["seconds"],
    )


if __name__ == "__main__":
    run(main)
