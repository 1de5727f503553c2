"""``lrlab predict``: new CSV rows and images through a trained model, from its file alone.

One mini-repository (module data) holds two CSV datasets of its own (a classification table
with a categorical column and text labels, a regression table whose rows may miss cells) and
an MNIST-shaped image set, each prepared by its stage and trained as the pipeline trains it.
The checks: predicting the prepared test rows gives evaluate's numbers exactly; a raw CSV's
rows give what the model gives on the prepared arrays of those rows; the test images written
as PNG give the test predictions; the model file alone works elsewhere; and each kind of bad
input is one clear error, with nothing written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image
from repo_kit import read_params, train_variants, write_params

from lrlab import cli
from lrlab.base import layout
from lrlab.base.errors import DataError
from lrlab.core.prepared import load_prepared, save_prepared
from lrlab.datasets.prepare import prepare_images, split
from lrlab.predict.model import load_predictor
from stages import prepare as prepare_stage

SPECIES = ("setosa", "versicolor", "virginica")
RNG = np.random.default_rng(3)
N = 90
FLOWERS = pd.DataFrame(
    {
        "id": np.arange(N),
        "petal": np.round(np.repeat([1.5, 4.3, 5.6], N // 3) + RNG.normal(0, 0.4, N), 2),
        "colour": RNG.choice(["red", "blue", "white"], N),
        "sepal": np.round(RNG.normal(5.8, 0.8, N), 2),
        "species": np.repeat(SPECIES, N // 3),
    }
)
HOUSES = pd.DataFrame(
    {"area": np.round(RNG.uniform(40, 200, 60), 1), "rooms": RNG.integers(1, 7, 60).astype(float)}
).assign(price=lambda t: np.round(2.5 * t.area + 10 * t.rooms + RNG.normal(0, 5, 60), 2))
HOUSES.loc[[3, 17], "rooms"] = np.nan  # missing: drop leaves them out
DATASETS = {
    "flowers": {
        "kind": "csv",
        "source": "data/external/flowers.csv",
        "target": "species",
        "task": "classification",
        "features": ["petal", "colour", "sepal"],
        "categorical": ["colour"],
        "test_fraction": 0.3,
    },
    "houses": {
        "kind": "csv",
        "source": "data/external/houses.csv",
        "target": "price",
        "task": "regression",
        "missing": "drop",
        "test_fraction": 0.25,
    },
}
SGD = {"name": "sgd", "lr": 0.1}
VARIANTS = {
    "flowers_softmax": {
        "dataset": "flowers",
        "model": {"kind": "softmax"},
        "loss": "cross_entropy",
    },
    "houses_linear": {"dataset": "houses", "model": {"kind": "linear"}, "loss": "mse"},
    "digits": {"dataset": "digits", "model": {"kind": "softmax"}, "loss": "cross_entropy"},
}
for block in VARIANTS.values():
    block.update(optimizer=SGD, epochs=40, batch_size=16)


def digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """28 x 28 uint8 images whose class is the bright quadrant, with noise."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 4
    images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
    for i, label in enumerate(y):
        r, c = divmod(int(label), 2)
        images[i, r * 14 : r * 14 + 14, c * 14 : c * 14 + 14] += 150
    return images, y.astype(np.int64)


class Settings:
    mean, std = 0.5, 0.5


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("predict")
    (root / "data/external").mkdir(parents=True)
    FLOWERS.to_csv(root / "data/external/flowers.csv", index=False)
    HOUSES.to_csv(root / "data/external/houses.csv", index=False)

    def edit(params: dict) -> None:
        digits_block = {"kind": "mnist", "mean": Settings.mean, "std": Settings.std}
        params.update(datasets={**DATASETS, "digits": digits_block}, variants=VARIANTS)

    write_params(root, edit)
    for name in DATASETS:
        prepare_stage.main([name, "--root", str(root)])
    classes = ["up-left", "up-right", "down-left", "down-right"]
    data = prepare_images("digits", digits(200, 0), digits(40, 1), Settings, classes)
    save_prepared(layout.prepared_file(root, "digits"), data)
    return train_variants(root, tuple(VARIANTS))


def lrlab(*args: str) -> None:
    cli.dispatch(["predict", *args])


def output(capsys, *args: str) -> tuple[pd.DataFrame, str]:
    lrlab(*args)
    captured = capsys.readouterr()
    from io import StringIO

    return pd.read_csv(StringIO(captured.out), dtype={"prediction": str}), captured.err


def raw_rows(repo: Path, dataset: str) -> pd.DataFrame:
    return pd.read_csv(repo / DATASETS[dataset]["source"])


