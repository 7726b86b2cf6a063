"""A folder of image files as data: class subfolders give labels, a flat folder has none.

The layout is torchvision's ImageFolder convention, so folders prepared for it work unchanged:
``root/<class>/**/<image>``, the classes being the sorted subfolder names. Every image is
decoded with Pillow, converted to greyscale or RGB, resized to one size and scaled to [0, 1],
so the model sees MNIST-like data (and picks the conv net when the sides suit it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image, UnidentifiedImageError

from genclust.data.arrays import ArrayData
from genclust.errors import UserError

# Pillow reads these (torchvision's IMG_EXTENSIONS); other files, e.g. a README, are not images.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
_MODES = {1: "L", 3: "RGB"}
_SHOWN_FILES = 5  # how many unreadable files a message names


def load_images(
    path: str | None = None,
    size: int | list[int] = 32,
    channels: Literal[1, 3] = 3,
) -> ArrayData:
    """Every image below the folder ``path``, resized to ``size`` (one side, or [height, width])
    with ``channels`` 1 (greyscale) or 3 (RGB), as (n, channels, height, width) in [0, 1].

    Any file with an image suffix that Pillow cannot decode stops the run with one message that
    names every such file (up to a few, and their count): skipping them would quietly change
    the data and its class balance.
    """
    if path is None:
        raise UserError("data=images needs data.path=<folder of images>")
    root = Path(path).expanduser()
    if not root.is_dir():
        raise UserError(f"data.path: no such folder {path!r} (looked for {root.absolute()})")
    height, width = (size, size) if isinstance(size, int) else size
    files, y, label_names = _image_files(root)
    x = np.empty((len(files), channels, height, width), np.float32)
    unreadable = []
    for row, file in enumerate(files):
        try:
            x[row] = _pixels(file, _MODES[channels], (width, height))
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
            unreadable.append(f"{file.relative_to(root)} ({error.__class__.__name__})")
    if unreadable:
        shown = ", ".join(unreadable[:_SHOWN_FILES])
        more = ", ..." if len(unreadable) > _SHOWN_FILES else ""
        raise UserError(
            f"{root}: {len(unreadable)} of {len(files)} images cannot be read: "
            f"{shown}{more}; delete or replace them"
        )
    return ArrayData(
        x=x,
        y=y,
        name=root.name,
        value_range="unit",
        image_shape=(channels, height, width),
        label_names=label_names,
    )


def _image_files(root: Path) -> tuple[list[Path], np.ndarray | None, list[str] | None]:
    """The image files below ``root`` in a fixed order, with their classes when ``root`` has
    class subfolders (each class's images found at any depth below its folder)."""
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not _hidden(p, root))
    loose = _images_in(root, recursive=False)
    if not classes:
        if not loose:
            raise UserError(
                f"{root} holds no images ({', '.join(IMAGE_SUFFIXES)}), and no class subfolders"
            )
        return loose, None, None
    if loose:
        raise UserError(
            f"{root} holds class subfolders ({', '.join(classes)}) and also {len(loose)} "
            f"image{'s' if len(loose) > 1 else ''} outside them (e.g. {loose[0].name}): move "
            "those into a class folder, or point data.path at a folder of images alone"
        )
    files, labels = [], []
    for label, name in enumerate(classes):
        found = _images_in(root / name, recursive=True)
        if not found:
            raise UserError(
                f"{root}: the class folder {name!r} holds no images; remove it or add its images"
            )
        files += found
        labels += [label] * len(found)
    return files, np.array(labels, dtype=np.int64), classes


def _images_in(folder: Path, recursive: bool) -> list[Path]:
    """Image files in ``folder`` (and below it, if ``recursive``), skipping hidden ones."""
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(
        p
        for p in candidates
        if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not _hidden(p, folder)
    )


def _hidden(path: Path, below: Path) -> bool:
    """Whether ``path`` or a folder between it and ``below`` is hidden (.git, .cache)."""
    return any(part.startswith(".") for part in path.relative_to(below).parts)


def _pixels(file: Path, mode: str, size: tuple[int, int]) -> np.ndarray:
    """The image in ``file`` as (channels, height, width) in [0, 1]; ``size`` is (width, height)."""
    with Image.open(file) as image:
        image = image.convert(mode).resize(size, Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)
