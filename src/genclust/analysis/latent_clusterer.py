"""What a run clustered, as one scikit-learn estimator: ``fit`` on the codes, ``predict`` new ones.

``LatentClusterer`` holds the whole path from codes to clusters: an optional manifold (t-SNE or
UMAP, N2D), the clusterer, a seeded sample for large code sets, the choice among candidates
(``genclust.analysis.selection``), and the rule for codes it never saw. That rule: k-means and
GMMs that clustered the codes themselves label new codes with their own ``predict``; every other
case (DBSCAN, HDBSCAN, agglomerative, spectral clustering, or any clusterer that worked on a
t-SNE/UMAP map, which has no faithful mapping for new points) takes the majority cluster among
the ``neighbors`` nearest fitted codes in latent space. The codes beyond a large set's sample and
``genclust predict``'s new data are labelled alike.

``ModelClusters`` is the same interface for ``cluster=model``: the clusters are a cluster-aware
model's own assignment, given to ``fit`` and ``predict``, so nothing is learned.

Each is saved whole as a run's clusterer.joblib.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.neighbors import KNeighborsClassifier

from genclust.analysis.clustering import fit_predict
from genclust.analysis.embedding import sample_indices
from genclust.analysis.manifold import learn_manifold
from genclust.analysis.selection import Candidate, select_candidate
from genclust.analysis.timing import timed
from genclust.errors import UserError

NEIGHBOURS = 5  # the default of the rule for new codes
CLUSTERED = "clustered"  # metrics.json: what the clusterer saw, the codes or a manifold of them
CODES = "latent codes"
MODEL = "the model's own assignment"  # metrics.json "clustered" under cluster=model
FITTED_ON = "fitted_on"  # metrics.json, large code sets: size of the sample the clusterer saw
ASSIGNED_BY = "assigned_by"  # ... and how the other codes got their cluster
SELECTION = "selection"  # metrics.json: the candidates and the one chosen (cluster.select)


class CodeClusterer(Protocol):
    """What the analysis needs of a clusterer of codes; after ``fit``:

    ``labels_``: the cluster of every code (int64, -1 for noise); ``sample_``: the indices of the
    codes it was fitted on; ``features_``: what it clustered, of those codes (the codes or their
    manifold); ``record_``: what metrics.json says of the fit; ``seconds_``: wall times. A
    clusterer that ``learns_a_2d_tsne_map`` also has it, of those codes, as ``manifold_map_``.
    """

    labels_: np.ndarray
    sample_: np.ndarray
    features_: np.ndarray
    record_: dict[str, Any]
    seconds_: dict[str, float]

    def fit(
        self,
        z: np.ndarray,
        inputs: np.ndarray | None = None,
        assignments: np.ndarray | None = None,
    ) -> CodeClusterer: ...

    def predict(self, z: np.ndarray, assignments: np.ndarray | None = None) -> np.ndarray: ...

    @property
    def assigns_by(self) -> str: ...

    @property
    def learns_a_2d_tsne_map(self) -> bool: ...

    def describe(self, name: str | None) -> str: ...

    def space(self) -> str: ...


class LatentClusterer(BaseEstimator):
    """Manifold, then clusterer, of the codes; with the rule for new codes.

    ``clusterer``: an unfitted scikit-learn clusterer (``build_clusterer``). ``manifold``:
    ``none``, ``tsne`` or ``umap``, with ``manifold_dim`` and ``manifold_params``. More codes than
    ``fit_max_points``: both are fitted on a sample of them seeded by ``seed``, and the rest are
    labelled by ``predict``. ``restarts``, ``over_cluster`` and ``without_manifold``: the
    candidates to choose among by a label-free score (``genclust.analysis.selection``); 1, None
    and False fit the clusterer once. ``neighbors``: how many fitted codes vote on a new code's
    cluster.

    Fitted, ``manifold_`` is what the kept clustering saw: ``manifold``, or ``none`` when the
    chosen candidate clustered the codes themselves.
    """

    def __init__(
        self,
        clusterer: BaseEstimator,
        manifold: str = "none",
        manifold_dim: int = 2,
        manifold_params: Mapping[str, Any] | None = None,
        fit_max_points: int | None = None,
        seed: int = 0,
        restarts: int = 1,
        over_cluster: int | None = None,
        without_manifold: bool = False,
        neighbors: int = NEIGHBOURS,
    ) -> None:
        self.clusterer = clusterer
        self.manifold = manifold
        self.manifold_dim = manifold_dim
        self.manifold_params = manifold_params
        self.fit_max_points = fit_max_points
        self.seed = seed
        self.restarts = restarts
        self.over_cluster = over_cluster
        self.without_manifold = without_manifold
        self.neighbors = neighbors

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Read back a clusterer.joblib saved before candidates could skip the manifold."""
        state.setdefault("without_manifold", False)
        if "clusterer_" in state:
            state.setdefault("manifold_", state["manifold"])
        super().__setstate__(state)

    def fit(
        self,
        z: np.ndarray,
        inputs: np.ndarray | None = None,
        assignments: np.ndarray | None = None,
    ) -> LatentClusterer:
        """Cluster the codes ``z``; ``inputs``: the samples they encode, as read, on which the
        candidates are scored when there are several. ``assignments`` is not used."""
        z = np.asarray(z)
        self.seconds_: dict[str, float] = {}
        self.sample_ = sample_indices(len(z), self.fit_max_points, self.seed)
        with timed(self.seconds_, "manifold"):
            self.manifold_map_ = learn_manifold(
                z[self.sample_],
                self.manifold,
                self.manifold_dim,
                self.seed,
                self.manifold_params or {},
            )
        with timed(self.seconds_, "cluster"):
            chosen, selection = self._fit_candidates(z, inputs)
            self.clusterer_, self.merge_ = chosen.estimator, chosen.merge
            self.manifold_ = "none" if chosen.skips_manifold else self.manifold
            self.features_ = z[self.sample_] if chosen.skips_manifold else self.manifold_map_
            self.codes_, self.code_labels_ = z[self.sample_], chosen.labels
            self.labels_ = np.empty(len(z), dtype=np.int64)
            self.labels_[self.sample_] = chosen.labels
            rest = np.ones(len(z), dtype=bool)
            rest[self.sample_] = False
            self.record_: dict[str, Any] = {CLUSTERED: self._clustered}
            if rest.any():
                self.labels_[rest] = self._predict(z[rest], min(self.neighbors, len(self.sample_)))
                self.record_ |= {FITTED_ON: int(len(self.sample_)), ASSIGNED_BY: self.assigns_by}
            if selection is not None:
                self.record_[SELECTION] = selection
        return self

    def fit_predict(self, z: np.ndarray, inputs: np.ndarray | None = None) -> np.ndarray:
        return self.fit(z, inputs).labels_

    def predict(self, z: np.ndarray, assignments: np.ndarray | None = None) -> np.ndarray:
        """Clusters (int64) of codes ``z``, by the rule ``assigns_by`` names."""
        if self.neighbors > len(self.codes_) and not self._predicts_itself:
            raise UserError(f"neighbors must be at most {len(self.codes_)} (got {self.neighbors})")
        return self._predict(np.asarray(z), self.neighbors)

    @property
    def assigns_by(self) -> str:
        """The rule for new codes, in words."""
        if self._predicts_itself:
            rule = f"{type(self.clusterer_).__name__}.predict"
            if self.merge_ is not None:
                rule += f" of {len(self.merge_)} clusters, merged to {self.merge_.max() + 1}"
            return rule
        return f"majority of {min(self.neighbors, len(self.codes_))} nearest fitted codes"

    @property
    def learns_a_2d_tsne_map(self) -> bool:
        """Whether ``fit`` learns a 2-D t-SNE map of the codes, which the figure can reuse."""
        return self.manifold == "tsne" and self.manifold_dim == 2

    def describe(self, name: str | None) -> str:
        """``kmeans on a tsne map of the codes``: the clusterer (``name``, else its class) and
        where it found the clusters."""
        return f"{name or type(self.clusterer).__name__} on {self.space()}"

    def space(self) -> str:
        """Where the fitted clusters were found: the codes, or a manifold of them."""
        manifold = self.manifold_
        return f"the {CODES}" if manifold == "none" else f"a {manifold} map of the codes"

    @classmethod
    def from_earlier_run(
        cls, estimator: BaseEstimator, clustered: str, z: np.ndarray, clusters: np.ndarray
    ) -> LatentClusterer:
        """The fitted LatentClusterer of a run saved before there was one: its bare fitted
        scikit-learn ``estimator``, what it clustered (metrics.json) and its codes and
        clusters (latents.npz), every code of which then votes on new codes, as it did."""
        fitted = cls(clone(estimator), manifold="none" if clustered == CODES else clustered)
        fitted.clusterer_, fitted.merge_, fitted.manifold_ = estimator, None, fitted.manifold
        fitted.codes_, fitted.code_labels_ = np.asarray(z), np.asarray(clusters, dtype=np.int64)
        return fitted

    @property
    def _clustered(self) -> str:
        """metrics.json's "clustered": the codes, or the manifold method."""
        return CODES if self.manifold_ == "none" else self.manifold_

    @property
    def _predicts_itself(self) -> bool:
        """Whether the clusterer's own ``predict`` is a faithful rule: it saw the codes."""
        return self.manifold_ == "none" and hasattr(self.clusterer_, "predict")

    def _predict(self, z: np.ndarray, neighbors: int) -> np.ndarray:
        if self._predicts_itself:
            clusters = self.clusterer_.predict(z).astype(np.int64)
            return clusters if self.merge_ is None else self.merge_[clusters]
        vote = KNeighborsClassifier(n_neighbors=neighbors).fit(self.codes_, self.code_labels_)
        return vote.predict(z).astype(np.int64)

    def _fit_candidates(
        self, z: np.ndarray, inputs: np.ndarray | None
    ) -> tuple[Candidate, dict[str, Any] | None]:
        """The clustering of the sample to keep, and the record of the choice (None: no choice)."""
        manifold_of = None if self.manifold == "none" else z[self.sample_]
        choosing = self.without_manifold and manifold_of is not None
        if self.restarts == 1 and self.over_cluster is None and not choosing:
            estimator = clone(self.clusterer)
            labels = fit_predict(estimator, self.manifold_map_, manifold_of=manifold_of)
            return Candidate("as configured", estimator, labels), None
        return select_candidate(
            self.clusterer,
            self.manifold_map_,
            manifold_of,
            None if inputs is None else np.asarray(inputs)[self.sample_],
            self.restarts,
            self.over_cluster,
            self.seed,
            self.without_manifold,
        )


