"""``lrlab predict``: find the model, read the input, predict, score, write the CSV.

The output has one row per input row (its CSV ``line``) or image (its ``file``), the
``prediction`` (the class name, or the value) and, for a classifier, one ``p_<class>``
probability column per class. Numbers are written exactly (Python's shortest round-trip
form). If the input has the target column, the score goes to standard error with the notes
(ignored columns, dropped rows). Nothing is written unless every input is good.
"""

from __future__ import annotations

import csv
import difflib
import io
import sys
from pathlib import Path

import numpy as np
import yaml

from lrlab.base import layout
from lrlab.base.errors import DataError
from lrlab.base.io import write_text
from lrlab.core.inputs import level_codes
from lrlab.predict.model import Predictor, load_predictor


def model_path(root: Path, variant: str) -> Path:
    """``models/<variant>.pt`` under ``root``, or a DataError that says how to get it."""
    path = layout.model_file(root, variant)
    if path.is_file():
        return path
    try:
        variants = list((yaml.safe_load((root / "params.yaml").read_text()) or {})["variants"])
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        variants = []
    if variant in variants:
        raise DataError(
            f"variant {variant!r} has not been trained here ({layout.relative(root, path)} does "
            f"not exist). Train it with `dvc repro train@{variant}` (or `dvc pull` a team's "
            "models), or give a model file with --model."
        )
    close = difflib.get_close_matches(variant, variants, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DataError(
        f"no variant {variant!r} in {root / 'params.yaml'}.{hint} Its variants: "
        f"{', '.join(variants) or 'none'}. Or give a model file with --model."
    )


def _columns(predictor: Predictor, labels: np.ndarray, p: np.ndarray | None) -> dict[str, list]:
    names = predictor.class_names
    if names is None:
        return {"prediction": labels.tolist()}
    out: dict[str, list] = {"prediction": [names[i] for i in labels.tolist()]}
    for k, name in enumerate(names):
        out[f"p_{name}"] = p[:, k].tolist()
    return out


def _score(predictor: Predictor, labels: np.ndarray, target: np.ndarray, column: str) -> str:
    names = predictor.class_names
    if names is not None:
        actual = level_codes(target, names)
        correct = int((actual == labels).sum())
        unknown = int((actual < 0).sum())
        note = f"; {unknown} with a class the model does not know" if unknown else ""
        accuracy = correct / len(labels)
        return f"accuracy {accuracy:.4f} ({correct} of {len(labels)} rows{note}) on {column!r}"
    from lrlab.core.inputs import numbers

    actual, bad, inf = numbers(target)
    ok = ~(bad | inf)
    error = labels[ok] - actual[ok]
    mse = float(np.mean(error**2))
    spread = float(np.sum((actual[ok] - actual[ok].mean()) ** 2))
    r2 = "undefined" if spread == 0 else f"{1.0 - float(np.sum(error**2)) / spread:.4f}"
    return f"MSE {mse:.6g}, R² {r2} ({int(ok.sum())} rows) on {column!r}"


def to_csv(columns: dict[str, list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values(), strict=True))
    return out.getvalue()


def predict(predictor: Predictor, inputs: list[Path]) -> tuple[dict[str, list], list[str]]:
    """The output columns for ``inputs`` (one CSV, or images and folders) and the notes."""
    recipe, notes = predictor.inputs, []
    if recipe["kind"] == "image":
        from lrlab.predict.images import read_images

        x, files = read_images(inputs, recipe)
        labels, p = predictor.predict(x)
        return {"file": [str(f) for f in files], **_columns(predictor, labels, p)}, notes
    if len(inputs) != 1:
        raise DataError(f"{predictor.name} reads one CSV file; --input got {len(inputs)} paths.")
    from lrlab.predict.tables import read_rows

    rows = read_rows(inputs[0], recipe)
    labels, p = predictor.predict(rows.x)
    if rows.ignored:
        notes.append(f"ignored columns (the model does not read them): {', '.join(rows.ignored)}")
    if rows.dropped:
        shown = ", ".join(map(str, rows.dropped[:10])) + (" …" if len(rows.dropped) > 10 else "")
        count = len(rows.dropped)
        notes.append(f"left out {count} row(s) with a missing cell (missing: drop): lines {shown}")
    if rows.target is not None:
        notes.append(_score(predictor, labels, rows.target, recipe["target"]))
    return {"line": rows.lines.tolist(), **_columns(predictor, labels, p)}, notes


def predict_command(
    variant: str | None, inputs: list[Path], output: Path | None, model: Path | None, root: Path
) -> None:
    """``lrlab predict``: predictions for ``inputs`` by ``variant``'s model (or the model file
    ``model``), written to ``output`` (atomically) or standard output."""
    if model is None and variant is None:
        raise DataError("name a variant (lrlab predict VARIANT --input ...) or a --model file.")
    path = model or model_path(root, variant)
    predictor = load_predictor(path, variant or path.stem)
    columns, notes = predict(predictor, inputs)
    text = to_csv(columns)
    for note in notes:
        print(f"predict {predictor.name}: {note}", file=sys.stderr)
    if output is None:
        sys.stdout.write(text)
    else:
        write_text(output, text)
        print(
            f"predict {predictor.name}: {len(columns['prediction'])} rows -> {output}",
            file=sys.stderr,
        )
