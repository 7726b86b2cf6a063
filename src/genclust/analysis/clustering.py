"""Clusterers for latent codes: a registry of scikit-learn estimators, checked before training.

``build_clusterer`` has scikit-learn check the parameters right after construction (by fitting a
copy on a few points), so a bad ``cluster.params`` override fails at start, not after hours of
training.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.cluster import (
    DBSCAN,
    HDBSCAN,
    AgglomerativeClustering,
    KMeans,
    SpectralClustering,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from genclust.errors import UserError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClustererSpec:
    """How to build one clusterer: its class, its cluster-count parameter, whether it is seeded."""

    estimator: type[BaseEstimator]
    count_param: str | None  # None: density-based, finds the number of clusters itself
    takes_random_state: bool


CLUSTERERS: dict[str, ClustererSpec] = {
    "kmeans": ClustererSpec(KMeans, "n_clusters", True),
    "gmm": ClustererSpec(GaussianMixture, "n_components", True),
    "dbscan": ClustererSpec(DBSCAN, None, False),
    "hdbscan": ClustererSpec(HDBSCAN, None, False),
    "agglomerative": ClustererSpec(AgglomerativeClustering, "n_clusters", False),
    "spectral": ClustererSpec(SpectralClustering, "n_clusters", True),
}


MODEL_CLUSTERS = "model"  # cluster=model: the model's own assignment, not a fitted clusterer
_PROBE_POINTS = 8  # what check_params fits a copy of the clusterer on


def build_clusterer(
    name: str,
    params: Mapping[str, Any],
    n_clusters: int | None,
    seed: int,
    n_samples: int | None = None,
) -> BaseEstimator:
    """An unfitted, validated estimator for ``cluster=<name>`` with ``cluster.params``.

    ``n_clusters`` is ignored by density-based clusterers (and by agglomerative clustering when
    ``distance_threshold`` is set); ``random_state=seed`` is added where accepted unless set.
    ``n_samples``, when known before training, lets a too-large n_clusters fail at start.
    """
    if name not in CLUSTERERS:
        choices = ", ".join([*CLUSTERERS, MODEL_CLUSTERS])
        raise UserError(f"cluster={name!r} is not a clusterer (choose from: {choices})")
    spec = CLUSTERERS[name]
    kwargs = dict(params)
    valid = sorted(spec.estimator().get_params())
    unknown = sorted(set(kwargs) - set(valid))
    if unknown:
        raise UserError(
            f"cluster.params: {', '.join(map(repr, unknown))} is not a parameter of "
            f"{spec.estimator.__name__} (cluster={name}); valid: {', '.join(valid)}"
        )
    if spec.count_param and kwargs.get("distance_threshold") is not None:
        kwargs[spec.count_param] = None  # the threshold decides the number of clusters
    elif spec.count_param:
        if spec.count_param in kwargs:
            raise UserError(
                f"cluster.params.{spec.count_param}: set the number of clusters with "
                f"cluster.n_clusters instead"
            )
        if n_clusters is None:
            raise UserError(
                f"cluster={name} needs a number of clusters: set cluster.n_clusters "
                f"(e.g. cluster.n_clusters=10)"
            )
        check_cluster_count(n_clusters, n_samples)
        kwargs[spec.count_param] = n_clusters
    if spec.takes_random_state:
        kwargs.setdefault("random_state", seed)
    estimator = spec.estimator(**kwargs)
    check_params(estimator, f"cluster={name}")
    return estimator


def check_params(estimator: BaseEstimator, section: str) -> None:
    """Raise UserError if scikit-learn rejects a parameter of ``estimator``.

    scikit-learn checks every parameter when ``fit`` starts, before it looks at the data, and
    raises an error that is both a ValueError and a TypeError. So a copy is fitted on a few
    points with one cluster: a parameter error surfaces; errors these points cause (e.g. more
    neighbours than points) are the data's, and the real data may well be fine.
    """
    probe = clone(estimator)
    count = count_param(probe)
    if count and probe.get_params()[count] is not None:
        probe.set_params(**{count: 1})
    points = np.random.default_rng(0).normal(size=(_PROBE_POINTS, 2))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probe.fit(points)
    except ValueError as error:
        if isinstance(error, TypeError):
            raise UserError(f"{section}: {error}") from None


def count_param(estimator: BaseEstimator) -> str | None:
    """The name of the parameter that sets how many clusters ``estimator`` finds (None for a
    density-based clusterer, or one genclust does not know)."""
    for spec in CLUSTERERS.values():
        if isinstance(estimator, spec.estimator):
            return spec.count_param
    return None


def check_cluster_count(n_clusters: int, n_samples: int | None = None) -> None:
    """Raise UserError unless 1 <= n_clusters (<= n_samples when known)."""
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, int | np.integer):
        raise UserError(f"cluster.n_clusters must be an integer, got {n_clusters!r}")
    if n_clusters < 1:
        raise UserError(f"cluster.n_clusters must be at least 1, got {n_clusters}")
    if n_samples is not None and n_clusters > n_samples:
        raise UserError(
            f"cluster.n_clusters={n_clusters} is more than the {n_samples} points to cluster"
        )


def fit_predict(
    estimator: BaseEstimator, z: np.ndarray, manifold_of: np.ndarray | None = None
) -> np.ndarray:
    """Cluster labels (int64, -1 for noise) of the rows of ``z``; data problems → UserError.

    ``manifold_of``: the codes whose t-SNE/UMAP map ``z`` is. A map spreads identical codes
    apart, so when the codes hold fewer distinct points than the clusters asked for, each
    distinct code is one cluster instead: the most clusters the codes can honestly hold.
    """
    z = np.asarray(z)
    if z.ndim != 2 or len(z) == 0:
        raise UserError(f"latent codes must be a non-empty (n, d) array, got shape {z.shape}")
    name = type(estimator).__name__
    count = count_param(estimator)
    asked = None if count is None else estimator.get_params()[count]
    if asked is not None:
        check_cluster_count(asked, len(z))
    if asked is not None and manifold_of is not None:
        distinct, labels = np.unique(manifold_of, axis=0, return_inverse=True)
        if len(distinct) < asked:
            log.warning(
                "the %d codes hold only %d distinct points, fewer than the %d clusters asked "
                "for: each distinct code is one cluster (clustering their map would split "
                "identical codes)",
                len(manifold_of),
                len(distinct),
                asked,
            )
            return labels.reshape(-1).astype(np.int64)
    if not np.isfinite(z).all():  # after the above: a t-SNE of identical codes can be NaN
        raise UserError("latent codes contain NaN or inf: training diverged (try a lower lr)")
    try:
        with warnings.catch_warnings():  # said below, more plainly
            warnings.filterwarnings("ignore", "Number of distinct clusters", ConvergenceWarning)
            labels = np.asarray(estimator.fit_predict(z), dtype=np.int64)
    except ValueError as error:
        raise UserError(f"{name} failed on latent codes of shape {z.shape}: {error}") from None
    found = len(np.unique(labels[labels >= 0]))
    if asked is not None and found < asked:
        distinct = len(np.unique(z, axis=0))
        why = (
            f"the {len(z)} codes hold only {distinct} distinct points"
            if distinct < asked
            else "the others stayed empty"
        )
        log.warning(
            "%s found %d of the %d clusters asked for (%s); the metrics count the %d found",
            name,
            found,
            asked,
            why,
            found,
        )
    return labels
