"""Merge an over-clustering down to k clusters by how its clusters connect in the kNN graph.

A clusterer told to find more clusters than there are classes rarely puts two classes in one
cluster; it cuts classes into pieces instead. Pieces of one class touch: many of their points
are each other's nearest neighbours. So the pieces are merged greedily, each time the pair
whose merge raises the modularity of the clusters in the kNN graph of what was clustered the
most (Clauset, Newman & Moore 2004, on the directed graph of ``knn_modularity``): the pair
with the most kNN edges between them relative to what their sizes would give at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genclust.analysis.embedding import sample_indices
from genclust.analysis.label_free import MAX_POINTS, neighbour_graph


@dataclass(frozen=True)
class SampledGraph:
    """The kNN graph of a seeded sample of at most MAX_POINTS of the clustered points: built
    once, it serves every over-clustering of the same points."""

    keep: np.ndarray  # indices of the sampled points
    neighbours: np.ndarray | None  # (len(keep), k) neighbours within the sample; None: 1 point

    @classmethod
    def of(cls, features: np.ndarray, seed: int) -> SampledGraph:
        keep = sample_indices(len(features), MAX_POINTS, seed)
        return cls(keep, neighbour_graph(np.asarray(features)[keep]))


def merge_clusters(graph: SampledGraph, labels: np.ndarray, k: int) -> np.ndarray:
    """The merge of the clusters ``labels`` (0 ≤ label) of the points ``graph`` was built on
    down to ``k``: ``merge[label]`` is the merged cluster (0 ≤ merged < k), for every label up
    to ``labels.max()``.
    """
    labels = np.asarray(labels)
    n_labels = int(labels.max()) + 1
    keep, neighbours = graph.keep, graph.neighbours
    edges = np.zeros((n_labels, n_labels))  # edges[a, b]: kNN edges from cluster a to b
    if neighbours is not None:
        tails = np.repeat(labels[keep], neighbours.shape[1])
        np.add.at(edges, (tails, labels[keep][neighbours.ravel()]), 1)
    empty = np.bincount(labels, minlength=n_labels) == 0  # asked for but never found
    group = np.arange(n_labels)  # group[label]: the cluster it belongs to so far
    alive = list(range(n_labels))
    while len(alive) > k:
        a, b = _best_pair(edges, alive, empty)
        edges[a] += edges[b]
        edges[:, a] += edges[:, b]
        empty[a] &= empty[b]
        group[group == b] = a
        alive.remove(b)
    return np.searchsorted(alive, group)  # alive is sorted: the groups numbered 0..k-1


def _best_pair(edges: np.ndarray, alive: list[int], empty: np.ndarray) -> tuple[int, int]:
    """The clusters (a < b) whose merge raises the modularity most; an empty one goes first."""
    sub = edges[np.ix_(alive, alive)]
    total = max(sub.sum(), 1.0)
    out_share, in_share = sub.sum(axis=1) / total, sub.sum(axis=0) / total
    gain = (sub + sub.T) / total - (np.outer(out_share, in_share) + np.outer(in_share, out_share))
    gain[np.ix_(empty[alive], np.ones(len(alive), dtype=bool))] = np.inf
    np.fill_diagonal(gain, -np.inf)
    i, j = np.unravel_index(np.argmax(gain), gain.shape)
    return alive[min(i, j)], alive[max(i, j)]
