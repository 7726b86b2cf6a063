"""Encode a whole data set with a trained model, batch by batch, without gradients."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from genclust.models.base import GenerativeModel


def encode_all(model: GenerativeModel, batches: Iterable[torch.Tensor]) -> np.ndarray:
    """``model.encode`` of every batch, in order, as one float32 array (n, latent_dim)."""
    was_training = model.training
    model.eval()
    with torch.inference_mode():
        codes = [model.encode(batch.to(model.device)).float().cpu() for batch in batches]
    model.train(was_training)
    return torch.cat(codes).numpy()
