"""Deterministic autoencoder: minimise the reconstruction loss; z is the bottleneck."""

from __future__ import annotations

import torch

from genclust.config.models import ReconstructingOptions
from genclust.models.base import DataFacts
from genclust.models.encoder_decoder import EncoderDecoder
from genclust.models.likelihood import decoded_to_sample, pick_likelihood, reconstruction_nll

RECONSTRUCTION = "loss/reconstruction"


class Autoencoder(EncoderDecoder):
    """Also the base of the models that reconstruct their input: VAE, VaDE, DEC."""

    main_loss = RECONSTRUCTION

    def __init__(self, options: ReconstructingOptions, data: DataFacts) -> None:
        super().__init__(options, data)
        self.likelihood = pick_likelihood(options.likelihood, self.value_range)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return decoded_to_sample(self.decoder(self.encode(x)), self.likelihood)

    def reconstruction_loss(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of x given the code z, summed per sample, batch-averaged."""
        return reconstruction_nll(self.decoder(z), x, self.likelihood)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        loss = self.reconstruction_loss(self.encode(batch), batch)
        self.log_losses({RECONSTRUCTION: loss})
        return loss
