"""DEC/IDEC: Student-t assignments, the target distribution and the KL loss against hand-worked
cases, and real Lightning fits through both phases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from tests.conftest import compose_train, fit_briefly, options

from genclust.commands.code_groups import manifold_grouping
from genclust.config.load import validate
from genclust.data.arrays import ArrayData
from genclust.data.datamodule import ArrayDataModule
from genclust.errors import UserError
from genclust.models import build_model
from genclust.models.dec import (
    clustering_loss,
    random_shift,
    soft_assignments,
    target_distribution,
)


def test_soft_assignments_follow_the_student_t_kernel():
    # z at the origin, centroids at squared distances 1 and 4: (1+1)^-1 : (1+4)^-1 = 5/7 : 2/7.
    q = soft_assignments(torch.zeros(1, 2), torch.tensor([[1.0, 0.0], [0.0, 2.0]]), alpha=1.0)
    torch.testing.assert_close(q, torch.tensor([[5 / 7, 2 / 7]]))


def test_target_distribution_by_hand():
    q = torch.tensor([[0.5, 0.5], [0.9, 0.1]])
    # f = (1.4, 0.6); row 1: (0.25/1.4, 0.25/0.6) normalised = (0.3, 0.7);
    # row 2: (0.81/1.4, 0.01/0.6) normalised = (0.972, 0.028).
    torch.testing.assert_close(target_distribution(q), torch.tensor([[0.3, 0.7], [0.972, 0.028]]))


def test_clustering_loss_is_kl_of_target_to_assignments_by_hand():
    q = torch.tensor([[0.5, 0.5], [0.9, 0.1]])
    row1 = 0.3 * math.log(0.3 / 0.5) + 0.7 * math.log(0.7 / 0.5)
    row2 = 0.972 * math.log(0.972 / 0.9) + 0.028 * math.log(0.028 / 0.1)
    assert math.isclose(clustering_loss(q).item(), (row1 + row2) / 2, rel_tol=1e-5)


def _blobs(n: int = 120) -> ArrayDataModule:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    x = (rng.normal(size=(n, 6)) + 4 * np.eye(3, 6)[y]).astype(np.float32)
    data = ArrayData(x=x, y=y, name="blobs", value_range="real", image_shape=None)
    return ArrayDataModule(data, batch_size=20, seed=0)


def test_dec_pretrains_places_centroids_then_trains_them():
    torch.manual_seed(0)
    datamodule = _blobs()
    dec = options("model", "dec", latent_dim=2, hidden_dims=[16], pretrain_epochs=2)
    model = build_model(dec, datamodule.input_shape, "real", None, datamodule.n_classes)
    assert model.n_clusters == 3 and not model.clusters_initialised

    # Pretraining only: the end of the last epoch places the centroids.
    fit_briefly(model, datamodule, max_epochs=2)
    assert model.clusters_initialised
    placed = model.centroids.detach().clone()
    codes = model.encode(datamodule.x).detach()
    nearest = torch.cdist(codes, placed).argmin(1)
    for k in range(3):  # k-means centroids are the means of their members
        torch.testing.assert_close(placed[k], codes[nearest == k].mean(0), atol=1e-4, rtol=1e-4)

    model = build_model(dec, datamodule.input_shape, "real", None, datamodule.n_classes)
    fit_briefly(model, datamodule, max_epochs=4)  # two epochs of KL(P || Q) after pretraining
    clusters = model.cluster_assign(datamodule.x)
    assert clusters.dtype == torch.int64 and set(clusters.tolist()) <= {0, 1, 2}
    assert len(set(clusters.tolist())) == 3  # three clear blobs: no cluster lost


def test_dec_without_reconstruction_leaves_the_decoder_alone():
    datamodule = _blobs()
    dec = options(
        "model", "dec", latent_dim=2, hidden_dims=[16], pretrain_epochs=0, reconstruction_weight=0
    )
    model = build_model(dec, datamodule.input_shape, "real", None, 3)
    decoder_before = [p.detach().clone() for p in model.decoder.parameters()]
    encoder_before = [p.detach().clone() for p in model.encoder.parameters()]
    fit_briefly(model, datamodule, max_epochs=1)
    decoder_after, encoder_after = model.decoder.parameters(), model.encoder.parameters()
    assert all(map(torch.equal, decoder_before, decoder_after))
    assert not all(map(torch.equal, encoder_before, encoder_after))


def test_random_shift_moves_each_image_by_whole_pixels_within_the_bound():
    image = torch.zeros(1, 1, 5, 5)
    image[0, 0, 2, 2] = 1.0
    shifted = random_shift(image.repeat(200, 1, 1, 1), max_pixels=1)
    assert torch.equal(shifted.sum((1, 2, 3)), torch.ones(200))  # nothing lost or smeared
    positions = {tuple((s[0] == 1).nonzero()[0].tolist()) for s in shifted}
    assert positions == {(r, c) for r in (1, 2, 3) for c in (1, 2, 3)}


def test_manifold_initialisation_puts_centroids_at_group_means():
    torch.manual_seed(0)
    datamodule = _blobs()
    dec = options("model", "dec", latent_dim=2, hidden_dims=[16], pretrain_epochs=2, init="tsne")
    # The train command hands DEC the grouping; the model itself knows no manifold.
    grouping = manifold_grouping("tsne")
    model = build_model(dec, datamodule.input_shape, "real", None, 3, group_codes=grouping)
    fit_briefly(model, datamodule, max_epochs=2)
    codes = model.encode(datamodule.x).detach()
    nearest = torch.cdist(codes, model.centroids.detach()).argmin(1)
    assert len(set(nearest.tolist())) == 3
    # Three clear blobs: the t-SNE groups are (up to a few border points) the nearest-centroid
    # groups, so each centroid sits at its group's mean code.
    tolerance = 0.1 * codes.std().item()
    for k in range(3):
        torch.testing.assert_close(
            model.centroids[k].detach(), codes[nearest == k].mean(0), atol=tolerance, rtol=0
        )


def test_bad_dec_options_are_user_errors():
    with pytest.raises(UserError, match="model.init: Input should be 'kmeans', 'tsne' or 'umap'"):
        validate("train", compose_train("model=dec", "model.init=spectral"))
    with pytest.raises(UserError, match="not images"):
        build_model(options("model", "dec", augment=2), (6,), "real", None, 3)
