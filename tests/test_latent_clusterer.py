"""LatentClusterer: one estimator for manifold, clusterer, sample and the rule for new codes;
ModelClusters behind the same interface; clusterer.joblib of earlier runs still predicts."""

from __future__ import annotations

import json
import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import DBSCAN, KMeans
from sklearn.datasets import make_blobs

from genclust.analysis.clustering import build_clusterer
from genclust.analysis.latent_clusterer import (
    ASSIGNED_BY,
    CLUSTERED,
    FITTED_ON,
    MODEL,
    LatentClusterer,
    ModelClusters,
)
from genclust.analysis.metrics import cluster_accuracy
from genclust.analysis.saved_clusterer import load_clusterer
from genclust.errors import UserError
from genclust.rundir.names import CLUSTERER_FILE, LATENTS_FILE, METRICS_FILE


@pytest.fixture(scope="module")
def blobs():
    z, y = make_blobs(n_samples=600, n_features=4, centers=3, random_state=0)
    return z.astype(np.float32), y


def _kmeans(k: int = 3, seed: int = 0) -> KMeans:
    return build_clusterer("kmeans", {"n_init": 3}, k, seed)


def test_on_the_codes_new_codes_get_the_clusterers_own_predict(blobs):
    z, y = blobs
    clusterer = LatentClusterer(_kmeans()).fit(z[:400])
    assert clusterer.record_ == {CLUSTERED: "latent codes"}
    assert clusterer.assigns_by == "KMeans.predict"
    np.testing.assert_array_equal(clusterer.predict(z[400:]), clusterer.clusterer_.predict(z[400:]))
    assert cluster_accuracy(y[400:], clusterer.predict(z[400:])) > 0.99


def test_on_a_map_new_codes_get_the_vote_of_their_nearest_fitted_codes(blobs):
    z, y = blobs
    tsne = {"n_iter": 100, "perplexity": 20}
    clusterer = LatentClusterer(_kmeans(), "tsne", 2, tsne, seed=0).fit(z[:300])
    assert clusterer.features_.shape == (300, 2) and clusterer.learns_a_2d_tsne_map
    assert clusterer.assigns_by == "majority of 5 nearest fitted codes"
    assert cluster_accuracy(y[300:], clusterer.predict(z[300:])) > 0.99
    # neighbors: as many fitted codes vote; more than were fitted is a user error
    clusterer.set_params(neighbors=300)
    majority = np.bincount(clusterer.labels_).argmax()
    assert (clusterer.predict(z[300:310]) == majority).all()
    with pytest.raises(UserError, match="neighbors must be at most 300"):
        clusterer.set_params(neighbors=301).predict(z[:1])


def test_large_code_sets_are_fitted_on_a_seeded_sample_and_the_rest_predicted(blobs):
    z, y = blobs
    clusterer = LatentClusterer(DBSCAN(eps=3.0, min_samples=5), fit_max_points=200, seed=1)
    labels = clusterer.fit_predict(z)
    assert len(clusterer.sample_) == 200 and len(clusterer.codes_) == 200
    assert clusterer.record_[FITTED_ON] == 200
    assert clusterer.record_[ASSIGNED_BY] == "majority of 5 nearest fitted codes"
    rest = np.setdiff1d(np.arange(len(z)), clusterer.sample_)
    np.testing.assert_array_equal(labels[rest], clusterer.predict(z[rest]))
    assert cluster_accuracy(y, labels) > 0.99
    again = clone(clusterer).fit(z)  # the sample is the seed's
    np.testing.assert_array_equal(again.sample_, clusterer.sample_)


def test_model_clusters_are_the_models_assignment():
    z = np.zeros((4, 2))
    clusters = ModelClusters().fit(z, assignments=np.array([1, 0, 1, 2]))
    assert clusters.labels_.tolist() == [1, 0, 1, 2] and clusters.record_ == {CLUSTERED: MODEL}
    assert clusters.predict(z[:2], np.array([2, 2])).tolist() == [2, 2]
    with pytest.raises(UserError, match="needs a model with its own clusters"):
        ModelClusters().fit(z)


def _saved_run(directory, clusterer, clustered, z, clusters):
    """A clustering folder as genclust wrote it before LatentClusterer existed."""
    directory.mkdir()
    joblib.dump(clusterer, directory / CLUSTERER_FILE)
    (directory / METRICS_FILE).write_text(json.dumps({CLUSTERED: clustered}))
    np.savez(directory / LATENTS_FILE, z=z, cluster=clusters)
    return directory


def test_an_earlier_runs_bare_clusterer_still_predicts(blobs, tmp_path):
    z, y = blobs
    kmeans = _kmeans().fit(z)
    loaded = load_clusterer(_saved_run(tmp_path / "codes", kmeans, "latent codes", z, y))
    assert loaded.assigns_by == "KMeans.predict"
    np.testing.assert_array_equal(loaded.predict(z[:50]), kmeans.predict(z[:50]))
    # clustered on a t-SNE map: every saved code votes, as predict did before
    loaded = load_clusterer(_saved_run(tmp_path / "tsne", kmeans, "tsne", z, y))
    assert loaded.assigns_by == "majority of 5 nearest fitted codes"
    assert (loaded.predict(z[:50]) == y[:50]).all()


def test_an_earlier_runs_model_clusters_still_predict(tmp_path):
    # What an earlier genclust pickled under cluster=model: a class that no longer exists.
    pickled = b"\x80\x04cgenclust.analysis.clustering\nModelClusters\n)\x81}b."
    with pytest.raises(AttributeError):
        pickle.loads(pickled)
    directory = _saved_run(tmp_path / "model", None, MODEL, np.zeros((2, 2)), np.zeros(2))
    (directory / CLUSTERER_FILE).write_bytes(pickled)
    assert isinstance(load_clusterer(directory), ModelClusters)


def test_a_clusterer_file_of_something_else_is_one_clear_error(tmp_path):
    directory = _saved_run(tmp_path / "odd", {"not": "a clusterer"}, "latent codes", [[0]], [0])
    with pytest.raises(UserError, match="holds no clusterer genclust can use"):
        load_clusterer(directory)
