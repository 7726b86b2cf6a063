"""Figures of the 2-D map of latent codes."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on servers and compute nodes

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from genclust.analysis.metrics import NOISE_LABEL  # noqa: E402
from genclust.rundir.files import write_atomic  # noqa: E402

MAX_LEGEND_GROUPS = 20  # above this a legend is unreadable; a colour bar is used instead
NOISE_COLOUR = "0.8"
# Clusters matched to no class: greys (and a brown), never a class's colour.
UNMATCHED_COLOURS = ["0.45", "0.6", "0.3", "#8c6d4f"]
# tab10 without its grey (grey means noise or unmatched), then tab20b one shade of each hue at a
# time. Class k is always drawn in PALETTE[k], and a cluster in the colour of its matched class.
_TAB20B = plt.get_cmap("tab20b").colors
PALETTE = [c for i, c in enumerate(plt.get_cmap("tab10").colors) if i != 7] + [
    _TAB20B[hue + shade] for shade in range(4) for hue in range(0, 20, 4)
]


@dataclass(frozen=True)
class _Group:
    value: int  # the cluster or class
    colour: Any
    name: str | None  # its legend entry; None: drawn, but not in the legend


def embedding_figure(
    coords: np.ndarray,
    clusters: np.ndarray,
    labels: np.ndarray | None = None,
    label_names: Sequence[str] | None = None,
    title: str = "",
    matching: Mapping[int, int] | None = None,
) -> Figure:
    """Scatter of the 2-D map coloured by cluster and, if given, by true label.

    With ``matching`` (cluster → class, metrics.match_clusters), each cluster is drawn in the
    colour of its class in the label panel, so the two panels can be compared point by point;
    clusters matched to no class are grey, and so is noise (lighter). Without it, clusters get
    the palette in turn.
    """
    coords = np.asarray(coords)
    clusters = np.asarray(clusters)
    panels = [("cluster → class" if matching is not None else "cluster", clusters)]
    styles = [_cluster_groups(clusters, matching, label_names)]
    if labels is not None:
        labels = np.asarray(labels)
        panels.append(("class", labels))
        styles.append(_class_groups(labels, label_names))
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 5.5), squeeze=False)
    marker_size = float(np.clip(2e4 / max(len(coords), 1), 0.5, 12))
    for ax, (name, groups), style in zip(axes[0], panels, styles, strict=True):
        _scatter(ax, coords, groups, style, marker_size, name)
        ax.set_title(f"coloured by {name}")
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _cluster_groups(
    clusters: np.ndarray, matching: Mapping[int, int] | None, names: Sequence[str] | None
) -> list[_Group] | None:
    """How each cluster is drawn; None when there are too many to tell apart (colour bar)."""
    values = np.unique(clusters[clusters != NOISE_LABEL]).tolist()
    if matching is None:
        if len(values) > MAX_LEGEND_GROUPS:
            return None
        return [_Group(v, PALETTE[i], str(v)) for i, v in enumerate(values)]
    if len(matching) > MAX_LEGEND_GROUPS or max(matching.values(), default=0) >= len(PALETTE):
        return None
    matched = sorted((v for v in values if v in matching), key=lambda v: matching[v])
    unmatched = [v for v in values if v not in matching]
    return [
        _Group(v, PALETTE[matching[v]], f"{v} → {_name(matching[v], names)}") for v in matched
    ] + [
        # Greys, with one legend entry for them all: there may be many.
        _Group(
            v,
            UNMATCHED_COLOURS[i % len(UNMATCHED_COLOURS)],
            None if i else f"{len(unmatched)} unmatched",
        )
        for i, v in enumerate(unmatched)
    ]


def _class_groups(labels: np.ndarray, names: Sequence[str] | None) -> list[_Group] | None:
    values = np.unique(labels).tolist()
    if len(values) > MAX_LEGEND_GROUPS or max(values) >= len(PALETTE):
        return None
    return [_Group(v, PALETTE[v], _name(v, names)) for v in values]


def _name(value: int, names: Sequence[str] | None) -> str:
    return names[value] if names is not None and 0 <= value < len(names) else str(value)


def _scatter(
    ax: Axes,
    coords: np.ndarray,
    groups: np.ndarray,
    style: list[_Group] | None,
    size: float,
    title: str,
) -> None:
    """One panel: noise first (underneath), then each group; a legend, or a colour bar."""
    noise = groups == NOISE_LABEL
    if noise.any():
        ax.scatter(*coords[noise].T, s=size, c=NOISE_COLOUR, linewidths=0, label="noise")
    if style is None:
        points = ax.scatter(
            *coords[~noise].T, s=size, c=groups[~noise], cmap="nipy_spectral", linewidths=0
        )
        ax.figure.colorbar(points, ax=ax, fraction=0.046, pad=0.02, label=title)
        return
    for group in style:
        members = groups == group.value
        label = group.name if group.name is not None else "_nolegend_"
        ax.scatter(*coords[members].T, s=size, color=group.colour, linewidths=0, label=label)
    ax.legend(
        title=title,
        markerscale=max(1.0, 6 / size**0.5),
        fontsize="small",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
    )


def publish_figure(fig: Figure, path: str | os.PathLike, tag: str, writer: Any = None) -> None:
    """Save fig as a PNG at path and, given a TensorBoard ``SummaryWriter``, add it as ``tag``."""
    if writer is not None:
        writer.add_figure(tag, fig, close=False)
    save_figure(fig, path)


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
