"""Scores for a clustering of latent codes: label agreement (ACC, NMI, ARI) and cluster shape.

Metric names come from genclust.config.metrics, where they are defined once.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score

from genclust.config.metrics import (
    ACC,
    ARI,
    N_CLUSTERS,
    NMI,
    NOISE_FRACTION,
    SILHOUETTE,
    SILHOUETTE_NOTE,
)

NOISE_LABEL = -1
NO_CLASS = -1  # matched_classes: the point's cluster maps to no class


def match_clusters(y_true: np.ndarray, y_pred: np.ndarray) -> dict[int, int]:
    """The best one-to-one map of clusters to classes, ``{cluster: class}`` (Hungarian algorithm).

    It maximises the number of points whose cluster maps to their class, on the contingency
    matrix, so it works when the number of clusters differs from the number of classes: the
    clusters left over (and noise, label -1) map to nothing.

    >>> match_clusters([0, 0, 0, 1, 1, 1], [1, 1, 0, 0, 0, 0])
    {0: 1, 1: 0}
    >>> match_clusters([0, 0, 1, 1, 1], [-1, 5, 7, 7, 9])  # 9 is left over, -1 is noise
    {5: 0, 7: 1}
    """
    y_true, y_pred = _same_shape(y_true, y_pred)
    kept = y_pred != NOISE_LABEL
    classes, true_idx = np.unique(y_true[kept], return_inverse=True)
    clusters, pred_idx = np.unique(y_pred[kept], return_inverse=True)
    counts = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(counts, (pred_idx, true_idx), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return {int(clusters[r]): int(classes[c]) for r, c in zip(rows, cols, strict=True)}


def matched_classes(y_pred: np.ndarray, matching: dict[int, int]) -> np.ndarray:
    """The class each point's cluster maps to under ``matching``; NO_CLASS where none does.

    >>> matched_classes([5, 7, -1, 9], {5: 0, 7: 1}).tolist()
    [0, 1, -1, -1]
    """
    y_pred = np.asarray(y_pred)
    classes = np.full(y_pred.shape, NO_CLASS, dtype=np.int64)
    for cluster, label in matching.items():
        classes[y_pred == cluster] = label
    return classes


def cluster_accuracy(
    y_true: np.ndarray, y_pred: np.ndarray, matching: dict[int, int] | None = None
) -> float:
    """Fraction of points right under the best one-to-one map of clusters to classes.

    The map is ``match_clusters`` (pass it as ``matching`` when it is already known): clusters
    left unmatched count as errors, and so do noise points (label -1), which never match a class.

    >>> cluster_accuracy([0, 0, 0, 1, 1, 1], [1, 1, 0, 0, 0, 0])  # clusters 1→0, 0→1
    0.8333333333333334
    >>> cluster_accuracy([0, 0, 1, 1], [-1, 5, 7, 7])
    0.75
    """
    y_true, y_pred = _same_shape(y_true, y_pred)
    if y_true.size == 0:
        return 0.0
    if matching is None:
        matching = match_clusters(y_true, y_pred)
    return float(np.mean(matched_classes(y_pred, matching) == y_true))


def _same_shape(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    return y_true, y_pred


def clustering_scores(
    z: np.ndarray,
    y_pred: np.ndarray,
    y_true: np.ndarray | None = None,
    silhouette_max_points: int = 10000,
    seed: int = 0,
    matching: dict[int, int] | None = None,
) -> dict[str, float | int | str | None]:
    """All scores of one clustering, as plain JSON-serialisable Python values.

    Always: n_clusters (noise excluded), noise_fraction and silhouette (on non-noise points, on a
    seeded sample of at most ``silhouette_max_points`` because it costs O(n²)); silhouette is None
    when undefined, with ``silhouette_note`` saying why. With ``y_true``: acc, nmi (arithmetic
    averaging, scikit-learn's default) and ari. For NMI and ARI the noise points form one more
    cluster (they are a group the clusterer set apart); ACC counts them as errors. ``matching``:
    ``match_clusters(y_true, y_pred)``, when the caller needs it too.
    """
    z, y_pred = np.asarray(z), np.asarray(y_pred)
    noise = y_pred == NOISE_LABEL
    n_clusters = len(np.unique(y_pred[~noise]))
    scores: dict[str, float | int | str | None] = {
        N_CLUSTERS: int(n_clusters),
        NOISE_FRACTION: float(noise.mean()) if y_pred.size else 0.0,
    }
    scores[SILHOUETTE], note = _silhouette(z[~noise], y_pred[~noise], silhouette_max_points, seed)
    if note:
        scores[SILHOUETTE_NOTE] = note
    if y_true is not None:
        y_true = np.asarray(y_true)
        scores[ACC] = cluster_accuracy(y_true, y_pred, matching)
        scores[NMI] = float(normalized_mutual_info_score(y_true, y_pred))
        scores[ARI] = float(adjusted_rand_score(y_true, y_pred))
    return scores


def _silhouette(
    z: np.ndarray, labels: np.ndarray, max_points: int, seed: int
) -> tuple[float | None, str | None]:
    """Silhouette of non-noise points on a seeded sample, or (None, why it is undefined)."""
    if labels.size == 0:
        return None, "every point is noise"
    if labels.size > max_points:
        keep = np.random.default_rng(seed).choice(labels.size, size=max_points, replace=False)
        z, labels = z[keep], labels[keep]
    n_labels = len(np.unique(labels))
    if n_labels < 2:
        return None, "fewer than 2 clusters (outside noise)"
    if n_labels >= labels.size:
        return None, "every point is its own cluster"
    return float(silhouette_score(z, labels)), None