def test_the_prepared_test_rows_give_what_evaluate_wrote(repo):
    for variant in VARIANTS:
        predictor = load_predictor(layout.model_file(repo, variant), variant)
        data = load_prepared(layout.prepared_file(repo, VARIANTS[variant]["dataset"]))
        labels, p = predictor.predict(data.x_test)
        written = pd.read_csv(layout.predictions_file(repo, variant), dtype=str)
        assert [str(v) for v in labels.tolist()] == written["predicted"].tolist(), variant
        if p is not None:
            np.testing.assert_array_equal(p.sum(axis=1).round(12), 1.0)


def test_a_raw_csv_gives_what_the_model_gives_on_the_prepared_rows(repo, tmp_path, capsys):
    """The whole table (train and test rows, columns reordered, one extra) as new rows: each
    row gets the prediction and probabilities of its prepared row, bit for bit. Which prepared
    row a raw row became is the split of the row numbers by prepare's own split function."""
    table = raw_rows(repo, "flowers")[["sepal", "species", "colour", "id", "petal"]]
    table.to_csv(tmp_path / "new.csv", index=False)
    args = ("flowers_softmax", "--input", str(tmp_path / "new.csv"), "--root", str(repo))
    got, err = output(capsys, *args)
    predictor = load_predictor(layout.model_file(repo, "flowers_softmax"), "flowers_softmax")
    data = load_prepared(layout.prepared_file(repo, "flowers"))
    codes = np.searchsorted(SPECIES, FLOWERS["species"])
    rows = np.arange(N)[:, None]
    seed = read_params(repo)["seed"]
    train_rows, test_rows, _, _ = split("flowers", rows, codes, 0.3, seed, True)
    order = np.concatenate([train_rows[:, 0], test_rows[:, 0]])  # raw row of each prepared row
    labels, p = predictor.predict(np.concatenate([data.x_train, data.x_test]))
    assert got.columns.tolist() == ["line", "prediction", *(f"p_{s}" for s in SPECIES)]
    assert got["line"].tolist() == list(range(2, N + 2))
    got = got.iloc[order]
    assert got["prediction"].tolist() == np.array(SPECIES)[labels].tolist()
    np.testing.assert_array_equal(got[[f"p_{s}" for s in SPECIES]].to_numpy(), p)
    correct = int((labels == np.concatenate([data.y_train, data.y_test])).sum())
    assert f"accuracy {correct / N:.4f} ({correct} of {N} rows) on 'species'" in err
    assert "ignored columns (the model does not read them): id" in err


def test_regression_rows_with_a_missing_cell_are_left_out_and_scored(repo, tmp_path, capsys):
    table = raw_rows(repo, "houses")
    table.to_csv(tmp_path / "h.csv", index=False)
    got, err = output(
        capsys, "houses_linear", "--input", str(tmp_path / "h.csv"), "--root", str(repo)
    )
    assert got.columns.tolist() == ["line", "prediction"]
    assert len(got) == 58 and 5 not in got["line"].tolist() and 19 not in got["line"].tolist()
    assert "left out 2 row(s) with a missing cell (missing: drop): lines 5, 19" in err
    model = torch.load(layout.model_file(repo, "houses_linear"), weights_only=True)
    w, b = (
        model["state_dict"]["linear.weight"].double(),
        model["state_dict"]["linear.bias"].double(),
    )
    inputs = model["inputs"]
    x = (table.dropna()[["area", "rooms"]].to_numpy() - inputs["mean"]) / inputs["std"]
    expected = (torch.from_numpy(x.astype(np.float32)).double() @ w.T + b).reshape(-1).numpy()
    np.testing.assert_allclose(got["prediction"].astype(float), expected, rtol=1e-12)
    error = got["prediction"].astype(float).to_numpy() - table.dropna()["price"].to_numpy()
    assert f"MSE {np.mean(error**2):.6g}" in err


def test_the_test_images_as_png_give_the_test_predictions(repo, tmp_path, capsys):
    images, _ = digits(40, 1)
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(folder / f"{i:03d}.png")
    Image.fromarray(images[0]).convert("RGB").save(tmp_path / "rgb.png")  # gray again
    got, _ = output(
        capsys, "digits", "--input", str(folder), str(tmp_path / "rgb.png"), "--root", str(repo)
    )
    written = pd.read_csv(layout.predictions_file(repo, "digits"))
    classes = ["up-left", "up-right", "down-left", "down-right"]
    expected = [classes[i] for i in written["predicted"]]
    assert got["prediction"].tolist() == [*expected, expected[0]]
    assert got["file"].tolist()[:2] == [str(folder / "000.png"), str(folder / "001.png")]
    assert got.columns.tolist() == ["file", "prediction", *(f"p_{c}" for c in classes)]


