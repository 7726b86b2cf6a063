"""What each cluster holds, at a glance: one row of images per cluster.

``members_nearest_centre`` picks, for each cluster, the samples nearest its centre in the space
that was clustered; ``gallery_figure`` draws rows of images (those members, or what a model
generates from each of its clusters), each row labelled with its cluster and, when labels
exist, the class the cluster is matched to (the same Hungarian map as ACC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from genclust.analysis.metrics import NOISE_LABEL
from genclust.analysis.plots import plt  # pyplot, with the Agg backend plots.py selects

MEMBERS_TAG = "clusters/members"  # TensorBoard image tags of the two galleries
SAMPLES_TAG = "clusters/samples"
PER_ROW = 10  # images shown per cluster
MAX_ROWS = 30  # clusters shown; with more (DBSCAN can find hundreds) the largest ones
_CELL_INCHES = 0.75


def members_nearest_centre(
    features: np.ndarray, clusters: np.ndarray, per_cluster: int = PER_ROW
) -> dict[int, np.ndarray]:
    """For each cluster (noise aside), the rows of its ``per_cluster`` members nearest the mean
    of its members' ``features``, nearest first; the largest MAX_ROWS clusters when there are
    more.

    >>> features = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    >>> members_nearest_centre(features, np.array([0, 0, 0, 1, 1]), per_cluster=2)
    {0: array([1, 0]), 1: array([3, 4])}
    """
    features, clusters = np.asarray(features, dtype=np.float64), np.asarray(clusters)
    values, sizes = np.unique(clusters[clusters != NOISE_LABEL], return_counts=True)
    kept = np.sort(values[np.argsort(-sizes, kind="stable")[:MAX_ROWS]])
    nearest = {}
    for cluster in kept:
        rows = np.flatnonzero(clusters == cluster)
        distances = np.linalg.norm(features[rows] - features[rows].mean(axis=0), axis=1)
        nearest[int(cluster)] = rows[np.argsort(distances, kind="stable")[:per_cluster]]
    return nearest


def display_images(images: np.ndarray) -> np.ndarray:
    """(n, C, H, W) images as (n, H, W) or (n, H, W, C) floats in [0, 1] for imshow; values
    outside [0, 1] (standardised data) are stretched by the array's own range."""
    images = np.asarray(images, dtype=np.float32)
    low, high = float(images.min(initial=0.0)), float(images.max(initial=1.0))
    if low < 0 or high > 1:
        images = (images - low) / max(high - low, 1e-8)
    return images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)


def row_label(
    cluster: int, matching: Mapping[int, int] | None, label_names: Sequence[str] | None
) -> str:
    """``cluster 3 → Sneaker`` (its matched class), ``cluster 3 → none``, or ``cluster 3``."""
    if matching is None:
        return f"cluster {cluster}"
    if cluster not in matching:
        return f"cluster {cluster} → none"
    label = matching[cluster]
    name = label_names[label] if label_names is not None and label < len(label_names) else label
    return f"cluster {cluster} → {name}"


def gallery_figure(rows: Sequence[np.ndarray], labels: Sequence[str], title: str = "") -> Figure:
    """One row of images per entry of ``rows`` ((m, C, H, W) each, m ≤ PER_ROW), labelled on
    the left with the matching entry of ``labels``."""
    if len(rows) != len(labels):
        raise ValueError(f"{len(rows)} rows of images but {len(labels)} labels")
    n_rows = max(len(rows), 1)
    n_cols = max([len(images) for images in rows] + [1])
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(1.8 + n_cols * _CELL_INCHES, 0.4 + n_rows * _CELL_INCHES),
        squeeze=False,
        gridspec_kw={"wspace": 0.05, "hspace": 0.05},
    )
    for axes_row, images, label in zip(axes, rows, labels, strict=False):
        shown = display_images(images) if len(images) else []
        for ax, image in zip(axes_row, shown, strict=False):
            ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
        axes_row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.spines[:].set_visible(False)
    if title:
        fig.suptitle(title, fontsize="medium")
    return fig
