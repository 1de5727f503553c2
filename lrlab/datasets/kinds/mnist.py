"""MNIST (lesson 001): 70,000 handwritten digits, 28×28 grey pixels, in the official split.

``download@<dataset>`` fetches the four IDX files below (each pinned by the sha256 of its
decompressed content) where torchvision reads them; ``prepare@<dataset>`` scales the pixels to
[0, 1], then ``(x - mean) / std`` once (:func:`lrlab.datasets.prepare.prepare_images`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrlab.datasets.fetch.sources import RemoteDataset, idx_files
from lrlab.datasets.kinds import Dataset, ImageSettings, Kind

if TYPE_CHECKING:
    from lrlab.core.prepared import PreparedData

SOURCE = RemoteDataset(
    name="mnist",
    urls=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    files=idx_files(
        "MNIST",
        {
            "train-images-idx3-ubyte": (
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                47040016,
            ),
            "train-labels-idx1-ubyte": (
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                60008,
            ),
            "t10k-images-idx3-ubyte": (
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                7840016,
            ),
            "t10k-labels-idx1-ubyte": (
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                10008,
            ),
        },
    ),
    rows={"train": 60000, "test": 10000},
    image_folder="MNIST",
)


def prepare(dataset: Dataset) -> PreparedData:
    from lrlab.datasets.prepare import prepare_idx_images

    return prepare_idx_images(dataset, SOURCE)


KIND = Kind(ImageSettings, prepare, source=SOURCE)
