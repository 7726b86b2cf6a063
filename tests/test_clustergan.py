"""ClusterGAN: its losses against hand-computed cases, its prior, a real short fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from pytorch_lightning.plugins.precision import MixedPrecision
from tests.conftest import fit_briefly, options
from torch import nn

from genclust.data.arrays import ArrayData
from genclust.data.datamodule import ArrayDataModule
from genclust.models import build_model
from genclust.models.base import DataFacts
from genclust.models.clustergan import ClusterGAN, gradient_penalty, inverse_loss


def _datamodule(shape: tuple[int, ...], n: int = 48) -> ArrayDataModule:
    rng = np.random.default_rng(0)
    x = rng.random((n, *shape), dtype=np.float32)
    image_shape = shape if len(shape) == 3 else None
    data = ArrayData(
        x=x, y=rng.integers(0, 3, n), name="toy", value_range="unit", image_shape=image_shape
    )
    return ArrayDataModule(data, batch_size=16, seed=0)


def test_short_fit_gives_valid_assignments():
    datamodule = _datamodule((12,))
    clustergan = options("model", "clustergan", latent_dim=3, hidden_dims=[16], critic_steps=2)
    model = build_model(clustergan, datamodule.input_shape, "unit", None, datamodule.n_classes)
    assert model.n_clusters == 3  # n_clusters: null took the data's number of classes
    trainer = fit_briefly(model, datamodule, max_steps=3)  # one epoch of 3 batches

    # A step is a batch, though each batch updates the critic twice and the generator once
    # (steps counted optimizer updates before, which put the GANs on their own step axis).
    assert trainer.global_step == 3 and trainer.current_epoch == 1
    critic_optimizer, generator_optimizer = trainer.optimizers
    assert {int(s["step"]) for s in critic_optimizer.state.values()} == {2 * 3}
    assert {int(s["step"]) for s in generator_optimizer.state.values()} == {3}
    clusters = model.cluster_assign(datamodule.x)
    assert clusters.shape == (48,) and clusters.dtype == torch.int64
    assert clusters.min() >= 0 and clusters.max() < 3
    codes = model.encode(datamodule.x)
    assert codes.shape == (48, 3 + 3)
    torch.testing.assert_close(codes[:, 3:], model.cluster_probabilities(datamodule.x))
    assert torch.isfinite(codes).all()


def test_prior_draws_the_one_hot_uniformly_from_the_given_generator():
    clustergan = options("model", "clustergan", latent_dim=4, n_clusters=5, hidden_dims=[8])
    model = ClusterGAN(clustergan, DataFacts((1, 8, 8), "unit", (1, 8, 8)))
    rng_state = torch.get_rng_state()
    noise, clusters = model.draw_latent(20_000, torch.Generator().manual_seed(1))
    assert torch.equal(torch.get_rng_state(), rng_state)  # the global RNG was left alone
    # Each cluster's share within 5 binomial standard deviations of 1/5.
    counts = torch.bincount(clusters, minlength=5).double()
    assert (counts / 20_000 - 0.2).abs().max() < 5 * math.sqrt(0.2 * 0.8 / 20_000)
    assert abs(noise.std().item() - 0.1) < 0.005 and abs(noise.mean().item()) < 0.005

    samples = model.sample(6, torch.Generator().manual_seed(1))
    assert samples.shape == (6, 1, 8, 8) and samples.min() >= 0 and samples.max() <= 1
    torch.testing.assert_close(samples, model.sample(6, torch.Generator().manual_seed(1)))


def test_reconstruction_decodes_the_most_probable_cluster():
    clustergan = options("model", "clustergan", latent_dim=2, n_clusters=3, hidden_dims=[8])
    model = ClusterGAN(clustergan, DataFacts((6,), "real"))
    x = torch.randn(5, 6)
    noise, logits = model.invert(x)
    torch.testing.assert_close(model.reconstruct(x), model.generate(noise, logits.argmax(1)))


def test_gradient_penalty_of_a_linear_critic_is_exact():
    # D(x) = w·x has gradient w everywhere, so the penalty is (|w| − 1)² at any mixing point.
    critic = nn.Sequential(nn.Flatten(), nn.Linear(4, 1))
    with torch.no_grad():
        critic[1].weight.copy_(torch.tensor([[2.0, 0.0, -2.0, 1.0]]))  # |w| = 3
    real, fake = torch.rand(7, 1, 2, 2), torch.rand(7, 1, 2, 2)
    torch.testing.assert_close(gradient_penalty(critic, real, fake), torch.tensor(4.0))
    with torch.no_grad():
        critic[1].weight.copy_(torch.tensor([[0.6, 0.0, 0.8, 0.0]]))  # |w| = 1
    torch.testing.assert_close(gradient_penalty(critic, real, fake), torch.tensor(0.0))


def test_gradient_penalty_trains_the_critic():
    critic = nn.Linear(3, 1)
    gradient_penalty(critic, torch.rand(4, 3), torch.rand(4, 3)).backward()
    assert critic.weight.grad is not None and critic.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("half", [torch.bfloat16, torch.float16])
def test_gradient_penalty_is_computed_in_float32_under_autocast(half):
    critic = nn.Sequential(nn.Linear(5, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))
    real, fake = torch.rand(6, 5), torch.rand(6, 5)
    torch.manual_seed(0)  # the same mixing weights both times
    exact = gradient_penalty(critic, real, fake)
    torch.manual_seed(0)
    with torch.autocast("cpu", dtype=half):
        mixed_precision = gradient_penalty(critic, real, fake.to(half))
    assert mixed_precision.dtype == torch.float32
    torch.testing.assert_close(mixed_precision, exact)  # float32's tolerance, not half's


class _CountingScaler(torch.amp.GradScaler):
    updates = 0

    def update(self, new_scale=None) -> None:
        self.updates += 1
        super().update(new_scale)


def test_clustergan_trains_with_float16_and_a_grad_scaler():
    # Manual optimisation under GradScaler: manual_backward scales the critic loss (penalty's
    # double backward included); each update unscales, steps and updates the scale.
    datamodule = _datamodule((12,))
    clustergan = options("model", "clustergan", latent_dim=3, hidden_dims=[16], critic_steps=2)
    model = build_model(clustergan, datamodule.input_shape, "unit", None, datamodule.n_classes)
    before = [p.detach().clone() for p in model.parameters()]
    scaler = _CountingScaler("cpu", init_scale=2.0**10)
    trainer = pl.Trainer(
        max_steps=3,
        accelerator="cpu",
        plugins=[MixedPrecision("16-mixed", "cpu", scaler)],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, datamodule=datamodule)
    assert trainer.precision_plugin.scaler is scaler
    assert scaler.updates == 3 * (2 + 1)  # 3 batches × (2 critic + 1 generator) scaled steps
    changed = [not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True)]
    assert all(changed), "some parameters never stepped under the scaler"
    assert all(math.isfinite(float(v)) for v in trainer.callback_metrics.values())


def test_inverse_loss_is_zero_when_the_encoder_inverts_exactly():
    noise = torch.tensor([[0.1, -0.2], [0.3, 0.0]])
    clusters = torch.tensor([2, 0])
    sure = 100.0 * F.one_hot(clusters, 4).float()  # softmax puts all its mass on the true one
    loss = inverse_loss(noise, sure, noise, clusters, noise_weight=10.0, cluster_weight=10.0)
    assert loss.item() == 0.0


def test_inverse_loss_matches_a_hand_computed_case():
    # Errors (1, 2) and (0, 0): mean squared norm 2.5; uniform logits over 4: CE = log 4.
    noise = torch.zeros(2, 2)
    estimate = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    loss = inverse_loss(estimate, torch.zeros(2, 4), noise, torch.tensor([1, 3]), 10.0, 3.0)
    torch.testing.assert_close(loss, torch.tensor(10.0 * 2.5 + 3.0 * math.log(4)))


def test_sample_cluster_feeds_that_one_hot_with_fresh_noise():
    clustergan = options("model", "clustergan", latent_dim=4, n_clusters=5, hidden_dims=[8])
    model = ClusterGAN(clustergan, DataFacts((1, 8, 8), "unit", (1, 8, 8)))
    with torch.no_grad():
        samples = model.sample_cluster(2, 6, torch.Generator().manual_seed(3))
        noise, _ = model.draw_latent(6, torch.Generator().manual_seed(3))  # the same noise
        expected = model.generate(noise, torch.full((6,), 2))
        other = model.generate(noise, torch.full((6,), 4))
    assert samples.shape == (6, 1, 8, 8)
    torch.testing.assert_close(samples, expected)
    assert not torch.allclose(samples, other)  # the one-hot matters
    with pytest.raises(ValueError, match="cluster -1 is not one of the model's 5"):
        model.sample_cluster(-1, 1)