class ModelClusters(BaseEstimator):
    """``cluster=model``: the clusters are a cluster-aware model's own assignment
    (``ClusterModel.cluster_assign``), computed with the codes and given to ``fit`` and
    ``predict``; nothing is learned. Saved as clusterer.joblib like any clusterer."""

    def fit(
        self,
        z: np.ndarray,
        inputs: np.ndarray | None = None,
        assignments: np.ndarray | None = None,
    ) -> ModelClusters:
        """Take the model's ``assignments`` of the codes ``z``; ``inputs`` is not used."""
        self.labels_ = self.predict(z, assignments)
        self.sample_ = np.arange(len(z))
        self.features_ = np.asarray(z)
        self.record_ = {CLUSTERED: MODEL}
        self.seconds_ = {"manifold": 0.0, "cluster": 0.0}
        return self

    def predict(self, z: np.ndarray, assignments: np.ndarray | None = None) -> np.ndarray:
        """The model's ``assignments`` of the codes ``z``, checked to be one per code."""
        if assignments is None:
            raise UserError(
                "cluster=model needs a model with its own clusters (model=vade|dec|clustergan)"
            )
        if len(assignments) != len(z):
            raise ValueError(f"{len(assignments)} assignments for {len(z)} codes")
        return np.asarray(assignments, dtype=np.int64)

    @property
    def assigns_by(self) -> str:
        return MODEL

    @property
    def learns_a_2d_tsne_map(self) -> bool:
        return False

    def describe(self, name: str | None) -> str:
        return "the model's own clusters"

    def space(self) -> str:
        return f"the {CODES}"
