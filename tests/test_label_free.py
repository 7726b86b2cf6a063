"""Label-free scores against hand-worked cases and scikit-learn, and their treatment of noise."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from genclust.analysis.embedding import sample_indices
from genclust.analysis.label_free import (
    NEIGHBOURS,
    SHARED_COMPONENTS,
    calinski_harabasz_with_noise,
    davies_bouldin_with_noise,
    knn_agreement,
    knn_modularity,
    label_free_scores,
    nearest_neighbours,
    shared_space,
    silhouette_with_noise,
    standardised,
    subsample_stability,
)
from genclust.analysis.metrics import NOISE_LABEL
from genclust.config.metrics import KNN_MODULARITY, SILHOUETTE_DATA, direction


@pytest.fixture(scope="module")
def blobs():
    """Four well-separated Gaussian clusters in 6-d, 400 points."""
    return make_blobs(n_samples=400, n_features=6, centers=4, cluster_std=1.0, random_state=0)


def test_standardised_hand_worked():
    x = np.array([[[1.0, 5.0]], [[3.0, 5.0]]])  # (n, 1, 2) like images; feature 1 is constant
    np.testing.assert_allclose(standardised(x), [[-1.0, 0.0], [1.0, 0.0]])


def test_shared_space_reduces_only_wide_data(blobs):
    x, _ = blobs
    np.testing.assert_allclose(shared_space(x, 10, seed=0), standardised(x))
    reduced = shared_space(x, 3, seed=0)
    expected = PCA(n_components=3, random_state=0).fit_transform(standardised(x))
    np.testing.assert_allclose(reduced, expected)
    # The same data gives the same space whatever the run: only the data and seed enter it.
    np.testing.assert_array_equal(shared_space(x, 3, seed=0), reduced)


def test_scores_without_noise_equal_scikit_learns(blobs):
    x, y = blobs
    assert silhouette_with_noise(x, y) == pytest.approx(silhouette_score(x, y))
    assert calinski_harabasz_with_noise(x, y) == pytest.approx(calinski_harabasz_score(x, y))
    assert davies_bouldin_with_noise(x, y) == pytest.approx(davies_bouldin_score(x, y))


def test_silhouette_hand_worked_with_noise():
    # Clustered points: 0 and 2 in cluster 0, 10 in cluster 1 (a singleton: silhouette 0).
    # Point 0: a = 2, b = 10 → 1 - 2/10 = 0.8; point 2: a = 2, b = 8 → 1 - 2/8 = 0.75.
    # The noise point at 5 counts -1: mean = (0.8 + 0.75 + 0 - 1) / 4.
    x = np.array([[0.0], [2.0], [10.0], [5.0]])
    labels = np.array([0, 0, 1, NOISE_LABEL])
    assert silhouette_with_noise(x, labels) == pytest.approx((0.8 + 0.75 + 0.0 - 1.0) / 4)


def test_noise_as_one_more_cluster_for_the_whole_partition_indices(blobs):
    x, y = blobs
    labels = np.where(np.arange(len(y)) % 5 == 0, NOISE_LABEL, y)
    as_cluster = np.where(labels == NOISE_LABEL, 4, labels)
    assert calinski_harabasz_with_noise(x, labels) == pytest.approx(
        calinski_harabasz_score(x, as_cluster)
    )
    assert davies_bouldin_with_noise(x, labels) == pytest.approx(
        davies_bouldin_score(x, as_cluster)
    )


@pytest.mark.parametrize(
    "function", [silhouette_with_noise, calinski_harabasz_with_noise, davies_bouldin_with_noise]
)
def test_undefined_for_a_single_cluster(function):
    x = np.arange(10.0).reshape(5, 2)
    assert function(x, np.zeros(5, dtype=int)) is None
    assert function(x, np.arange(5)) is None  # every point its own cluster


def test_silhouette_undefined_when_one_cluster_remains_outside_noise():
    x = np.arange(10.0).reshape(5, 2)
    assert silhouette_with_noise(x, np.array([0, 0, 0, NOISE_LABEL, NOISE_LABEL])) is None


def test_nearest_neighbours_never_the_point_itself():
    x = np.array([[0.0], [0.0], [3.0], [5.0]])  # duplicate points: each other's neighbour
    np.testing.assert_array_equal(nearest_neighbours(x, 1)[:, 0], [1, 0, 3, 2])
    with pytest.raises(ValueError, match="k must lie"):
        nearest_neighbours(x, 4)


def test_knn_agreement_hand_worked():
    neighbours = np.array([[1, 2], [0, 2], [3, 0], [2, 1]])
    labels = np.array([0, 0, 1, NOISE_LABEL])
    # point 0: 1 of 2 agree; point 1: 1 of 2; point 2: its neighbours are noise and cluster 0;
    # point 3 is noise and agrees with none: (0.5 + 0.5 + 0 + 0) / 4
    assert knn_agreement(neighbours, labels) == pytest.approx(0.25)


def test_knn_modularity_hand_worked():
    # 4 points, k = 1: 0 ↔ 1 and 2 ↔ 3 point at each other; m = 4 edges.
    neighbours = np.array([[1], [0], [3], [2]])
    # Two clusters along the pairs: agreement 1; each cluster has half of the out- and
    # in-degree: expected 2 × (1/2 × 1/2) = 1/2, so Q = 1/2.
    assert knn_modularity(neighbours, np.array([0, 0, 1, 1])) == pytest.approx(0.5)
    # One cluster: agreement 1, expected 1, Q = 0 (merging everything earns nothing).
    assert knn_modularity(neighbours, np.zeros(4, dtype=int)) == pytest.approx(0.0)
    # Clusters across the pairs: agreement 0, Q = -1/2.
    assert knn_modularity(neighbours, np.array([0, 1, 0, 1])) == pytest.approx(-0.5)
    # Pair 2-3 called noise: agreement 2/4; cluster 0 has out-share 2/4 and in-share 2/4.
    assert knn_modularity(neighbours, np.array([0, 0, -1, -1])) == pytest.approx(0.5 - 0.25)


def test_knn_modularity_equals_networkx_directed_modularity(blobs):
    networkx = pytest.importorskip("networkx")
    x, y = blobs
    labels = np.where(np.arange(len(y)) % 7 == 0, (y + 1) % 4, y)  # some points misassigned
    neighbours = nearest_neighbours(x, 5)
    graph = networkx.DiGraph()
    graph.add_nodes_from(range(len(x)))
    graph.add_edges_from((i, int(j)) for i, row in enumerate(neighbours) for j in row)
    communities = [set(np.flatnonzero(labels == c).tolist()) for c in np.unique(labels)]
    expected = networkx.community.modularity(graph, communities)
    assert knn_modularity(neighbours, labels) == pytest.approx(expected)


def _forged(x: np.ndarray, labels: np.ndarray, noise_share: float) -> np.ndarray:
    """Each cluster keeps its points nearest its centroid; the rest are called noise."""
    forged = np.full_like(labels, NOISE_LABEL)
    for cluster in np.unique(labels):
        members = np.flatnonzero(labels == cluster)
        distance = np.linalg.norm(x[members] - x[members].mean(axis=0), axis=1)
        forged[members[np.argsort(distance)[: round(len(members) * (1 - noise_share))]]] = cluster
    return forged


def test_calling_most_points_noise_never_scores_better(blobs):
    x, y = make_blobs(n_samples=400, n_features=6, centers=4, cluster_std=3.0, random_state=0)
    forged = _forged(x, y, noise_share=0.9)
    neighbours = nearest_neighbours(x, 10)
    # The forged cores alone are tighter than the true clusters...
    assert silhouette_score(x[forged >= 0], forged[forged >= 0]) > silhouette_score(x, y)
    # ...but with the noise counted, every score prefers the full clustering.
    assert silhouette_with_noise(x, forged) < silhouette_with_noise(x, y)
    assert calinski_harabasz_with_noise(x, forged) < calinski_harabasz_with_noise(x, y)
    assert davies_bouldin_with_noise(x, forged) > davies_bouldin_with_noise(x, y)
    assert knn_agreement(neighbours, forged) < knn_agreement(neighbours, y)
    assert knn_modularity(neighbours, forged) < knn_modularity(neighbours, y)
    # Half the points as noise already puts the silhouette at or below 0.
    assert silhouette_with_noise(x, _forged(x, y, noise_share=0.5)) <= 0.0


def test_scores_rank_a_good_clustering_above_a_poor_one(blobs):
    x, y = blobs
    poor = np.where(np.arange(len(y)) % 3 == 0, (y + 1) % 4, y)  # a third misassigned
    neighbours = nearest_neighbours(x, 10)
    assert silhouette_with_noise(x, y) > silhouette_with_noise(x, poor)
    assert calinski_harabasz_with_noise(x, y) > calinski_harabasz_with_noise(x, poor)
    assert davies_bouldin_with_noise(x, y) < davies_bouldin_with_noise(x, poor)
    assert knn_agreement(neighbours, y) > knn_agreement(neighbours, poor)
    assert knn_modularity(neighbours, y) > knn_modularity(neighbours, poor)


def _kmeans(k):
    from sklearn.cluster import KMeans

    return lambda rows, seed: KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(rows)


def test_stability_of_a_deterministic_clustering_is_one(blobs):
    x, _ = blobs
    by_sign = lambda rows, seed: (rows[:, 0] > np.median(x[:, 0])).astype(int)  # noqa: E731
    assert subsample_stability(x, by_sign, seed=0) == pytest.approx(1.0)


def test_stability_is_higher_for_real_clusters_than_for_uniform_noise(blobs):
    x, _ = blobs
    uniform = np.random.default_rng(0).uniform(size=x.shape)
    assert subsample_stability(x, _kmeans(4), seed=0) > 0.95
    assert subsample_stability(uniform, _kmeans(4), seed=0) < 0.9


def test_stability_counts_noise_against_the_clustering(blobs):
    x, _ = blobs
    core = np.quantile(x[:, 1], 0.9)  # every refit calls the same 90% of points noise
    by_sign = lambda rows, seed: (rows[:, 0] > 0).astype(int)  # noqa: E731
    cores_only = lambda rows, seed: np.where(rows[:, 1] > core, by_sign(rows, seed), -1)  # noqa: E731
    assert subsample_stability(x, by_sign, seed=0) == pytest.approx(1.0)
    assert subsample_stability(x, cores_only, seed=0) < 0.15
    assert subsample_stability(x, lambda rows, seed: np.full(len(rows), -1), seed=0) == 0.0


@pytest.fixture(scope="module")
def wide_blobs():
    """Wider than SHARED_COMPONENTS, so that label_free_scores reduces them by PCA."""
    x, y = make_blobs(n_samples=300, n_features=80, centers=3, cluster_std=4.0, random_state=1)
    return x, np.where(np.arange(len(y)) % 9 == 0, NOISE_LABEL, y)


def test_label_free_scores_are_the_reported_scores_in_the_shared_space(wide_blobs):
    x, labels = wide_blobs
    features = shared_space(x, SHARED_COMPONENTS, seed=3)
    assert features.shape == (300, SHARED_COMPONENTS)
    expected = {
        KNN_MODULARITY: knn_modularity(nearest_neighbours(features, NEIGHBOURS), labels),
        SILHOUETTE_DATA: silhouette_with_noise(features, labels),
    }
    assert label_free_scores(x, labels, seed=3) == pytest.approx(expected)
    assert all(direction(name) == "maximize" for name in expected)


def test_label_free_scores_ignore_the_scale_of_each_feature(wide_blobs):
    x, labels = wide_blobs
    scale = np.random.default_rng(0).uniform(0.1, 10.0, size=x.shape[1])
    assert label_free_scores(x * scale + 7.0, labels, seed=0) == pytest.approx(
        label_free_scores(x, labels, seed=0)
    )


def test_label_free_scores_on_a_seeded_sample(wide_blobs):
    x, labels = wide_blobs
    keep = sample_indices(len(x), 100, seed=5)
    sampled = label_free_scores(x, labels, seed=5, max_points=100)
    assert sampled == pytest.approx(label_free_scores(x[keep], labels[keep], seed=5))
    assert sampled != pytest.approx(label_free_scores(x, labels, seed=5))


def test_label_free_scores_of_tiny_data():
    assert label_free_scores(np.zeros((1, 3)), np.array([0]), seed=0) == {
        KNN_MODULARITY: None,
        SILHOUETTE_DATA: None,
    }
    two = label_free_scores(np.array([[0.0], [1.0], [5.0]]), np.array([0, 0, 1]), seed=0)
    assert two[KNN_MODULARITY] is not None and two[SILHOUETTE_DATA] is not None
