"""GAN with an inverse encoder, as in ClusterGAN (Mukherjee et al. 2019).

A GAN has no encoder of its own. We train one beside the generator to invert it:
E(G(z)) ≈ z, trained jointly with the generator on ``encoder_weight``·‖E(G(z)) − z‖², the
squared norm summed over the code's dimensions as in ClusterGAN's loss. We chose this over a
BiGAN/ALI joint discriminator because the regression target is explicit and stable on small
data, while a BiGAN's encoder only learns through a three-player game that often collapses; the
same design carries over to the cluster-aware ClusterGAN. The critic is the usual discriminator
with the non-saturating loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from genclust.models.adversarial import AdversarialModel

GENERATOR = "loss/generator"
DISCRIMINATOR = "loss/discriminator"
ENCODER = "loss/encoder"


class GAN(AdversarialModel):
    main_loss = GENERATOR
    adam_betas = (0.5, 0.999)  # the usual GAN setting (Radford et al. 2016)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn(n, self.options.latent_dim, generator=generator).to(self.device)
        return self.decode(z)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        d_optimizer, ge_optimizer = self.optimizers()
        z = torch.randn(batch.shape[0], self.options.latent_dim, device=self.device)
        fake = self.decode(z)

        self.toggle_optimizer(d_optimizer)
        d_loss = _bce(self.critic(batch), 1.0) + _bce(self.critic(fake.detach()), 0.0)
        self.update_critic(d_optimizer, d_loss)
        self.untoggle_optimizer(d_optimizer)

        self.toggle_optimizer(ge_optimizer)
        g_loss = _bce(self.critic(fake), 1.0)  # non-saturating generator loss
        e_loss = self.code_regression(self.encoder(fake), z)
        self.update_generator(ge_optimizer, g_loss + self.options.encoder_weight * e_loss)
        self.untoggle_optimizer(ge_optimizer)

        self.log_losses({GENERATOR: g_loss, DISCRIMINATOR: d_loss, ENCODER: e_loss})


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))
