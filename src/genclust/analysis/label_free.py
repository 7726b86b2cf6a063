"""Label-free scores of a clustering that are comparable across models.

Today's ``silhouette`` is measured in each run's own latent space, and spaces differ between
models, so a VAE's number and a GAN's cannot be ranked against each other. The scores here are
measured in a space that depends only on the data: the samples as the run saw them, flattened and
standardised (``standardised``), optionally reduced by PCA (``shared_space``). Every run on the
same data (and seed) is then scored on the same points in the same geometry, and only its
assignment differs.

Noise (label -1, DBSCAN/HDBSCAN) must not buy a better score, since a clusterer can always call
its hard points noise. Per-point scores give every noise point the worst value a point can have:
silhouette -1 and no neighbour agreement; the mean is over all points, noise included. The
whole-partition indices (Calinski-Harabasz, Davies-Bouldin) see noise as one more cluster, as NMI
and ARI do in genclust.analysis.metrics: a diffuse noise group inflates the within-cluster spread.

All functions take arrays and return numbers; none reads files or configs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_samples,
)
from sklearn.neighbors import NearestNeighbors

from genclust.analysis.embedding import sample_indices
from genclust.analysis.metrics import NOISE_LABEL
from genclust.config.metrics import KNN_MODULARITY, SILHOUETTE_DATA

WORST_SILHOUETTE = -1.0  # what a noise point contributes to silhouette_with_noise
MAX_POINTS = 10_000  # scores use a seeded sample of at most this many points (O(n²) silhouette)
SHARED_COMPONENTS = 50  # wider data is reduced to its first 50 principal components
NEIGHBOURS = 15  # k of the k-nearest-neighbour graph


def label_free_scores(
    x: np.ndarray, clusters: np.ndarray, seed: int, max_points: int = MAX_POINTS
) -> dict[str, float | None]:
    """The label-free scores genclust reports, for the assignment ``clusters`` of the samples
    ``x`` (the data as the run saw it; any per-feature shift and scale gives the same scores).

    On a seeded sample of at most ``max_points`` samples (the same rule as the latent-space
    silhouette): standardise, reduce to SHARED_COMPONENTS principal components, then score.
    """
    keep, features = shared_sample(x, seed, max_points)
    labels = np.asarray(clusters)[keep]
    neighbours = neighbour_graph(features)
    return {
        KNN_MODULARITY: None if neighbours is None else knn_modularity(neighbours, labels),
        SILHOUETTE_DATA: silhouette_with_noise(features, labels),
    }


def shared_sample(
    x: np.ndarray, seed: int, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """The points the label-free scores are measured on: the indices of a seeded sample of at
    most ``max_points`` samples of ``x``, and those samples in the shared space."""
    keep = sample_indices(len(x), max_points, seed)
    return keep, shared_space(np.asarray(x)[keep], SHARED_COMPONENTS, seed)


def neighbour_graph(features: np.ndarray) -> np.ndarray | None:
    """The kNN graph the scores use: each point's NEIGHBOURS nearest (fewer for fewer points);
    None for a single point."""
    k = min(NEIGHBOURS, len(features) - 1)
    return nearest_neighbours(features, k) if k else None


def standardised(x: np.ndarray) -> np.ndarray:
    """Samples flattened to (n, d) in float64, each feature with zero mean and unit std.

    A constant feature (std 0, e.g. an image's always-black corner) becomes all zeros.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    centred = x - x.mean(axis=0)
    std = centred.std(axis=0)
    std[std == 0] = 1.0
    return centred / std


def shared_space(x: np.ndarray, n_components: int | None, seed: int) -> np.ndarray:
    """The standardised samples, reduced to their first ``n_components`` principal components
    when they have more features than that (None: no reduction). Fewer samples than
    components span fewer dimensions: as many components as samples then keep them all.

    >>> shared_space(np.random.default_rng(0).normal(size=(5, 60)), 50, seed=0).shape
    (5, 5)
    """
    features = standardised(x)
    if n_components is None or features.shape[1] <= n_components:
        return features
    n_components = min(n_components, len(features))
    return PCA(n_components=n_components, random_state=seed).fit_transform(features)


def _noise_as_cluster(labels: np.ndarray) -> np.ndarray:
    """Labels with the noise points as one cluster of their own (a label no cluster uses)."""
    labels = np.asarray(labels)
    return np.where(labels == NOISE_LABEL, labels.max(initial=0) + 1, labels)


def _defined(labels: np.ndarray) -> bool:
    """Whether a cluster index is defined: 2 ≤ number of labels ≤ number of points - 1."""
    return 2 <= len(np.unique(labels)) < len(labels)


def silhouette_with_noise(features: np.ndarray, labels: np.ndarray) -> float | None:
    """Mean silhouette over all points; a noise point counts -1, the worst value.

    The silhouettes of clustered points are computed among clustered points only. None when
    fewer than 2 clusters remain outside noise (or every clustered point is its own cluster).

    >>> silhouette_with_noise(np.array([[0], [0], [4], [4], [2]]), np.array([0, 0, 1, 1, -1]))
    0.6
    """
    labels = np.asarray(labels)
    clustered = labels != NOISE_LABEL
    if not _defined(labels[clustered]):
        return None
    values = np.full(len(labels), WORST_SILHOUETTE)
    values[clustered] = silhouette_samples(np.asarray(features)[clustered], labels[clustered])
    return float(values.mean())


def calinski_harabasz_with_noise(features: np.ndarray, labels: np.ndarray) -> float | None:
    """Calinski-Harabasz index (higher is better), noise as one more cluster; None if undefined."""
    labels = _noise_as_cluster(labels)
    return float(calinski_harabasz_score(features, labels)) if _defined(labels) else None


def davies_bouldin_with_noise(features: np.ndarray, labels: np.ndarray) -> float | None:
    """Davies-Bouldin index (lower is better), noise as one more cluster; None if undefined."""
    labels = _noise_as_cluster(labels)
    return float(davies_bouldin_score(features, labels)) if _defined(labels) else None


def nearest_neighbours(features: np.ndarray, k: int) -> np.ndarray:
    """(n, k) indices of each point's k nearest other points (Euclidean; never itself)."""
    features = np.asarray(features)
    if not 1 <= k < len(features):
        raise ValueError(f"k must lie in [1, {len(features) - 1}] for {len(features)} points")
    return NearestNeighbors(n_neighbors=k).fit(features).kneighbors(return_distance=False)


def knn_agreement(neighbours: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of (point, neighbour) pairs in one cluster; a noise point agrees with none.

    ``neighbours``: the (n, k) output of ``nearest_neighbours``. 1.0 for one single cluster, so
    on its own it rewards merging; ``knn_modularity`` corrects for that.

    >>> knn_agreement(np.array([[1], [0], [3], [2]]), np.array([0, 0, 1, -1]))
    0.5
    """
    return float(_same_cluster(neighbours, labels).mean())


def knn_modularity(neighbours: np.ndarray, labels: np.ndarray) -> float:
    """Modularity of the clusters in the directed k-nearest-neighbour graph (higher is better).

    Leicht & Newman (2008): Q = (1/m) Σ_ij [A_ij - out_i in_j / m] δ(c_i, c_j) with m = n k
    edges, i.e. ``knn_agreement`` minus the agreement expected if every edge kept its endpoints'
    degrees but were rewired at random. One cluster scores 0, a partition that cuts through dense
    regions scores low; noise points share no cluster, so their edges count for nothing.
    """
    neighbours, labels = np.asarray(neighbours), np.asarray(labels)
    n, k = neighbours.shape
    clustered = labels != NOISE_LABEL
    _, cluster_of = np.unique(labels[clustered], return_inverse=True)
    index = np.full(n, -1)
    index[clustered] = cluster_of
    out_share = np.bincount(index[clustered]) / n  # each point has k of the n k out-edges
    heads = index[neighbours.ravel()]
    in_share = np.bincount(heads[heads >= 0], minlength=len(out_share)) / (n * k)
    return knn_agreement(neighbours, labels) - float(out_share @ in_share)


def _same_cluster(neighbours: np.ndarray, labels: np.ndarray) -> np.ndarray:
    labels = np.asarray(labels)
    return (labels[neighbours] == labels[:, None]) & (labels != NOISE_LABEL)[:, None]


def subsample_stability(
    features: np.ndarray,
    fit_predict: Callable[[np.ndarray, int], np.ndarray],
    seed: int,
    fraction: float = 0.8,
) -> float:
    """How far a clustering reproduces itself: ARI between two refits on seeded subsamples.

    ``fit_predict(rows, seed)`` clusters the given rows afresh with the given seed. Two
    subsamples of ``fraction`` of the points are drawn; their refits are compared on the points
    both hold. Noise is consistent by nature (both refits may call the same hard points noise),
    so the ARI of the points clustered in both is weighted by their share of the shared points:
    a refit that calls 90% noise scores at most 0.1.
    """
    features = np.asarray(features)
    rng = np.random.default_rng(seed)
    size = round(fraction * len(features))
    first, second = (np.sort(rng.choice(len(features), size, replace=False)) for _ in range(2))
    labels = np.full((2, len(features)), NOISE_LABEL)
    labels[0, first] = fit_predict(features[first], seed + 1)
    labels[1, second] = fit_predict(features[second], seed + 2)
    shared = np.intersect1d(first, second)
    both = shared[(labels[:, shared] != NOISE_LABEL).all(axis=0)]
    if len(both) == 0:
        return 0.0
    ari = adjusted_rand_score(labels[0, both], labels[1, both])
    return float(ari * len(both) / len(shared))
