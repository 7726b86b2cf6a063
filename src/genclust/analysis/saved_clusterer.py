"""A clustering's clusterer.joblib read back, for ``genclust predict``.

Runs saved since there is a ``LatentClusterer`` hold it (or ``ModelClusters``) whole. Runs saved
before hold the bare scikit-learn clusterer (or a ModelClusters class that no longer exists);
they are read as the LatentClusterer they amount to, with what metrics.json says was clustered
and latents.npz's codes and clusters, so their predictions stay as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
from sklearn.base import BaseEstimator

from genclust.analysis.latent_clusterer import (
    CLUSTERED,
    MODEL,
    LatentClusterer,
    ModelClusters,
)
from genclust.errors import UserError
from genclust.rundir.names import CLUSTERER_FILE, LATENTS_FILE, METRICS_FILE


def load_clusterer(directory: Path) -> LatentClusterer | ModelClusters:
    """The fitted clusterer of the clustering saved in ``directory``."""
    try:
        saved = joblib.load(directory / CLUSTERER_FILE)
    except AttributeError:  # pickled from a class this version no longer has
        saved = None
    if isinstance(saved, LatentClusterer | ModelClusters):
        return saved
    clustered = json.loads((directory / METRICS_FILE).read_text()).get(CLUSTERED)
    if clustered == MODEL:
        return ModelClusters()
    if isinstance(saved, BaseEstimator) and clustered is not None:
        with np.load(directory / LATENTS_FILE) as latents:
            return LatentClusterer.from_earlier_run(
                saved, clustered, latents["z"], latents["cluster"]
            )
    raise UserError(
        f"{directory / CLUSTERER_FILE} holds no clusterer genclust can use; "
        "cluster the run again with genclust cluster"
    )
