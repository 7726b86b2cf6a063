"""Cluster labels for codes a fitted clusterer never saw: new data, or codes beyond a fit sample.

k-means and GMMs that clustered the codes themselves label new codes with their own
``predict``. Every other case (DBSCAN, HDBSCAN, agglomerative, spectral clustering, or any
clusterer that worked on a t-SNE/UMAP map, which has no faithful mapping for new points) uses
one rule: the majority cluster among the nearest fitted codes in latent space.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.neighbors import KNeighborsClassifier

NEIGHBOURS = 5


def assign_clusters(
    clusterer: BaseEstimator,
    clustered_codes: bool,
    fitted_z: np.ndarray,
    fitted_clusters: np.ndarray,
    z: np.ndarray,
    neighbors: int = NEIGHBOURS,
) -> tuple[np.ndarray, str]:
    """Clusters of ``z`` (int64) and the rule that gave them.

    ``clustered_codes``: the clusterer was fitted on the codes (no manifold in between).
    """
    if clustered_codes and hasattr(clusterer, "predict"):
        return clusterer.predict(z).astype(np.int64), f"{type(clusterer).__name__}.predict"
    k = min(neighbors, len(fitted_z))
    vote = KNeighborsClassifier(n_neighbors=k).fit(fitted_z, fitted_clusters)
    return vote.predict(z).astype(np.int64), f"majority of {k} nearest fitted codes"
