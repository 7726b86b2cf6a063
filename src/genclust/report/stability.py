"""Agreement between seeds: how alike the clusters of one setting's repetitions are."""

from __future__ import annotations

import statistics
import zipfile
import zlib
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from genclust.rundir.names import LATENTS_FILE

CLUSTERS_KEY, LABELS_KEY = "cluster", "y"  # latents.npz: each sample's cluster, its true label


def seed_agreement(runs: Sequence[Path]) -> tuple[float | None, int]:
    """Mean adjusted Rand index over every two ``runs``' cluster assignments, and how many runs.

    1 means every seed gave the same partition; about 0, no more alike than chance. Runs whose
    latents.npz is missing or damaged are left out. None when fewer than two remain, or when
    their assignments cannot be of the same samples (other lengths, or other true labels).
    """
    # numpy and scikit-learn load here, not at import: `genclust report --help` stays quick.
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    saved = [arrays for arrays in map(_saved_assignment, runs) if arrays is not None]
    if len(saved) < 2:
        return None, len(saved)
    clusters, labels = zip(*saved, strict=True)
    same_samples = len({len(c) for c in clusters}) == 1
    if not same_samples or not all(np.array_equal(y, labels[0]) for y in labels):  # None == None
        return None, len(saved)
    scores = [adjusted_rand_score(a, b) for a, b in combinations(clusters, 2)]
    return statistics.mean(float(score) for score in scores), len(saved)


def _saved_assignment(run: Path) -> tuple[Any, Any] | None:
    """(clusters, true labels or None) from the run's latents.npz; None if it cannot be read."""
    import numpy as np

    try:
        with np.load(run / LATENTS_FILE, allow_pickle=False) as saved:
            clusters = saved[CLUSTERS_KEY]
            labels = saved[LABELS_KEY] if LABELS_KEY in saved.files else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error):
        return None
    return (clusters, labels) if clusters.ndim == 1 else None
