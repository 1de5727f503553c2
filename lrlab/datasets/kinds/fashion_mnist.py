"""Fashion-MNIST (lesson 003): 70,000 grey 28×28 pictures of ten kinds of clothing, in the
official split.

``download@<dataset>`` fetches the four IDX files below (each pinned by the sha256 of its
decompressed content) where torchvision reads them; ``prepare@<dataset>`` scales the pixels to
[0, 1], then ``(x - mean) / std`` once (:func:`lrlab.datasets.prepare.prepare_images`), and
records the class names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrlab.datasets.fetch.sources import RemoteDataset, idx_files
from lrlab.datasets.kinds import Dataset, ImageSettings, Kind

if TYPE_CHECKING:
    from lrlab.core.prepared import PreparedData

CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

SOURCE = RemoteDataset(
    name="fashion-mnist",
    urls=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    files=idx_files(
        "FashionMNIST",
        {
            "train-images-idx3-ubyte": (
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                47040016,
            ),
            "train-labels-idx1-ubyte": (
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                60008,
            ),
            "t10k-images-idx3-ubyte": (
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                7840016,
            ),
            "t10k-labels-idx1-ubyte": (
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                10008,
            ),
        },
    ),
    rows={"train": 60000, "test": 10000},
    image_folder="FashionMNIST",
    class_names=CLASSES,
)


def prepare(dataset: Dataset) -> PreparedData:
    from lrlab.datasets.prepare import prepare_idx_images

    return prepare_idx_images(dataset, SOURCE)


KIND = Kind(ImageSettings, prepare, source=SOURCE)
