"""GAN with an inverse encoder, as in ClusterGAN (Mukherjee et al. 2019).

A GAN has no encoder of its own. We train one beside the generator to invert it:
E(G(z)) ≈ z, trained jointly with the generator. We chose this over a BiGAN/ALI joint
discriminator because the regression target is explicit and stable on small data, while a
BiGAN's encoder only learns through a three-player game that often collapses; the same
design carries over to the cluster-aware ClusterGAN. Lightning 2.x manual optimization
runs the discriminator and generator+encoder updates one after the other each step.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import torch
import torch.nn.functional as F
from pydantic import PositiveInt
from torch import nn

from genclust.config.types import NonNegativeNumber, PositiveNumber
from genclust.models.base import GenerativeModel
from genclust.models.networks import build_decoder, build_encoder, pick_architecture

GENERATOR = "loss/generator"
DISCRIMINATOR = "loss/discriminator"
ENCODER = "loss/encoder"


class GAN(GenerativeModel):
    main_loss = GENERATOR
    leaves_parameters_unused = True  # each player's update leaves the other's weights alone

    def __init__(
        self,
        input_shape: Sequence[int],
        value_range: str,
        image_shape: Sequence[int] | None = None,
        latent_dim: PositiveInt = 10,
        hidden_dims: list[PositiveInt] = (256, 128),
        architecture: str = "auto",
        encoder_weight: NonNegativeNumber = 1.0,
        lr: PositiveNumber = 2e-4,
    ) -> None:
        super().__init__(input_shape, value_range, image_shape)
        self.save_hyperparameters(logger=False)
        self.automatic_optimization = False
        arch = pick_architecture(architecture, self.input_shape)
        leaky = partial(nn.LeakyReLU, 0.2)
        self.generator = build_decoder(latent_dim, self.input_shape, hidden_dims, arch)
        self.discriminator = build_encoder(self.input_shape, 1, hidden_dims, arch, leaky)
        self.encoder = build_encoder(self.input_shape, latent_dim, hidden_dims, arch)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        out = self.generator(z)
        return torch.sigmoid(out) if self.value_range == "unit" else out

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn(n, self.hparams.latent_dim, generator=generator).to(self.device)
        return self.generate(z)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.generate(self.encode(x))

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        d_optimizer, ge_optimizer = self.optimizers()
        z = torch.randn(batch.shape[0], self.hparams.latent_dim, device=self.device)
        fake = self.generate(z)

        self.toggle_optimizer(d_optimizer)
        real_logits = self.discriminator(batch)
        fake_logits = self.discriminator(fake.detach())
        d_loss = _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)
        d_optimizer.zero_grad()
        self.manual_backward(d_loss)
        d_optimizer.step()
        self.untoggle_optimizer(d_optimizer)

        self.toggle_optimizer(ge_optimizer)
        g_loss = _bce(self.discriminator(fake), 1.0)  # non-saturating generator loss
        e_loss = F.mse_loss(self.encoder(fake), z)
        ge_optimizer.zero_grad()
        self.manual_backward(g_loss + self.hparams.encoder_weight * e_loss)
        ge_optimizer.step()
        self.untoggle_optimizer(ge_optimizer)

        self.log_losses({GENERATOR: g_loss, DISCRIMINATOR: d_loss, ENCODER: e_loss}, batch_idx)

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        betas = (0.5, 0.999)  # the usual GAN setting (Radford et al. 2016)
        generator_and_encoder = [*self.generator.parameters(), *self.encoder.parameters()]
        return [
            torch.optim.Adam(self.discriminator.parameters(), lr=self.hparams.lr, betas=betas),
            torch.optim.Adam(generator_and_encoder, lr=self.hparams.lr, betas=betas),
        ]


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))
