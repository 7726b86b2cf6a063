"""Image grids in TensorBoard after each epoch: what an image model reconstructs and samples.

The model only offers ``reconstruct`` and ``sample``; drawing them is this callback's job. A
grid sits at the step its epoch ends on, on the same axis as the losses.
"""

from __future__ import annotations

import io
import math

import pytorch_lightning as pl
import torch
from PIL import Image
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.loggers import TensorBoardLogger
from tensorboard.compat.proto.summary_pb2 import Summary

from genclust.models.base import GenerativeModel
from genclust.models.encode import evaluating

RECONSTRUCTION_GRID = "images/reconstruction"  # TensorBoard tags of the grids
SAMPLE_GRID = "images/samples"
_GRID_SIZE = 32
_PER_ROW = 8


class ImageGrids(Callback):
    """After each epoch, on global rank 0, for image data and a TensorBoard logger: the first
    samples, each row of them above the row of their reconstructions; and samples drawn from
    the model."""

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: GenerativeModel) -> None:
        logger = trainer.logger
        if pl_module.image_shape is None or not isinstance(logger, TensorBoardLogger):
            return
        if not trainer.is_global_zero:
            return
        inputs = trainer.datamodule.x[:_GRID_SIZE].to(pl_module.device)
        with evaluating(pl_module):
            reconstructions = pl_module.reconstruct(inputs)
            # The same noise every epoch, from its own generator: the grid shows progress, and
            # drawing it leaves the training RNG alone (so resumed runs match uninterrupted ones).
            samples = pl_module.sample(_GRID_SIZE, generator=torch.Generator().manual_seed(0))
        per_row = min(_PER_ROW, len(inputs))
        grids = {SAMPLE_GRID: _as_images(samples, pl_module)}
        if reconstructions is not None:
            grids[RECONSTRUCTION_GRID] = _rows_in_pairs(
                _as_images(inputs, pl_module), _as_images(reconstructions, pl_module), per_row
            )
        for tag, images in grids.items():
            if images is not None:
                grid = image_grid(_displayable(images, pl_module.value_range), nrow=per_row)
                # torch's SummaryWriter takes a ready summary only through its file writer
                writer = logger.experiment._get_file_writer()
                writer.add_summary(png_summary(tag, grid), trainer.global_step)


def _as_images(x: torch.Tensor | None, model: GenerativeModel) -> torch.Tensor | None:
    return None if x is None else x.detach().float().cpu().reshape(-1, *model.image_shape)


def _rows_in_pairs(inputs: torch.Tensor, outputs: torch.Tensor, per_row: int) -> torch.Tensor:
    """Rows of ``per_row`` inputs, each followed by the row of their outputs."""
    n = len(inputs) // per_row * per_row  # whole rows only
    rows = [inputs[:n].unflatten(0, (-1, per_row)), outputs[:n].unflatten(0, (-1, per_row))]
    return torch.stack(rows, dim=1).flatten(0, 2)


def _displayable(images: torch.Tensor, value_range: str) -> torch.Tensor:
    """Images in [0, 1]; standardised data is stretched to that range, all by one scale."""
    if value_range != "unit":
        images = (images - images.min()) / (images.max() - images.min()).clamp_min(1e-8)
    return images.clamp(0, 1)


def png_summary(tag: str, grid: torch.Tensor) -> Summary:
    """A (C, H, W) grid in [0, 1] as TensorBoard's image summary: one PNG, grey or RGB.

    torch's ``add_image`` makes the same summary, but first resamples the picture to its own
    size with a Lanczos filter, which takes several times as long as the PNG.
    """
    channels, height, width = grid.shape
    pixels = (grid * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    encoded = io.BytesIO()
    Image.fromarray(pixels[..., 0] if channels == 1 else pixels).save(encoded, format="PNG")
    image = Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=encoded.getvalue()
    )
    return Summary(value=[Summary.Value(tag=tag, image=image)])


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> torch.Tensor:
    """(n, C, H, W) images in [0, 1] → one (C, H', W') grid, ``nrow`` per row, for png_summary.

    H' = rows·(H + padding) + padding and W' = ncol·(W + padding) + padding, padding is 0.
    """
    if images.ndim != 4:
        raise ValueError(f"image_grid expects (n, C, H, W), got shape {tuple(images.shape)}")
    n, c, h, w = images.shape
    ncol = max(1, min(nrow, n))
    rows = math.ceil(n / ncol)
    grid = images.new_zeros((c, rows * (h + padding) + padding, ncol * (w + padding) + padding))
    for i in range(n):
        top = padding + (i // ncol) * (h + padding)
        left = padding + (i % ncol) * (w + padding)
        grid[:, top : top + h, left : left + w] = images[i]
    return grid
