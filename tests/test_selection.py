"""cluster.select: candidates (restarts, an over-clustering merged down, the codes without their
manifold) chosen by a label-free score; the merge repairs a class split in two; the choice is
recorded and predicted with."""

from __future__ import annotations

import json
import logging

import joblib
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from tests.conftest import options

from genclust.analysis.clustering import build_clusterer
from genclust.analysis.label_free import label_free_scores
from genclust.analysis.latent_clusterer import CLUSTERED, SELECTION, LatentClusterer
from genclust.analysis.merging import SampledGraph, merge_clusters
from genclust.analysis.metrics import cluster_accuracy
from genclust.analysis.stage import CodeSet, analyse_codes, plan_analysis
from genclust.commands.prepare import prepare_run
from genclust.config.load import load
from genclust.config.metrics import KNN_MODULARITY
from genclust.config.overrides import prepare_overrides
from genclust.errors import UserError
from genclust.rundir.names import CLUSTERER_FILE, LATENTS_FILE, METRICS_FILE


@pytest.fixture(scope="module")
def split_class():
    """Three classes; k-means with k=3 cuts the long one in two and joins a half to the
    small class above it, but its pieces touch each other and no other class."""
    rng = np.random.default_rng(0)
    long = np.c_[rng.normal(0, 6, 300), rng.normal(0, 0.5, 300)]
    above = np.c_[rng.normal(0, 0.5, 150), rng.normal(5, 0.5, 150)]
    apart = np.c_[rng.normal(25, 0.5, 150), rng.normal(0, 0.5, 150)]
    return np.concatenate([long, above, apart]), np.repeat([0, 1, 2], [300, 150, 150])


def _kmeans(k: int = 3) -> KMeans:
    return build_clusterer("kmeans", {"n_init": 10}, k, seed=0)


def test_merging_an_over_clustering_repairs_a_split_class(split_class):
    x, y = split_class
    assert cluster_accuracy(y, _kmeans().fit_predict(x)) < 0.8
    pieces = _kmeans(9).fit_predict(x)
    merge = merge_clusters(SampledGraph.of(x, seed=0), pieces, 3)
    assert sorted(np.unique(merge)) == [0, 1, 2]
    assert cluster_accuracy(y, merge[pieces]) == 1.0


def test_a_cluster_asked_for_but_never_found_is_merged_first():
    x = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    graph = SampledGraph.of(x, seed=0)
    merge = merge_clusters(graph, np.array([0, 0, 0, 2, 2, 2]), 2)  # label 1 is empty
    assert merge[0] != merge[2] and sorted(np.unique(merge)) == [0, 1]


def test_the_candidate_the_label_free_score_ranks_best_is_kept(split_class):
    x, y = split_class
    clusterer = LatentClusterer(_kmeans(), restarts=2, over_cluster=3, seed=0)
    labels = clusterer.fit_predict(x, inputs=x)
    record = clusterer.record_[SELECTION]
    names = [row["name"] for row in record["candidates"]]
    assert names == [
        "random_state 0",
        "random_state 0, 9 merged to 3",
        "random_state 1",
        "random_state 1, 9 merged to 3",
    ]
    scores = [row[KNN_MODULARITY] for row in record["candidates"]]
    assert record["score"] == KNN_MODULARITY and record["chosen"] == names[np.argmax(scores)]
    assert "merged" in record["chosen"] and cluster_accuracy(y, labels) == 1.0
    # the score that chose is the run's own knn_modularity of the chosen clusters
    assert max(scores) == pytest.approx(label_free_scores(x, labels, seed=0)[KNN_MODULARITY])
    # new codes: k-means' own predict of its 9 clusters, then the same merge
    assert clusterer.assigns_by == "KMeans.predict of 9 clusters, merged to 3"
    np.testing.assert_array_equal(clusterer.predict(x), labels)


def test_without_the_data_candidates_are_ranked_by_silhouette_and_it_says_so(split_class, caplog):
    x, _ = split_class
    with caplog.at_level(logging.WARNING):
        clusterer = LatentClusterer(_kmeans(), over_cluster=2).fit(x)
    record = clusterer.record_[SELECTION]
    assert record["score"] == "silhouette" and "not available" in record["note"]
    assert "ranked by their silhouette" in caplog.text
    scores = [row["silhouette"] for row in record["candidates"]]
    assert record["chosen"] == record["candidates"][np.argmax(scores)]["name"]


