"""Image grids in TensorBoard after each epoch: what an image model reconstructs and samples.

The model only offers ``reconstruct`` and ``sample``; drawing them is this callback's job.
"""

from __future__ import annotations

import math

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Callback
from pytorch_lightning.loggers import TensorBoardLogger

from genclust.models.base import GenerativeModel
from genclust.models.encode import evaluating

RECONSTRUCTION_GRID = "images/reconstruction"  # TensorBoard tags of the grids
SAMPLE_GRID = "images/samples"
_GRID_SIZE = 32
_PER_ROW = 8


class ImageGrids(Callback):
    """After each epoch, on global rank 0: reconstructions of the first samples and samples
    drawn from the model, for image data and a TensorBoard logger."""

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: GenerativeModel) -> None:
        logger = trainer.logger
        if pl_module.image_shape is None or not isinstance(logger, TensorBoardLogger):
            return
        if not trainer.is_global_zero:
            return
        x = trainer.datamodule.x[:_GRID_SIZE].to(pl_module.device)
        with evaluating(pl_module):
            # The same noise every epoch, from its own generator: the grid shows progress, and
            # drawing it leaves the training RNG alone (so resumed runs match uninterrupted ones).
            noise = torch.Generator().manual_seed(0)
            grids = {
                RECONSTRUCTION_GRID: pl_module.reconstruct(x),
                SAMPLE_GRID: pl_module.sample(_GRID_SIZE, generator=noise),
            }
        for tag, images in grids.items():
            if images is not None:
                grid = image_grid(_displayable(images, pl_module), nrow=_PER_ROW)
                logger.experiment.add_image(tag, grid, trainer.current_epoch)


def _displayable(images: torch.Tensor, model: GenerativeModel) -> torch.Tensor:
    """Images as (n, C, H, W) in [0, 1]; standardised data is stretched to that range."""
    images = images.detach().float().cpu().reshape(-1, *model.image_shape)
    if model.value_range != "unit":
        images = (images - images.min()) / (images.max() - images.min()).clamp_min(1e-8)
    return images.clamp(0, 1)


def image_grid(images: torch.Tensor, nrow: int = 8, padding: int = 2) -> torch.Tensor:
    """(n, C, H, W) images in [0, 1] → one (C, H', W') grid, ``nrow`` per row, for add_image.

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
