"""Reconstruction likelihoods: Bernoulli for data in [0, 1], unit-variance Gaussian otherwise."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genclust.errors import UserError

LIKELIHOODS = ("auto", "bernoulli", "gaussian")


def pick_likelihood(requested: str, value_range: str) -> str:
    """``auto`` → Bernoulli when every value lies in [0, 1] (scaled pixels), else Gaussian."""
    if requested not in LIKELIHOODS:
        raise UserError(f"model.likelihood must be one of {LIKELIHOODS} (got {requested!r})")
    if requested == "bernoulli" and value_range != "unit":
        raise UserError("model.likelihood=bernoulli needs data in [0, 1]; use gaussian")
    if requested == "auto":
        return "bernoulli" if value_range == "unit" else "gaussian"
    return requested


def reconstruction_nll(decoded: torch.Tensor, x: torch.Tensor, likelihood: str) -> torch.Tensor:
    """Negative log-likelihood of ``x`` per sample, summed over dimensions, averaged over the batch.

    ``decoded`` are logits (Bernoulli) or means (Gaussian, constants dropped).
    """
    if likelihood == "bernoulli":
        per_value = F.binary_cross_entropy_with_logits(decoded, x, reduction="none")
    else:
        per_value = 0.5 * (decoded - x) ** 2
    return per_value.flatten(1).sum(1).mean()


def decoded_to_sample(decoded: torch.Tensor, likelihood: str) -> torch.Tensor:
    """The decoder output as data: probabilities for Bernoulli, means for Gaussian."""
    return torch.sigmoid(decoded) if likelihood == "bernoulli" else decoded
