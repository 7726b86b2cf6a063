"""No model: the code of a sample is the sample itself, flattened.

The baseline every method must beat (k-means on raw pixels in the papers' tables). It has no
parameters, so Lightning's epochs pass without updates and every analysis option still applies.
"""

from __future__ import annotations

import torch

from genclust.models.base import GenerativeModel


class Raw(GenerativeModel):
    main_loss = "loss/none"

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        return None  # nothing to learn

    def configure_optimizers(self) -> None:
        return None
