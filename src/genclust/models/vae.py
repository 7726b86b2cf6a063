"""Variational autoencoder (Kingma & Welling 2014) with a β-weighted KL term (Higgins et al. 2017).

Loss = reconstruction NLL + β·KL(q(z|x) ‖ N(0, I)), the KL in closed form, z drawn by the
reparameterisation trick. ``encode`` returns the posterior mean, the usual code for clustering.
"""

from __future__ import annotations

import torch

from genclust.models.autoencoder import RECONSTRUCTION, Autoencoder
from genclust.models.likelihood import decoded_to_sample

LOSS = "loss/total"
KL = "loss/kl"
ELBO = "elbo"


def gaussian_kl(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(log_var)) ‖ N(0, I)) per sample, summed over latent dims, batch-averaged."""
    return 0.5 * (mean.pow(2) + log_var.exp() - 1.0 - log_var).sum(1).mean()


class VAE(Autoencoder):
    """Also the base of VaDE, which shares its Gaussian posterior."""

    main_loss = LOSS

    @property
    def encoder_width(self) -> int:  # mean and log-variance of q(z|x)
        return 2 * self.options.latent_dim

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of q(z|x)."""
        mean, log_var = self.encoder(x).chunk(2, dim=1)
        return mean, log_var

    @staticmethod
    def draw_code(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
        """z ~ q(z|x) by the reparameterisation trick."""
        return mean + torch.randn_like(mean) * (0.5 * log_var).exp()

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.posterior(x)[0]

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn(n, self.options.latent_dim, generator=generator).to(self.device)
        return decoded_to_sample(self.decoder(z), self.likelihood)

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        mean, log_var = self.posterior(batch)
        reconstruction = self.reconstruction_loss(self.draw_code(mean, log_var), batch)
        kl = gaussian_kl(mean, log_var)
        loss = reconstruction + self.options.beta * kl
        self.log_losses(
            {LOSS: loss, RECONSTRUCTION: reconstruction, KL: kl, ELBO: -(reconstruction + kl)}
        )
        return loss
