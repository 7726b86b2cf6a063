"""MNIST and Fashion-MNIST from their four IDX files, looked up in a few known places.

Both datasets ship as the same four files, so one helper loads either; only the folder names,
the class names and the advice on how to get the files differ.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np

from genclust.data.arrays import ArrayData
from genclust.data.idx import read_idx
from genclust.errors import UserError

Split = Literal["train", "test", "all"]

_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_CLASSES = [str(digit) for digit in range(10)]
FASHION_MNIST_CLASSES = [
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
]
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def load_mnist(root: str | None = None, split: Split = "all") -> ArrayData:
    """Handwritten digits 0-9, 28x28 grey; ``split`` picks 60k train, 10k test or all 70k."""
    return _load_idx_dataset(
        "mnist",
        root,
        split,
        MNIST_CLASSES,
        extra_dirs=[],
        how_to_get="download the four IDX files from http://yann.lecun.com/exdb/mnist/ "
        "(or a mirror) into a folder and pass data.root=<folder>",
    )


def load_fashion_mnist(root: str | None = None, split: Split = "all") -> ArrayData:
    """Zalando clothing images in 10 classes, 28x28 grey; same files and splits as MNIST."""
    return _load_idx_dataset(
        "fashion_mnist",
        root,
        split,
        FASHION_MNIST_CLASSES,
        extra_dirs=[DEBIAN_FASHION_MNIST],
        how_to_get="install them with `sudo apt-get install dataset-fashion-mnist`, or put the "
        "four IDX files in a folder and pass data.root=<folder>",
    )


def _load_idx_dataset(
    name: str,
    root: str | None,
    split: Split,
    label_names: list[str],
    extra_dirs: list[Path],
    how_to_get: str,
) -> ArrayData:
    if split not in ("train", "test", "all"):
        raise UserError(f"data.split must be train, test or all (got {split!r})")
    parts = ["train", "test"] if split == "all" else [split]
    stems = [stem for part in parts for stem in _STEMS[part]]
    files = _find_files(name, stems, _candidate_dirs(name, root, extra_dirs), how_to_get)
    images, labels = [], []
    for part in parts:
        image_stem, label_stem = _STEMS[part]
        part_images, part_labels = read_idx(files[image_stem]), read_idx(files[label_stem])
        if part_images.ndim != 3 or part_labels.ndim != 1 or len(part_images) != len(part_labels):
            raise UserError(
                f"{files[image_stem]} and {files[label_stem]} do not match: images "
                f"{part_images.shape}, labels {part_labels.shape}; expected (n, H, W) "
                "and (n,)"
            )
        images.append(part_images)
        labels.append(part_labels)
    pixels = np.concatenate(images)
    x = pixels.astype(np.float32)[:, None]  # (n, 1, H, W)
    x /= 255.0
    return ArrayData(
        x=x,
        y=np.concatenate(labels).astype(np.int64),
        name=name if split == "all" else f"{name}-{split}",
        value_range="unit",
        image_shape=(1, *pixels.shape[1:]),
        label_names=label_names,
    )


def _candidate_dirs(name: str, root: str | None, extra_dirs: list[Path]) -> list[Path | str]:
    """Where to look: only ``root`` when given; else $GENCLUST_DATA, the user cache, extras."""
    if root is not None:
        return [Path(root).expanduser()]
    env = os.environ.get("GENCLUST_DATA")
    from_env: Path | str = Path(env) / name if env else f"$GENCLUST_DATA/{name} (not set)"
    return [from_env, Path.home() / ".cache" / "genclust" / name, *extra_dirs]


def _find_files(
    name: str, stems: list[str], dirs: list[Path | str], how_to_get: str
) -> dict[str, Path]:
    """Return stem → file from the first folder holding all of them, else one UserError."""
    looked = []
    for folder in dirs:
        if isinstance(folder, str):  # a place we could not look (unset variable)
            looked.append(f"  {folder}")
            continue
        found = {stem: _existing(folder, stem) for stem in stems}
        missing = [f"{stem}[.gz]" for stem, path in found.items() if path is None]
        if not missing:
            return {stem: path for stem, path in found.items() if path is not None}
        looked.append(f"  {folder.absolute()} (missing {', '.join(missing)})")
    raise UserError(
        f"data={name}: dataset files not found. Looked in:\n"
        + "\n".join(looked)
        + f"\nTo fix: {how_to_get}."
    )


def _existing(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None
