"""Run a model over a whole data set, batch by batch, in eval mode and without gradients."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import numpy as np
import torch

from genclust.models.base import GenerativeModel


@contextmanager
def evaluating(model: GenerativeModel) -> Iterator[None]:
    """``model`` in eval mode without gradients; its training mode comes back afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def encode_all(model: GenerativeModel, batches: Iterable[torch.Tensor]) -> np.ndarray:
    """``model.encode`` of every batch, in order, as one float32 array (n, latent_dim)."""
    return _map_batches(model, batches, lambda x: model.encode(x).float()).numpy()


def assign_all(model: GenerativeModel, batches: Iterable[torch.Tensor]) -> np.ndarray:
    """A cluster-aware model's own cluster of every sample, in order (int64)."""
    return _map_batches(model, batches, model.cluster_assign).numpy().astype(np.int64)


def encode_and_assign(model: GenerativeModel, datamodule, batch_size: int):
    """Codes of every sample and, for a cluster-aware model, its own clusters (else None)."""
    z = encode_all(model, datamodule.ordered_batches(batch_size))
    if not model.assigns_clusters:
        return z, None
    return z, assign_all(model, datamodule.ordered_batches(batch_size))


def _map_batches(
    model: GenerativeModel,
    batches: Iterable[torch.Tensor],
    function: Callable[[torch.Tensor], torch.Tensor],
) -> torch.Tensor:
    with evaluating(model):
        return torch.cat([function(batch.to(model.device)).cpu() for batch in batches])
