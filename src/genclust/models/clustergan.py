"""ClusterGAN (Mukherjee et al. 2019): a GAN whose latent code carries the cluster.

The generator draws from z = (z_n, z_c): z_n ~ σ·N(0, I) and z_c a one-hot over K clusters.
An encoder E(x) → (ẑ_n, logits ĉ) is trained jointly with the generator to invert it, with
β_n ||ẑ_n − z_n||² + β_c CE(ĉ, c) on generated samples. Because the generator shares that
loss, it must make the K one-hots give K recognisably different kinds of samples; E applied
to real data then assigns clusters (softmax(ĉ)), so no pretraining is needed. The small σ
keeps the noise part from blurring the clusters into one another.

The adversarial objective is the paper's WGAN-GP (Gulrajani et al. 2017). We measured the
non-saturating GAN loss of gan.py too: on digits (100 epochs) its discriminator wins, each
one-hot collapses to a single image (z_n ignored) and the encoder's accuracy stayed at
0.24-0.43 for every lr (2e-4 to 2e-3), width and σ we tried; WGAN-GP reaches 0.70-0.83 (four
seeds) for about four times the compute. Each critic step sees the same real batch with fresh
generated samples (Gulrajani et al. draw a fresh real batch for each), so the generator still
steps once per batch: on small data a generator step every ``critic_steps`` batches learns
too slowly for the data's epoch budget.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from genclust.models.adversarial import AdversarialModel
from genclust.models.cluster_model import ClusterModel

GENERATOR = "loss/generator"
CRITIC = "loss/critic"
ENCODER = "loss/encoder"


class ClusterGAN(ClusterModel, AdversarialModel):
    main_loss = GENERATOR
    adam_betas = (0.5, 0.9)  # the paper's, after Gulrajani et al.'s (0, 0.9)

    @property
    def encoder_width(self) -> int:  # the noise estimate and the cluster logits
        return self.options.latent_dim + self.n_clusters

    @property
    def decoder_width(self) -> int:  # the noise and the one-hot cluster
        return self.options.latent_dim + self.n_clusters

    def build_networks(self) -> None:
        # No batch norm (the builders have none): the gradient penalty is per sample.
        super().build_networks()
        # A critic's score matters only up to a constant, so its last bias would never train.
        self.critic[-1].register_parameter("bias", None)

    def invert(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """E(x) split into the noise estimate ẑ_n and the cluster logits ĉ."""
        return self.encoder(x).split([self.options.latent_dim, self.n_clusters], dim=1)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        # Both parts, as the paper's k-means on E(x) sees them.
        noise, logits = self.invert(x)
        return torch.cat([noise, logits.softmax(dim=1)], dim=1)

    def cluster_probabilities(self, x: torch.Tensor) -> torch.Tensor:
        return self.invert(x)[1].softmax(dim=1)

    def generate(self, noise: torch.Tensor, clusters: torch.Tensor) -> torch.Tensor:
        one_hot = F.one_hot(clusters, self.n_clusters).to(noise.dtype)
        return self.decode(torch.cat([noise, one_hot], dim=1))

    def draw_latent(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """n codes from the prior: z_n ~ σ·N(0, I) and a uniformly drawn cluster index."""
        device = generator.device if generator is not None else self.device
        noise = torch.randn(n, self.options.latent_dim, generator=generator, device=device)
        clusters = torch.randint(self.n_clusters, (n,), generator=generator, device=device)
        return self.options.sigma * noise.to(self.device), clusters.to(self.device)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.generate(*self.draw_latent(n, generator))

    def sample_cluster(
        self, cluster: int, n: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """n samples of one cluster: the generator fed its one-hot and fresh noise z_n."""
        if not 0 <= cluster < self.n_clusters:
            raise ValueError(f"cluster {cluster} is not one of the model's {self.n_clusters}")
        noise, _ = self.draw_latent(n, generator)
        return self.generate(noise, torch.full((n,), cluster, device=self.device))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        noise, logits = self.invert(x)
        return self.generate(noise, logits.argmax(dim=1))

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        critic_optimizer, ge_optimizer = self.optimizers()

        self.toggle_optimizer(critic_optimizer)
        for _ in range(self.options.critic_steps):
            with torch.no_grad():
                fake = self.generate(*self.draw_latent(len(batch)))
            critic_loss = self._critic_loss(batch, fake)
            self.update_critic(critic_optimizer, critic_loss)
        self.untoggle_optimizer(critic_optimizer)

        self.toggle_optimizer(ge_optimizer)
        noise, clusters = self.draw_latent(len(batch))
        fake = self.generate(noise, clusters)
        g_loss = -self.critic(fake).mean()
        e_loss = inverse_loss(
            *self.invert(fake),
            noise,
            clusters,
            self.options.noise_weight,
            self.options.cluster_weight,
        )
        self.update_generator(ge_optimizer, g_loss + e_loss)
        self.untoggle_optimizer(ge_optimizer)

        self.log_losses({GENERATOR: g_loss, CRITIC: critic_loss, ENCODER: e_loss})

    def _critic_loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """Critic's estimate of minus the Wasserstein distance, plus the gradient penalty."""
        wasserstein = self.critic(real).mean() - self.critic(fake).mean()
        penalty = gradient_penalty(self.critic, real, fake)
        return -wasserstein + self.options.penalty_weight * penalty


def inverse_loss(
    noise_estimate: torch.Tensor,
    logits: torch.Tensor,
    noise: torch.Tensor,
    clusters: torch.Tensor,
    noise_weight: float,
    cluster_weight: float,
) -> torch.Tensor:
    """β_n ||ẑ_n − z_n||² + β_c CE(ĉ, c), averaged over the batch."""
    squared_error = AdversarialModel.code_regression(noise_estimate, noise)
    return noise_weight * squared_error + cluster_weight * F.cross_entropy(logits, clusters)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Mean of (||∇D(x̂)|| − 1)² at random points x̂ between real and fake samples.

    In float32 with autocast off, also under mixed precision: a half-precision input gradient
    (float16 underflows, bfloat16 keeps 8 bits) would make the penalty noise near its target of
    1. ``create_graph`` keeps the gradient differentiable, so the critic trains on the penalty;
    under float16 GradScaler scales the whole critic loss in ``manual_backward``, this double
    backward included, and unscales the gradients before the step, so the penalty needs no
    scaling of its own (PyTorch's AMP recipe scales only an input gradient taken under autocast).
    """
    weight = torch.rand(len(real), *[1] * (real.ndim - 1), device=real.device)
    with torch.autocast(real.device.type, enabled=False):
        mixed = (weight * real.float() + (1 - weight) * fake.float()).requires_grad_(True)
        (gradient,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
        return (gradient.flatten(1).norm(dim=1) - 1).pow(2).mean()
