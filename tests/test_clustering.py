"""The clusterer registry: every entry builds, fits blobs, and bad options fail with UserError."""

from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from sklearn.datasets import make_blobs

from genclust.analysis.clustering import (
    CLUSTERERS,
    MODEL_CLUSTERS,
    build_clusterer,
    check_cluster_count,
    fit_predict,
)
from genclust.analysis.metrics import cluster_accuracy
from genclust.errors import UserError

CONF = Path(__file__).parents[1] / "conf" / "cluster"

# Parameters that suit 3 tight blobs of 50 points (density-based clusterers need a scale).
BLOB_PARAMS = {
    "kmeans": {},
    "gmm": {},
    "dbscan": {"eps": 1.0, "min_samples": 5},
    "hdbscan": {"min_cluster_size": 10, "copy": True},
    "agglomerative": {},
    "spectral": {"affinity": "nearest_neighbors", "n_neighbors": 10},
}


@pytest.fixture(scope="module")
def blobs():
    centers = [[0, 0, 0], [10, 0, 0], [0, 10, 0]]
    return make_blobs(n_samples=150, centers=centers, cluster_std=0.5, random_state=0)


def test_registry_matches_the_estimators():
    assert set(BLOB_PARAMS) == set(CLUSTERERS)
    for spec in CLUSTERERS.values():
        params = spec.estimator().get_params()
        assert ("random_state" in params) == spec.takes_random_state
        assert spec.count_param is None or spec.count_param in params


@pytest.mark.parametrize("name", sorted(CLUSTERERS))
def test_every_clusterer_finds_three_blobs(name, blobs):
    z, y = blobs
    labels = fit_predict(build_clusterer(name, BLOB_PARAMS[name], n_clusters=3, seed=0), z)
    assert labels.dtype == np.int64 and labels.shape == (150,)
    assert cluster_accuracy(y, labels) >= 0.99


FITTED = sorted(p for p in CONF.glob("*.yaml") if p.stem != MODEL_CLUSTERS)  # model: fits nothing


@pytest.mark.parametrize("path", FITTED, ids=lambda p: p.stem)
def test_every_cluster_config_builds_and_fits(path, blobs):
    cfg = OmegaConf.to_container(OmegaConf.load(path))
    assert cfg["name"] == path.stem
    assert ("n_clusters" in cfg) == (CLUSTERERS[cfg["name"]].count_param is not None)
    estimator = build_clusterer(cfg["name"], cfg["params"], n_clusters=3, seed=0)
    assert fit_predict(estimator, blobs[0]).shape == (150,)


def test_seed_injected_and_deterministic(blobs):
    def run(seed):
        estimator = build_clusterer("kmeans", {"n_init": 1, "init": "random"}, 3, seed)
        return estimator, fit_predict(estimator, blobs[0])

    estimator, labels = run(7)
    assert estimator.random_state == 7
    assert np.array_equal(labels, run(7)[1])
    assert build_clusterer("gmm", {"random_state": 1}, 3, seed=7).random_state == 1


def test_density_based_ignore_n_clusters():
    assert build_clusterer("dbscan", {}, n_clusters=10, seed=0).get_params()["eps"] == 0.5
    build_clusterer("hdbscan", {}, n_clusters=None, seed=0)


def test_agglomerative_distance_threshold_replaces_n_clusters():
    estimator = build_clusterer("agglomerative", {"distance_threshold": 3.0}, 10, seed=0)
    assert estimator.n_clusters is None


@pytest.mark.parametrize(
    ("name", "params", "n_clusters", "expected"),
    [
        ("kmean", {}, 3, ["kmeans", "hdbscan", "spectral"]),
        ("kmeans", {"n_inits": 5}, 3, ["'n_inits'", "n_init", "max_iter"]),
        ("dbscan", {"eps": -1}, None, ["eps", "-1", "range"]),
        ("kmeans", {"n_init": 0}, 3, ["n_init", "Got 0"]),
        ("gmm", {"covariance_type": "ful"}, 3, ["covariance_type", "'full'"]),
        ("kmeans", {}, None, ["cluster.n_clusters"]),
        ("gmm", {"n_components": 4}, 3, ["cluster.n_clusters instead"]),
        ("kmeans", {}, 0, ["at least 1"]),
    ],
)
def test_bad_options_are_user_errors(name, params, n_clusters, expected):
    with pytest.raises(UserError) as error:
        build_clusterer(name, params, n_clusters, seed=0)
    for text in expected:
        assert text in str(error.value)


def test_more_clusters_than_points_is_a_user_error(blobs):
    with pytest.raises(UserError, match="more than the 5 points"):
        build_clusterer("kmeans", {}, n_clusters=6, seed=0, n_samples=5)
    with pytest.raises(UserError, match="more than the 150 points"):
        fit_predict(build_clusterer("kmeans", {}, n_clusters=151, seed=0), blobs[0])
    with pytest.raises(UserError, match="more than"):
        check_cluster_count(4, 3)


def test_data_errors_become_user_errors():
    with pytest.raises(UserError, match="HDBSCAN failed"):
        fit_predict(
            build_clusterer("hdbscan", {"min_samples": 50, "copy": True}, None, 0),
            np.zeros((10, 2)),
        )
    with pytest.raises(UserError, match="NaN"):
        fit_predict(build_clusterer("kmeans", {}, 2, 0), np.full((10, 2), np.nan))
