"""An optional manifold step between latent codes and the clusterer (N2D, McConville et al. 2019).

Clusterers such as k-means look for round groups; the codes of an autoencoder rarely form
them. Learning a low-dimensional manifold of the codes first (t-SNE or UMAP), then clustering
there, separates the groups much better: on digits a VAE's codes give ACC .75 with k-means
directly and .90 after t-SNE.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from genclust.analysis.embedding import DISPLAY_NAMES, check_tsne_params, fit_tsne
from genclust.errors import UserError

log = logging.getLogger(__name__)

METHODS = ("none", "tsne", "umap")


def check_manifold_options(method: str, n_components: int, params: Mapping[str, Any]) -> None:
    """Raise UserError for a bad ``cluster.manifold`` config, before any training."""
    if method not in METHODS:
        raise UserError(
            f"cluster.manifold.method={method!r} is not known (choose from: {', '.join(METHODS)})"
        )
    if method == "none":
        return
    if isinstance(n_components, bool) or not isinstance(n_components, int) or n_components < 1:
        raise UserError(
            f"cluster.manifold.n_components must be a positive integer (got {n_components!r})"
        )
    if method == "tsne":
        if n_components > 2:
            raise UserError("cluster.manifold.method=tsne supports n_components 1 or 2; use umap")
        check_tsne_params(params, "cluster.manifold.params")
    else:
        _umap_class()


def learn_manifold(
    z: np.ndarray, method: str, n_components: int, seed: int, params: Mapping[str, Any]
) -> np.ndarray:
    """The codes mapped to ``n_components`` dimensions (z itself for method "none")."""
    check_manifold_options(method, n_components, params)
    if method == "none":
        return z
    started = time.perf_counter()
    try:
        if method == "tsne":
            features = fit_tsne(z, n_components, seed, params)
        else:
            log.info("manifold: UMAP of %d codes to %d-D ...", len(z), n_components)
            umap = _umap_class()(n_components=n_components, **umap_arguments(seed, params))
            features = np.asarray(umap.fit_transform(z), dtype=np.float32)
    except (ValueError, TypeError) as error:
        raise UserError(
            f"cluster.manifold.method={method} with params {dict(params)}: {error}"
        ) from None
    seconds = time.perf_counter() - started
    name = DISPLAY_NAMES[method]
    log.info("manifold: %s of %d codes to %d-D in %.1f s", name, len(z), n_components, seconds)
    return features


def umap_arguments(seed: int, params: Mapping[str, Any]) -> dict[str, Any]:
    """UMAP's arguments: ``params`` with the run's seed as ``random_state`` unless they set it.

    A seeded UMAP runs on one thread, so that the same seed gives the same map; with
    ``random_state`` null it uses every core (1.35x faster on 70k codes and 2 cores,
    scripts/bench_umap.py) and maps differ from run to run.

    >>> umap_arguments(3, {"n_neighbors": 20})
    {'random_state': 3, 'n_neighbors': 20}
    >>> umap_arguments(3, {"random_state": None})
    {'random_state': None, 'n_jobs': -1}
    """
    arguments = {"random_state": seed, **params}
    if arguments["random_state"] is None:
        arguments.setdefault("n_jobs", -1)
    return arguments


def _umap_class():
    try:
        from umap import UMAP
    except ImportError:
        raise UserError(
            "cluster/manifold=umap needs umap-learn: pip install 'genclust[umap]'"
        ) from None
    return UMAP
