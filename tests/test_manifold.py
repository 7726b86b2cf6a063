"""The manifold step between codes and clusterer: t-SNE, UMAP or nothing."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from tests.conftest import options

from genclust.analysis import embedding
from genclust.analysis.manifold import check_manifold_options, learn_manifold
from genclust.analysis.metrics import cluster_accuracy
from genclust.analysis.stage import plan_analysis
from genclust.errors import UserError


@pytest.fixture(scope="module")
def blobs():
    z, y = make_blobs(n_samples=300, n_features=6, centers=3, random_state=0)
    return z.astype(np.float32), y


def test_none_returns_the_codes(blobs):
    z, _ = blobs
    assert learn_manifold(z, "none", 2, seed=0, params={}) is z


def test_tsne_map_keeps_the_clusters_and_is_seeded(blobs):
    z, y = blobs
    first = learn_manifold(z, "tsne", 2, seed=0, params={"perplexity": 20})
    again = learn_manifold(z, "tsne", 2, seed=0, params={"perplexity": 20})
    assert first.shape == (300, 2)
    np.testing.assert_array_equal(first, again)
    from sklearn.cluster import KMeans

    predicted = KMeans(3, n_init=10, random_state=0).fit_predict(first)
    assert cluster_accuracy(y, predicted) > 0.95


def test_a_tsne_says_how_far_it_got_and_how_long_it_took(blobs, caplog, monkeypatch):
    """Progress of both t-SNE phases (early exaggeration, then the rest), counted as one."""
    monkeypatch.setattr(embedding, "PROGRESS_SECONDS", 0)  # every 50 iterations, here
    z, _ = blobs
    params = {"early_exaggeration_iter": 50, "n_iter": 100}
    with caplog.at_level(logging.INFO):
        learn_manifold(z, "tsne", 2, seed=0, params=params)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("genclust.")]
    assert messages[0].startswith("t-SNE of 300 points: affinities in ")
    assert messages[0].endswith(" s, now 150 iterations")
    reached = [message.split(",")[0] for message in messages[1:-1]]
    assert reached == [f"t-SNE: iteration {n} of 150" for n in (50, 100, 150)]
    assert messages[-1].startswith("manifold: t-SNE of 300 codes to 2-D in ")


@pytest.mark.slow  # numba compiles UMAP on first use: ~20 s per fresh environment
def test_umap_manifold(blobs, caplog):
    pytest.importorskip("umap")
    z, _ = blobs
    with caplog.at_level(logging.INFO):
        manifold = learn_manifold(z, "umap", 3, seed=0, params={"n_neighbors": 10, "min_dist": 0.0})
    assert manifold.shape == (300, 3) and np.isfinite(manifold).all()
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("genclust.")]
    assert messages[0] == "manifold: UMAP of 300 codes to 3-D ..."
    assert messages[-1].startswith("manifold: UMAP of 300 codes to 3-D in ")


@pytest.mark.parametrize(
    ("method", "n_components", "params", "message"),
    [
        ("isomap", 2, {}, "cluster.manifold.method='isomap'"),
        ("tsne", 3, {}, "n_components 1 or 2"),
        ("tsne", 0, {}, "positive integer"),
        ("tsne", 2, {"perplexity": -1}, "perplexity"),
        ("tsne", 2, {"bogus": 1}, "bogus"),
    ],
)
def test_bad_manifold_options(method, n_components, params, message):
    with pytest.raises(UserError, match=message):
        check_manifold_options(method, n_components, params)


def test_a_2d_tsne_manifold_is_reused_as_the_tsne_figure():
    def plan(manifold, embed):
        return plan_analysis(
            options("cluster", "kmeans", manifold=manifold),
            options("embed", embed, max_points=None),
            n_classes=3,
            n_samples=100,
            seed=0,
        )

    tsne_2d = {"method": "tsne", "n_components": 2, "params": {}}
    assert plan(tsne_2d, "tsne").reuses_manifold_as_embedding
    assert not plan(tsne_2d, "pca").reuses_manifold_as_embedding
    assert not plan({"method": "none"}, "tsne").reuses_manifold_as_embedding
