"""The latent codes in TensorBoard's Projector: codes, their label and cluster, thumbnails.

The Projector reads ``projector_config.pbtxt`` in a run's folder; it names a tensor file (one
code a line, tab-separated), a metadata file (a header, then one row a code) and, for images,
a sprite: one PNG with every thumbnail in a square grid, in the order of the codes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from google.protobuf import text_format
from PIL import Image
from tensorboard.plugins.projector import metadata as projector_metadata
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

from genclust.analysis.gallery import display_images
from genclust.analysis.metrics import NOISE_LABEL
from genclust.rundir.files import write_atomic

CONFIG_FILE = projector_metadata.PROJECTOR_FILENAME  # projector_config.pbtxt
PROJECTOR_DIR = "projector"  # tensors.tsv, metadata.tsv, sprite.png
TENSOR_NAME = "latent codes"
MAX_SPRITE_SIDE = 8192  # pixels; the Projector's limit for a sprite


def write_projector(
    log_dir: Path,
    rows: np.ndarray,
    codes: np.ndarray,
    clusters: np.ndarray,
    labels: np.ndarray | None = None,
    label_names: Sequence[str] | None = None,
    images: np.ndarray | None = None,
) -> None:
    """Write m codes (m, d) for the Projector, with their ``rows`` in the data set, clusters,
    labels (when known) and, for image data, their (m, C, H, W) images as a sprite."""
    folder = log_dir / PROJECTOR_DIR
    folder.mkdir(parents=True, exist_ok=True)
    codes = np.asarray(codes, dtype=np.float32).reshape(len(codes), -1)
    write_atomic(folder / "tensors.tsv", lambda f: np.savetxt(f, codes, fmt="%.6g", delimiter="\t"))
    table = _metadata(rows, clusters, labels, label_names)
    write_atomic(folder / "metadata.tsv", lambda f: f.write(table))
    config = ProjectorConfig()
    embedding = config.embeddings.add(
        tensor_name=TENSOR_NAME,
        tensor_path=f"{PROJECTOR_DIR}/tensors.tsv",
        metadata_path=f"{PROJECTOR_DIR}/metadata.tsv",
    )
    embedding.tensor_shape.extend(codes.shape)
    if images is not None:
        sprite, side = sprite_image(images)
        write_atomic(folder / "sprite.png", lambda f: sprite.save(f, format="PNG"), binary=True)
        embedding.sprite.image_path = f"{PROJECTOR_DIR}/sprite.png"
        embedding.sprite.single_image_dim.extend([side, side])
    write_atomic(log_dir / CONFIG_FILE, lambda f: f.write(text_format.MessageToString(config)))


def _metadata(
    rows: np.ndarray,
    clusters: np.ndarray,
    labels: np.ndarray | None,
    label_names: Sequence[str] | None,
) -> str:
    """A header, then per code: its label (when known), cluster (or noise), row in the data.

    Always two columns or more: the Projector reads a one-column file without a header.
    """
    columns = {}
    if labels is not None:
        columns["label"] = [
            label_names[k] if label_names is not None else str(k) for k in np.asarray(labels)
        ]
    columns["cluster"] = ["noise" if c == NOISE_LABEL else str(c) for c in np.asarray(clusters)]
    columns["row"] = [str(row) for row in np.asarray(rows)]
    lines = [
        "\t".join(columns),
        *("\t".join(values) for values in zip(*columns.values(), strict=True)),
    ]
    return "\n".join(lines) + "\n"


def sprite_image(images: np.ndarray) -> tuple[Image.Image, int]:
    """A square grid of the (m, C, H, W) images as thumbnails, row by row, and the thumbnail
    side in pixels: the images' own size, shrunk so the sprite stays within MAX_SPRITE_SIDE."""
    pictures = display_images(images)
    per_row = math.ceil(math.sqrt(len(pictures)))
    side = min(max(pictures.shape[1:3]), MAX_SPRITE_SIDE // per_row)
    sprite = Image.new("L" if pictures.ndim == 3 else "RGB", (per_row * side, per_row * side))
    for i, picture in enumerate(pictures):
        thumbnail = Image.fromarray(np.uint8(np.round(picture * 255))).resize((side, side))
        sprite.paste(thumbnail, ((i % per_row) * side, (i // per_row) * side))
    return sprite, side
