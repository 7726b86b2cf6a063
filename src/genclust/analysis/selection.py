"""Choosing among several clusterings of one run without labels (``cluster.select``).

The candidates: ``restarts`` seeds of the clusterer (its random_state, random_state + 1, ...)
and, with ``over_cluster`` = f, for each seed also a fit of f·k clusters merged down to k by
the kNN graph of what was clustered (``genclust.analysis.merging``), which can repair a class
the k-cluster fit split in two. With ``without_manifold``, a run that learned a manifold also
fits each of these on the codes themselves: a t-SNE/UMAP map can tear a class apart that the
codes hold together. Each candidate is scored by the default label-free score,
knn_modularity (``DEFAULT_LABEL_FREE``), measured on the data as read
(``genclust.analysis.label_free``); the best is kept. Without the data the candidates are
ranked by their silhouette in the clustered space instead, which favours round clusters; the
record says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from genclust.analysis.clustering import count_param, fit_predict
from genclust.analysis.embedding import sample_indices
from genclust.analysis.label_free import (
    MAX_POINTS,
    knn_modularity,
    neighbour_graph,
    shared_sample,
    silhouette_with_noise,
)
from genclust.analysis.merging import SampledGraph, merge_clusters
from genclust.config.metrics import KNN_MODULARITY, SILHOUETTE
from genclust.errors import UserError

log = logging.getLogger(__name__)

NO_DATA_NOTE = (
    "the data were not available to measure knn_modularity on: the candidates were ranked by "
    "their silhouette in the clustered space"
)


@dataclass(frozen=True)
class Candidate:
    """One clustering of the fitted codes: its name, fitted estimator and labels, for an
    over-clustering the merge of the estimator's clusters (merge[raw cluster] = cluster), and
    whether it clustered the codes themselves although the run learned a manifold of them."""

    name: str
    estimator: BaseEstimator
    labels: np.ndarray
    merge: np.ndarray | None = None
    skips_manifold: bool = False


def check_selection(
    clusterer: BaseEstimator, restarts: int, over_cluster: int | None, n_samples: int | None
) -> None:
    """Raise UserError for ``cluster.select`` settings that this clusterer cannot honour."""
    params = clusterer.get_params()
    if restarts > 1 and "random_state" not in params:
        raise UserError(
            f"cluster.select.restarts={restarts}: {type(clusterer).__name__} has no random "
            "state, so every restart would give the same clusters; leave restarts at 1"
        )
    if over_cluster is None:
        return
    count = count_param(clusterer)
    k = None if count is None else params[count]
    if k is None:
        raise UserError(
            f"cluster.select.over_cluster={over_cluster}: {type(clusterer).__name__} is not "
            "told a number of clusters here, so there is nothing to over-cluster"
        )
    if n_samples is not None and over_cluster * k > n_samples:
        raise UserError(
            f"cluster.select.over_cluster={over_cluster} asks for {over_cluster * k} clusters, "
            f"more than the {n_samples} points to cluster"
        )


def select_candidate(
    clusterer: BaseEstimator,
    features: np.ndarray,
    manifold_of: np.ndarray | None,
    inputs: np.ndarray | None,
    restarts: int,
    over_cluster: int | None,
    seed: int,
    without_manifold: bool = False,
) -> tuple[Candidate, dict[str, Any]]:
    """The best-scoring candidate clustering of ``features`` (what is clustered; the map of the
    codes ``manifold_of``, if a map), and the record of the choice for metrics.json.

    ``inputs``: the samples the clustered codes encode, as read; None: rank by silhouette.
    ``without_manifold``: also cluster the codes ``manifold_of`` themselves (no-op without a map).
    """
    score_name, score = _scorer(features, inputs, seed)
    if inputs is None:
        log.warning("cluster.select: %s", NO_DATA_NOTE)
    spaces = [_Space(features, manifold_of, skips_manifold=False)]
    if without_manifold and manifold_of is not None:
        spaces.append(_Space(manifold_of, None, skips_manifold=True))
    best, best_score, rows = None, -np.inf, []
    for candidate in _candidates(clusterer, spaces, restarts, over_cluster, seed):
        value = score(candidate.labels)
        rows.append({"name": candidate.name, score_name: value})
        log.info("cluster.select: %s: %s %s", candidate.name, score_name, value)
        if value is not None and value > best_score:
            best, best_score = candidate, value
    best = best or candidate  # every score undefined (one cluster each): keep the last
    record = {"score": score_name, "chosen": best.name, "candidates": rows}
    if inputs is None:
        record["note"] = NO_DATA_NOTE
    return best, record


@dataclass(frozen=True)
class _Space:
    """What candidates are fitted on: ``features`` (the map of the codes ``manifold_of``, if a
    map), and whether these are the codes of a run that learned a manifold."""

    features: np.ndarray
    manifold_of: np.ndarray | None
    skips_manifold: bool

    @property
    def suffix(self) -> str:
        return ", on the codes" if self.skips_manifold else ""


def _candidates(
    clusterer: BaseEstimator,
    spaces: list[_Space],
    restarts: int,
    over_cluster: int | None,
    seed: int,
) -> Iterator[Candidate]:
    params = clusterer.get_params()
    count = count_param(clusterer)
    graphs = [None if over_cluster is None else SampledGraph.of(s.features, seed) for s in spaces]
    for restart in range(restarts):
        seeded = clone(clusterer)
        name = "as configured"
        if "random_state" in params:
            state = params["random_state"] + restart
            seeded.set_params(random_state=state)
            name = f"random_state {state}"
        for space, graph in zip(spaces, graphs, strict=True):
            fitted = clone(seeded)
            labels = fit_predict(fitted, space.features, manifold_of=space.manifold_of)
            yield Candidate(name + space.suffix, fitted, labels, None, space.skips_manifold)
            if over_cluster is not None:
                k = params[count]
                over = clone(seeded).set_params(**{count: over_cluster * k})
                raw = fit_predict(over, space.features, manifold_of=space.manifold_of)
                merge = merge_clusters(graph, raw, k)
                merged = f"{name}, {over_cluster * k} merged to {k}{space.suffix}"
                yield Candidate(merged, over, merge[raw], merge, space.skips_manifold)


def _scorer(
    features: np.ndarray, inputs: np.ndarray | None, seed: int
) -> tuple[str, Callable[[np.ndarray], float | None]]:
    """The score that ranks candidates, by name, and the function of their labels that gives
    it; the kNN graph of the data (or the silhouette's sample) is built once for all. On the
    data, the same sample and graph as the run's own knn_modularity, so the chosen candidate's
    score is the run's when it was fitted on every code."""
    if inputs is not None:
        keep, shared = shared_sample(inputs, seed)
        neighbours = neighbour_graph(shared)
        return KNN_MODULARITY, lambda labels: knn_modularity(neighbours, labels[keep])
    keep = sample_indices(len(features), MAX_POINTS, seed)
    return SILHOUETTE, lambda labels: silhouette_with_noise(features[keep], labels[keep])
