"""PNG or JPEG files as an image model's input, by the recipe in its model file.

Each image must have the model's size (28 x 28 for the MNIST-style datasets); RGB and other
modes are converted to 8-bit gray (Pillow's ``L``: ITU-R 601-2 luma). Like MNIST's, digits
are light on a dark background. Pixels are scaled as the dataset's were
(:func:`lrlab.core.inputs.scale_pixels`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lrlab.base.errors import DataError
from lrlab.core.inputs import scale_pixels

SUFFIXES = (".png", ".jpg", ".jpeg")


def image_files(paths: list[Path]) -> list[Path]:
    """``paths`` with each folder replaced by its PNG and JPEG files, sorted by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
            if not found:
                raise DataError(f"{path}: a folder with no .png, .jpg or .jpeg file in it.")
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise DataError(f"{path}: no such file or folder.")
    return files


def read_image(path: Path, shape: list[int]) -> np.ndarray:
    """One image as 8-bit gray pixels ``[h, w]``."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            if image.format not in ("PNG", "JPEG"):
                raise DataError(f"{path}: a {image.format} image; lrlab predict reads PNG or JPEG.")
            gray = np.asarray(image.convert("L"), dtype=np.uint8)
    except UnidentifiedImageError:
        raise DataError(f"{path}: not a PNG or JPEG image (Pillow cannot identify it).") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read as an image ({exc}).") from None
    if list(gray.shape) != list(shape):
        height, width = shape
        raise DataError(
            f"{path}: {gray.shape[1]} x {gray.shape[0]} pixels; the model takes {width} x {height} "
            "grayscale images (light digits or items on a dark background, as in MNIST). "
            "Resize it first."
        )
    return gray


def read_images(paths: list[Path], recipe: dict[str, Any]) -> tuple[np.ndarray, list[Path]]:
    """The model's input ``[n, h * w]`` (float32) from the images in ``paths``, and the files."""
    files = image_files(paths)
    pixels = np.stack([read_image(path, recipe["shape"]) for path in files])
    return scale_pixels(pixels, recipe["mean"], recipe["std"]), files