def test_the_analysis_records_every_candidate_and_saves_the_chosen(split_class, tmp_path):
    x, y = split_class
    plan = plan_analysis(
        options("cluster", "kmeans", "cluster/manifold=none", "cluster/select=label_free"),
        options("embed", "none"),
        n_classes=3,
        n_samples=len(x),
        seed=0,
    )
    metrics = analyse_codes(CodeSet(x, y, inputs=x), plan, tmp_path)
    saved = json.loads((tmp_path / METRICS_FILE).read_text())
    assert len(saved[SELECTION]["candidates"]) == 10  # 5 seeds, each with and without merge
    assert saved["acc"] == metrics["acc"] == 1.0
    assert {"knn_modularity", "nmi", "clustered", "seconds"} <= set(saved)
    clusterer = joblib.load(tmp_path / CLUSTERER_FILE)
    assert clusterer.record_[SELECTION]["chosen"] == saved[SELECTION]["chosen"]
    assert cluster_accuracy(y, clusterer.predict(x)) == 1.0


@pytest.fixture(scope="module")
def torn_by_the_map():
    """Three blobs, one wide: a t-SNE of perplexity 2 tears it into clumps k-means mis-joins,
    while k-means on the codes themselves finds the blobs."""
    z, y = make_blobs(300, n_features=4, centers=3, cluster_std=[1, 1, 4], random_state=0)
    tsne = {"n_iter": 100, "perplexity": 2}
    return z, y, tsne


def test_the_codes_without_their_map_are_kept_when_they_score_better(torn_by_the_map, tmp_path):
    z, y, tsne = torn_by_the_map
    on_the_map = LatentClusterer(_kmeans(), "tsne", 2, tsne).fit_predict(z, inputs=z)
    clusterer = LatentClusterer(_kmeans(), "tsne", 2, tsne, without_manifold=True)
    labels = clusterer.fit_predict(z, inputs=z)
    record = clusterer.record_[SELECTION]
    assert [row["name"] for row in record["candidates"]] == [
        "random_state 0",
        "random_state 0, on the codes",
    ]
    assert record["chosen"] == "random_state 0, on the codes"
    assert cluster_accuracy(y, labels) > cluster_accuracy(y, on_the_map)
    # what was kept clustered the codes: recorded so, and k-means' own predict labels new ones
    assert clusterer.record_[CLUSTERED] == "latent codes"
    assert clusterer.space() == "the latent codes"
    assert clusterer.features_.shape == (300, 4) and clusterer.manifold_map_.shape == (300, 2)
    assert clusterer.assigns_by == "KMeans.predict"
    np.testing.assert_array_equal(clusterer.predict(z), labels)
    # the run's figure still shows the t-SNE map that was learned, coloured by the kept clusters
    plan = plan_analysis(
        options("cluster", "kmeans", "cluster.select.without_manifold=true", manifold=_tsne(tsne)),
        options("embed", "tsne"),
        n_classes=3,
        n_samples=len(z),
        seed=0,
    )
    analyse_codes(CodeSet(z, y, inputs=z), plan, tmp_path)
    saved = json.loads((tmp_path / METRICS_FILE).read_text())
    assert saved[SELECTION]["chosen"] == record["chosen"]
    with np.load(tmp_path / LATENTS_FILE) as latents:
        np.testing.assert_allclose(latents["embedding"], clusterer.manifold_map_, rtol=1e-5)


def _tsne(params: dict) -> dict:
    return {"method": "tsne", "n_components": 2, "params": params}


def test_a_clusterer_saved_before_candidates_could_skip_the_map_predicts_as_before(
    split_class, tmp_path
):
    x, _ = split_class
    clusterer = LatentClusterer(_kmeans()).fit(x)
    del clusterer.without_manifold, clusterer.manifold_  # what such a clusterer.joblib lacks
    joblib.dump(clusterer, tmp_path / CLUSTERER_FILE)
    saved = joblib.load(tmp_path / CLUSTERER_FILE)
    assert saved.assigns_by == "KMeans.predict" and not saved.without_manifold
    np.testing.assert_array_equal(saved.predict(x), clusterer.labels_)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["cluster=agglomerative", "cluster/select=label_free"], "has no random state"),
        (["cluster=dbscan", "cluster/select=label_free"], "cluster/select"),
        (["cluster.select.over_cluster=1"], "cluster.select.over_cluster"),
        (["cluster.select.restarts=0"], "cluster.select.restarts"),
        (["cluster.n_clusters=10", "cluster.select.over_cluster=200"], "more than the 1797"),
    ],
)
def test_selection_it_cannot_honour_is_refused_before_training(overrides, message):
    with pytest.raises(UserError, match=message):
        prepare_run(load("train", prepare_overrides("train", overrides)))
