"""Figures of the 2-D map of latent codes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and compute nodes

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from genclust.analysis.metrics import NOISE_LABEL  # noqa: E402
from genclust.rundir.files import write_atomic  # noqa: E402

MAX_LEGEND_GROUPS = 20  # above this a legend is unreadable; a colour bar is used instead
NOISE_COLOUR = "0.7"
# tab10 without its grey (grey means noise), then tab20b one shade of each hue at a time.
_TAB20B = plt.get_cmap("tab20b").colors
PALETTE = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 7] + [
    _TAB20B[hue + shade] for shade in range(4) for hue in range(0, 20, 4)
]


def embedding_figure(
    coords: np.ndarray,
    clusters: np.ndarray,
    labels: np.ndarray | None = None,
    label_names: Sequence[str] | None = None,
    title: str = "",
) -> Figure:
    """Scatter of the 2-D map coloured by cluster (noise grey) and, if given, by true label."""
    coords = np.asarray(coords)
    panels = [("cluster", np.asarray(clusters), None)]
    if labels is not None:
        panels.append(("true label", np.asarray(labels), label_names))
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 5.5), squeeze=False)
    marker_size = float(np.clip(2e4 / max(len(coords), 1), 0.5, 12))
    for ax, (name, groups, names) in zip(axes[0], panels, strict=True):
        _scatter(ax, coords, groups, names, marker_size)
        ax.set_title(f"coloured by {name}")
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _scatter(
    ax: Axes, coords: np.ndarray, groups: np.ndarray, names: Sequence[str] | None, size: float
) -> None:
    """One panel: a legend for up to MAX_LEGEND_GROUPS groups, a colour bar beyond."""
    noise = groups == NOISE_LABEL
    if noise.any():
        ax.scatter(*coords[noise].T, s=size, c=NOISE_COLOUR, linewidths=0, label="noise")
    values = np.unique(groups[~noise])
    if len(values) > MAX_LEGEND_GROUPS:
        points = ax.scatter(
            *coords[~noise].T, s=size, c=groups[~noise], cmap="nipy_spectral", linewidths=0
        )
        ax.figure.colorbar(points, ax=ax, fraction=0.046, pad=0.02)
        return
    for colour, value in zip(PALETTE, values, strict=False):
        name = names[value] if names is not None and 0 <= value < len(names) else str(value)
        ax.scatter(*coords[groups == value].T, s=size, color=colour, linewidths=0, label=name)
    ax.legend(
        markerscale=max(1.0, 6 / size**0.5),
        fontsize="small",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
    )


def save_figure(fig: Figure, path: str | os.PathLike) -> None:
    """Write fig as PNG atomically (rundir.files.write_atomic) and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(
            path,
            lambda file: fig.savefig(file, format="png", dpi=120, bbox_inches="tight"),
            binary=True,
        )
    finally:
        plt.close(fig)
