"""Deterministic autoencoder: minimise the reconstruction loss; z is the bottleneck."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pydantic import PositiveInt

from genclust.config.types import PositiveNumber
from genclust.models.base import GenerativeModel
from genclust.models.likelihood import decoded_to_sample, pick_likelihood, reconstruction_nll
from genclust.models.networks import build_decoder, build_encoder, pick_architecture

RECONSTRUCTION = "loss/reconstruction"


class Autoencoder(GenerativeModel):
    main_loss = RECONSTRUCTION

    def __init__(
        self,
        input_shape: Sequence[int],
        value_range: str,
        image_shape: Sequence[int] | None = None,
        latent_dim: PositiveInt = 10,
        hidden_dims: list[PositiveInt] = (256, 128),
        architecture: str = "auto",
        likelihood: str = "auto",
        lr: PositiveNumber = 1e-3,
    ) -> None:
        super().__init__(input_shape, value_range, image_shape)
        self.save_hyperparameters(logger=False)
        self.likelihood = pick_likelihood(likelihood, value_range)
        arch = pick_architecture(architecture, self.input_shape)
        self.encoder = build_encoder(self.input_shape, latent_dim, hidden_dims, arch)
        self.decoder = build_decoder(latent_dim, self.input_shape, hidden_dims, arch)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return decoded_to_sample(self.decoder(self.encoder(x)), self.likelihood)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        loss = reconstruction_nll(self.decoder(self.encoder(batch)), batch, self.likelihood)
        self.log_losses({RECONSTRUCTION: loss}, batch_idx)
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
