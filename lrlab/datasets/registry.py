"""Where each remote dataset comes from and what its files must contain.

Every file is pinned by the sha256 and byte size of its *decompressed* content, which is the
same whichever source served it (the canonical URLs publish gzip archives; a mirror may hold
recompressed copies). ``output`` is the file's path inside ``data/raw/<dataset>/``, laid out so
that ``torchvision.datasets.MNIST(root="data/raw/mnist", download=False)`` finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

MNIST_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
FASHION_MNIST_URLS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
EXAM_SCORES_URLS = (
    "https://raw.githubusercontent.com/L1aoXingyu/code-of-learn-deep-learning-with-pytorch/"
    "master/chapter3_NN/logistic-regression/",
)
DIABETES_URLS = ("https://raw.githubusercontent.com/hunkim/PyTorchZeroToAll/master/data/",)

FASHION_MNIST_CLASSES = (
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


@dataclass(frozen=True)
class RemoteFile:
    """One published file: fetched as ``<base url><published>``, stored at ``output``."""

    published: str
    sha256: str
    size: int | None  # None: not known in advance (your own file at a URL); sha256 decides
    output: str
    gzipped: bool = False


@dataclass(frozen=True)
class RemoteDataset:
    """A downloadable dataset: its base URLs (tried in order), files and expected rows.

    ``rows`` maps a split (``train``/``test``, or ``all`` for a single table) to its number of
    examples; ``image_folder`` is the torchvision class name for MNIST-style sets.
    """

    name: str
    urls: tuple[str, ...]
    files: tuple[RemoteFile, ...]
    rows: dict[str, int] = field(default_factory=dict, hash=False)
    image_folder: str | None = None
    class_names: tuple[str, ...] | None = None


def _idx_files(folder: str, digests: dict[str, tuple[str, int]]) -> tuple[RemoteFile, ...]:
    return tuple(
        RemoteFile(f"{stem}.gz", sha, size, f"{folder}/raw/{stem}", gzipped=True)
        for stem, (sha, size) in digests.items()
    )


MNIST = RemoteDataset(
    name="mnist",
    urls=MNIST_URLS,
    files=_idx_files(
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

FASHION_MNIST = RemoteDataset(
    name="fashion-mnist",
    urls=FASHION_MNIST_URLS,
    files=_idx_files(
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
    class_names=FASHION_MNIST_CLASSES,
)

EXAM_SCORES = RemoteDataset(
    name="exam-scores",
    urls=EXAM_SCORES_URLS,
    files=(
        RemoteFile(
            "data.txt",
            "ed7298995232c17a7f1bc50c9807cb7216337563e4a7c00bfcaa8f5d6bd32f02",
            3775,
            "data.txt",
        ),
    ),
    rows={"all": 100},
)

DIABETES = RemoteDataset(
    name="diabetes",
    urls=DIABETES_URLS,
    files=(
        RemoteFile(
            "diabetes.csv.gz",
            "89e33de71cd5afdcd4fe8a722b60c4d69eb8f9b96446cea9347d735ff2df395e",
            53438,
            "diabetes.csv",
            gzipped=True,
        ),
    ),
    rows={"all": 759},
)

REMOTE: dict[str, RemoteDataset] = {
    spec.name: spec for spec in (MNIST, FASHION_MNIST, EXAM_SCORES, DIABETES)
}


def url_dataset(name: str, url: str, sha256: str) -> RemoteDataset:
    """Your own file at ``url`` as a one-file :class:`RemoteDataset`, stored under its name."""
    cut = url.rindex("/") + 1
    output = PurePosixPath(urlsplit(url).path).name or "data.csv"
    return RemoteDataset(name, (url[:cut],), (RemoteFile(url[cut:], sha256, None, output),))