def test_the_model_file_alone_predicts_elsewhere(repo, tmp_path, capsys, monkeypatch):
    shutil.copy(layout.model_file(repo, "flowers_softmax"), tmp_path / "model.pt")
    raw_rows(repo, "flowers").to_csv(tmp_path / "new.csv", index=False)
    monkeypatch.chdir(tmp_path)  # no params.yaml, no data, no repository
    alone, _ = output(capsys, "--model", "model.pt", "--input", "new.csv")
    here, _ = output(capsys, "flowers_softmax", "--input", "new.csv", "--root", str(repo))
    pd.testing.assert_frame_equal(alone, here)
    lrlab("--model", "model.pt", "--input", "new.csv", "--output", "out/p.csv")
    assert (tmp_path / "out/p.csv").read_text().startswith("line,prediction,p_setosa,")
    about = torch.load("model.pt", weights_only=True)["about"]
    assert about["variant"] == "flowers_softmax" and set(about["metrics"]) >= {"train", "test"}


BAD = {
    "missing-column": ("sepal,colour,species\n5.1,red,setosa\n", "has no column 'petal'"),
    "near-miss": ("sepal,colour,Petal\n5.1,red,1.4\n", "no column 'petal' (did you mean 'Petal'?)"),
    "unseen-level": (
        "petal,colour,sepal\n1.4,red,5.1\n1.3,green,5.0\n",
        "1 value(s) never seen in training: line 3, column 'colour': 'green'. The known levels "
        "are 'colour': blue, red, white.",
    ),
    "not-a-number": (
        "petal,colour,sepal\n1.4,red,five\n",
        "1 cell(s) that are not finite numbers: line 2, column 'sepal': 'five'",
    ),
    "missing-cell": (
        "petal,colour,sepal\n1.4,red,\n",
        "1 missing cell(s): line 2, column 'sepal'. The model's dataset was prepared with "
        "`missing: error`",
    ),
    "empty": ("", "is empty (0 bytes)"),
    "header-only": ("petal,colour,sepal\n", "has a header line but no data rows"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_rows_are_one_clear_error_and_nothing_is_written(repo, tmp_path, case):
    text, message = BAD[case]
    (tmp_path / "in.csv").write_text(text)
    with pytest.raises(DataError) as info:
        lrlab(
            "flowers_softmax",
            "--input",
            str(tmp_path / "in.csv"),
            "--output",
            str(tmp_path / "out.csv"),
            "--root",
            str(repo),
        )
    assert message in str(info.value)
    assert not (tmp_path / "out.csv").exists()


def test_bad_images_and_models_are_one_clear_error(repo, tmp_path):
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "big.png")
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "empty").mkdir()
    cases = {
        ("digits", str(tmp_path / "big.png")): "big.png: 32 x 32 pixels; the model takes 28 x 28",
        ("digits", str(tmp_path / "text.png")): "text.png: not a PNG or JPEG image",
        ("digits", str(tmp_path / "empty")): "a folder with no .png, .jpg or .jpeg file in it",
        ("digits", str(tmp_path / "gone.png")): "gone.png: no such file or folder",
        ("flowers_softmx", "x.csv"): "no variant 'flowers_softmx' in",
    }
    for (variant, path), message in cases.items():
        with pytest.raises(DataError) as info:
            lrlab(variant, "--input", path, "--root", str(repo))
        assert message in str(info.value), str(info.value)
    assert "Did you mean 'flowers_softmax'?" in str(info.value)
    untrained = tmp_path / "untrained"
    shutil.copytree(repo, untrained, ignore=shutil.ignore_patterns("models"))
    with pytest.raises(DataError) as info:
        lrlab("digits", "--input", str(tmp_path / "big.png"), "--root", str(untrained))
    assert "variant 'digits' has not been trained here" in str(info.value)
    assert "`dvc repro train@digits`" in str(info.value)
    old = torch.load(layout.model_file(repo, "digits"), weights_only=True)
    del old["inputs"], old["about"]
    torch.save(old, tmp_path / "old.pt")
    with pytest.raises(DataError) as info:
        lrlab("--model", str(tmp_path / "old.pt"), "--input", str(tmp_path / "big.png"))
    assert (
        "written by an older lrlab, not in this lrlab's model format 2 (it lacks about, inputs)"
        in str(info.value)
    )
