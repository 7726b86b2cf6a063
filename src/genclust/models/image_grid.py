"""Images laid out in one grid, for TensorBoard's image cards."""

from __future__ import annotations

import math

import torch


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
