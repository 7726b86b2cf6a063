"""VaDE: its closed-form ELBO against hand-computed numbers, its GMM start, a real two-phase fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from tests.conftest import fit_briefly, options

from genclust.data.arrays import ArrayData
from genclust.data.datamodule import ArrayDataModule
from genclust.models import MODELS, build_model
from genclust.models.base import DataFacts
from genclust.models.vade import VaDE, mixture_log_posterior, vade_kl
from genclust.models.vae import gaussian_kl


def _normal_pdf(x: float, mean: float, var: float) -> float:
    return math.exp(-((x - mean) ** 2) / (2 * var)) / math.sqrt(2 * math.pi * var)


def test_kl_and_gamma_match_a_hand_computed_case():
    # One 1-D code, q(z|x) = N(0.5, 0.25); prior 0.3·N(-1, 0.5) + 0.7·N(2, 2); γ taken at z = 0.5.
    weights, means, variances = [0.3, 0.7], [-1.0, 2.0], [0.5, 2.0]
    m, s2, z = 0.5, 0.25, 0.5
    joint = [w * _normal_pdf(z, mu, v) for w, mu, v in zip(weights, means, variances, strict=True)]
    gamma = [p / sum(joint) for p in joint]
    # Gaussian expectations under q: E[log q] = -½ log(2πe s²), E[log N(z; μ, v)] likewise.
    expected_log_q = -0.5 * (math.log(2 * math.pi) + 1 + math.log(s2))
    expected_log_p = [
        -0.5 * (math.log(2 * math.pi) + math.log(v) + (s2 + (m - mu) ** 2) / v)
        for mu, v in zip(means, variances, strict=True)
    ]
    kl = expected_log_q + sum(
        g * (-lp - math.log(w) + math.log(g))
        for g, lp, w in zip(gamma, expected_log_p, weights, strict=True)
    )

    got_kl, got_gamma = vade_kl(
        torch.tensor([[m]], dtype=torch.float64),
        torch.tensor([[math.log(s2)]], dtype=torch.float64),
        torch.tensor([[z]], dtype=torch.float64),
        torch.tensor(weights, dtype=torch.float64).log(),
        torch.tensor(means, dtype=torch.float64).unsqueeze(1),
        torch.tensor(variances, dtype=torch.float64).log().unsqueeze(1),
    )
    assert math.isclose(got_kl.item(), kl, rel_tol=1e-12)
    np.testing.assert_allclose(got_gamma.numpy(), [gamma], rtol=1e-12)


def test_gamma_rows_are_distributions_and_the_kl_is_batch_averaged():
    torch.manual_seed(0)
    mean, log_var, z = torch.randn(6, 3), torch.randn(6, 3), torch.randn(6, 3)
    prior = torch.randn(4).log_softmax(0), torch.randn(4, 3), torch.randn(4, 3)
    kl, gamma = vade_kl(mean, log_var, z, *prior)
    assert gamma.shape == (6, 4) and (gamma >= 0).all()
    torch.testing.assert_close(gamma.sum(1), torch.ones(6))
    torch.testing.assert_close(gamma, mixture_log_posterior(z, *prior).exp())
    per_sample = [
        vade_kl(mean[i : i + 1], log_var[i : i + 1], z[i : i + 1], *prior)[0] for i in range(6)
    ]
    torch.testing.assert_close(kl, torch.stack(per_sample).mean())


def test_one_standard_normal_cluster_gives_the_vae_kl():
    torch.manual_seed(0)
    mean, log_var, z = torch.randn(5, 4), torch.randn(5, 4), torch.randn(5, 4)
    kl, gamma = vade_kl(mean, log_var, z, torch.zeros(1), torch.zeros(1, 4), torch.zeros(1, 4))
    torch.testing.assert_close(kl, gaussian_kl(mean, log_var))
    assert torch.equal(gamma, torch.ones(5, 1))


def test_initialise_clusters_fits_the_mixture_to_the_codes():
    # Three tight, well-apart blobs of 100, 200 and 300 codes: the GMM must find them.
    rng = np.random.default_rng(0)
    centres = np.array([[-10.0, 0.0], [0.0, 10.0], [10.0, 0.0]])
    sizes, spread = [100, 200, 300], [0.5, 1.0, 2.0]
    codes = np.concatenate(
        [
            c + s * rng.standard_normal((n, 2))
            for c, n, s in zip(centres, sizes, spread, strict=True)
        ]
    )
    vade = options("model", "vade", latent_dim=2, hidden_dims=[8], n_clusters=3)
    model = VaDE(vade, DataFacts((4,), "real"))
    torch.manual_seed(0)
    model.initialise_clusters(torch.tensor(codes, dtype=torch.float32))

    order = np.argsort(model.cluster_means[:, 0].detach().numpy())  # left, top, right
    np.testing.assert_allclose(model.cluster_means.detach().numpy()[order], centres, atol=0.3)
    weights = model.mixture_logits.softmax(0).detach().numpy()[order]
    np.testing.assert_allclose(weights, np.array(sizes) / sum(sizes), atol=1e-3)
    std = (0.5 * model.cluster_log_vars).exp().detach().numpy()[order]
    np.testing.assert_allclose(std, np.repeat(np.array(spread)[:, None], 2, 1), rtol=0.15)


def test_two_phase_fit_starts_the_mixture_from_the_pretrained_codes():
    rng = np.random.default_rng(0)
    x = rng.random((64, 12), dtype=np.float32)
    data = ArrayData(
        x=x, y=rng.integers(0, 3, 64), name="toy", value_range="unit", image_shape=None
    )
    datamodule = ArrayDataModule(data, batch_size=16, seed=0)
    vade = options("model", "vade", latent_dim=2, hidden_dims=[16], pretrain_epochs=1)
    model = build_model(vade, (12,), "unit", n_classes=datamodule.n_classes)
    assert isinstance(model, MODELS["vade"]) and model.n_clusters == 3
    seen = []

    def spy(codes: torch.Tensor) -> None:
        # Pretraining (epoch 0) trained the autoencoder only: the prior is still N(0, I).
        assert model.current_epoch == 1 and not model.cluster_means.any()
        VaDE.initialise_clusters(model, codes)
        seen.append((codes.clone(), *(p.detach().clone() for p in model.prior())))

    model.initialise_clusters = spy
    trainer = fit_briefly(model, datamodule, max_epochs=2)

    assert len(seen) == 1 and bool(model.clusters_initialised)
    codes, log_weights, means, log_vars = seen[0]
    assert codes.shape == (64, 2)
    # A fitted GMM is an EM fixed point: each mean is its responsibility-weighted code mean,
    # each weight its mean responsibility (to EM's tolerance, relative to the codes' scale).
    resp = mixture_log_posterior(codes, log_weights, means, log_vars).exp()
    weighted = (resp.T @ codes) / resp.sum(0, keepdim=True).T
    torch.testing.assert_close(means, weighted, atol=0.05 * codes.std().item(), rtol=0)
    torch.testing.assert_close(log_weights.exp(), resp.mean(0), atol=1e-2, rtol=1e-2)

    assert {"loss/kl_epoch", "elbo_epoch"} <= set(trainer.callback_metrics)
    assert all(np.isfinite(float(v)) for v in trainer.callback_metrics.values())
    clusters = model.cluster_assign(datamodule.x)
    assert clusters.shape == (64,) and clusters.dtype == torch.int64
    assert clusters.min() >= 0 and clusters.max() < 3
    samples = model.sample(5, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (5, 12) and ((samples >= 0) & (samples <= 1)).all()


def test_sample_cluster_draws_from_that_mixture_component():
    vade = options("model", "vade", latent_dim=2, hidden_dims=[8], n_clusters=3)
    model = VaDE(vade, DataFacts((1, 8, 8), "unit", (1, 8, 8)))
    with torch.no_grad():  # three far-apart, very narrow components
        model.cluster_means.copy_(torch.tensor([[-5.0, 0.0], [0.0, 5.0], [5.0, 0.0]]))
        model.cluster_log_vars.fill_(-10.0)
    model.eval()
    with torch.no_grad():
        for cluster in range(3):
            samples = model.sample_cluster(cluster, 4, torch.Generator().manual_seed(0))
            assert samples.shape == (4, 1, 8, 8)
            # Each sample decodes a code within a few σ (0.0067) of the component's mean.
            centre = model.decoder(model.cluster_means[cluster : cluster + 1]).sigmoid()
            torch.testing.assert_close(samples, centre.expand_as(samples), atol=2e-3, rtol=0)
        again = model.sample_cluster(1, 4, torch.Generator().manual_seed(0))
        torch.testing.assert_close(
            again, model.sample_cluster(1, 4, torch.Generator().manual_seed(0))
        )
    with pytest.raises(ValueError, match="cluster 3 is not one of the model's 3"):
        model.sample_cluster(3, 1)
