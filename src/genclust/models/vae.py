"""Variational autoencoder (Kingma & Welling 2014) with a β-weighted KL term (Higgins et al. 2017).

Loss = reconstruction NLL + β·KL(q(z|x) ‖ N(0, I)), the KL in closed form, z drawn by the
reparameterisation trick. ``encode`` returns the posterior mean, the usual code for clustering.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pydantic import PositiveInt

from genclust.config.types import NonNegativeNumber, PositiveNumber
from genclust.models.base import GenerativeModel
from genclust.models.likelihood import decoded_to_sample, pick_likelihood, reconstruction_nll
from genclust.models.networks import build_decoder, build_encoder, pick_architecture

LOSS = "loss/total"
RECONSTRUCTION = "loss/reconstruction"
KL = "loss/kl"
ELBO = "elbo"


def gaussian_kl(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(log_var)) ‖ N(0, I)) per sample, summed over latent dims, batch-averaged."""
    return 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(1).mean()


class VAE(GenerativeModel):
    main_loss = LOSS

    def __init__(
        self,
        input_shape: Sequence[int],
        value_range: str,
        image_shape: Sequence[int] | None = None,
        latent_dim: PositiveInt = 10,
        hidden_dims: list[PositiveInt] = (256, 128),
        architecture: str = "auto",
        likelihood: str = "auto",
        beta: NonNegativeNumber = 1.0,
        lr: PositiveNumber = 1e-3,
    ) -> None:
        super().__init__(input_shape, value_range, image_shape)
        self.save_hyperparameters(logger=False)
        self.likelihood = pick_likelihood(likelihood, value_range)
        arch = pick_architecture(architecture, self.input_shape)
        self.encoder = build_encoder(self.input_shape, 2 * latent_dim, hidden_dims, arch)
        self.decoder = build_decoder(latent_dim, self.input_shape, hidden_dims, arch)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x)."""
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        return mean, log_var

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(x)[0]

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return decoded_to_sample(self.decoder(self.encode(x)), self.likelihood)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn(n, self.hparams.latent_dim, generator=generator).to(self.device)
        return decoded_to_sample(self.decoder(z), self.likelihood)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        mean, log_var = self.posterior(batch)
        z = mean + torch.randn_like(mean) * (0.5 * log_var).exp()
        reconstruction = reconstruction_nll(self.decoder(z), batch, self.likelihood)
        kl = gaussian_kl(mean, log_var)
        loss = reconstruction + self.hparams.beta * kl
        self.log_losses(
            {LOSS: loss, RECONSTRUCTION: reconstruction, KL: kl, ELBO: -(reconstruction + kl)},
            batch_idx,
        )
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
