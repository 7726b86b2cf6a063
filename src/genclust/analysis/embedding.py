"""Map latent codes to 2-D for figures: t-SNE (openTSNE), PCA, or nothing.

openTSNE was chosen by measurement (scripts/bench_tsne.py, 2 cores, 10-d inputs): with each
library's defaults it was faster at 2k (6.7 s vs 9.4 s), 10k (52 s vs 65 s) and 70k points
(131 s vs 524 s). At equal iterations scikit-learn was 0.6 s faster at 2k, too little to justify
two code paths.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Mapping
from numbers import Real
from typing import Any

import numpy as np
import openTSNE
from sklearn.decomposition import PCA

from genclust.errors import UserError

log = logging.getLogger(__name__)

METHODS = ("tsne", "pca", "none")
DISPLAY_NAMES = {"tsne": "t-SNE", "umap": "UMAP", "pca": "PCA"}  # of the methods, in log lines
PROGRESS_SECONDS = 10  # a long t-SNE says how far it got at most this often

# Seconds for openTSNE with its defaults on a 2-core CPU, 10-d inputs, perplexity 30
# (scripts/bench_tsne.py), so users can size embed.max_points.
TSNE_SECONDS_2_CORES = {2_000: 7, 10_000: 52, 70_000: 131}

# Set by embed_2d itself: the output is 2-D and the seed is the run's.
_FIXED = ("n_components", "random_state")
_TSNE_OPTIONS = sorted(set(inspect.signature(openTSNE.TSNE).parameters) - set(_FIXED))
_PCA_OPTIONS = sorted(set(PCA().get_params()) - set(_FIXED))
# Options that must be positive numbers ("auto" allowed where openTSNE allows it).
_TSNE_POSITIVE = ("perplexity", "learning_rate", "early_exaggeration", "dof", "theta")
_TSNE_COUNTS = ("n_iter", "early_exaggeration_iter")


def check_embed_options(method: str, max_points: int | None, params: Mapping[str, Any]) -> None:
    """Raise UserError for a bad ``embed`` config; cheap, so it can run before training."""
    if method not in METHODS:
        raise UserError(f"embed.method={method!r} is not known (choose from: {', '.join(METHODS)})")
    if max_points is not None and (not isinstance(max_points, int) or max_points < 2):
        raise UserError(f"embed.max_points must be null or an integer >= 2, got {max_points!r}")
    if method == "none":
        return
    if method == "pca":
        _check_known(params, _PCA_OPTIONS, "embed.params")
        _pca(params, seed=0)
    else:
        check_tsne_params(params, "embed.params")


def check_tsne_params(params: Mapping[str, Any], section: str) -> None:
    """Raise UserError unless ``params`` are valid openTSNE.TSNE options, named as ``section``."""
    _check_known(params, _TSNE_OPTIONS, section)
    for key in _TSNE_POSITIVE:
        value = params.get(key, 1)
        if value != "auto" and not (_is_number(value) and value > 0):
            raise UserError(f"{section}.{key} must be a positive number, got {value!r}")
    for key in _TSNE_COUNTS:
        value = params.get(key, 0)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise UserError(f"{section}.{key} must be an integer >= 0, got {value!r}")


def _check_known(params: Mapping[str, Any], options: list[str], section: str) -> None:
    unknown = sorted(set(params) - set(options))
    if unknown:
        raise UserError(
            f"{section}: {', '.join(map(repr, unknown))} is not a known option; "
            f"valid: {', '.join(options)}"
        )


def embed_2d(
    z: np.ndarray, method: str, max_points: int | None, seed: int, params: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray] | None:
    """(indices into z, (m, 2) float32 coords), on a seeded subset of at most max_points rows.

    Returns None for method "none". The subset keeps t-SNE's cost bounded
    (see TSNE_SECONDS_2_CORES); indices are sorted so they line up with labels.
    """
    params = dict(params)
    check_embed_options(method, max_points, params)
    if method == "none":
        return None
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or len(z) < 2:
        raise UserError(f"embedding needs an (n, d) array with n >= 2, got shape {z.shape}")
    indices = sample_indices(len(z), max_points, seed)
    started = time.perf_counter()
    try:
        if method == "pca":
            coords = _pca(params, seed).fit_transform(_at_least_2_columns(z[indices]))
        else:
            coords = fit_tsne(z[indices], 2, seed, params)
    except (ValueError, TypeError) as error:
        raise UserError(f"embed.method={method} with embed.params={params}: {error}") from None
    seconds = time.perf_counter() - started
    log.info("map: %s of %d codes to 2-D in %.1f s", DISPLAY_NAMES[method], len(indices), seconds)
    return indices.astype(np.int64), coords.astype(np.float32)


def fit_tsne(z: np.ndarray, n_components: int, seed: int, params: Mapping[str, Any]) -> np.ndarray:
    """openTSNE's t-SNE of z on all cores (unless ``params`` say otherwise), as float32,
    logging its progress (TSNEProgress)."""
    options = {"n_jobs": -1, **params}
    tsne = openTSNE.TSNE(n_components=n_components, random_state=seed, **options)
    if "callbacks" not in params:
        tsne.callbacks = TSNEProgress(len(z), tsne.early_exaggeration_iter, tsne.n_iter)
    return np.asarray(tsne.fit(z), dtype=np.float32)


class TSNEProgress:
    """An openTSNE callback that logs how long the affinities took, then the iteration reached
    every PROGRESS_SECONDS: a t-SNE of tens of thousands of codes takes minutes.

    openTSNE calls it every ``callbacks_every_iters`` (50) iterations of each of its two
    phases, early exaggeration then the rest, with the iteration within the phase.
    """

    def __init__(self, n_points: int, early_iterations: int, iterations: int) -> None:
        self.n_points, self.early_iterations = n_points, early_iterations
        self.total = early_iterations + iterations
        self.started = self.reported = time.perf_counter()
        self.phase = 0

    def optimization_about_to_start(self) -> None:
        self.phase += 1
        if self.phase == 1:
            log.info(
                "t-SNE of %d points: affinities in %.1f s, now %d iterations",
                self.n_points,
                time.perf_counter() - self.started,
                self.total,
            )

    def __call__(self, iteration: int, error: float, embedding: Any) -> bool:
        now = time.perf_counter()
        if now - self.reported >= PROGRESS_SECONDS:
            done = iteration + (self.early_iterations if self.phase > 1 else 0)
            log.info(
                "t-SNE: iteration %d of %d, KL divergence %.3f, %.0f s",
                done,
                self.total,
                error,
                now - self.started,
            )
            self.reported = now
        return False  # go on


def sample_indices(n: int, max_points: int | None, seed: int) -> np.ndarray:
    """Sorted indices of a seeded random subset of at most max_points of n rows."""
    if max_points is None or n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))


def _pca(params: Mapping[str, Any], seed: int) -> PCA:
    pca = PCA(n_components=2, random_state=seed, **params)
    try:
        pca._validate_params()
    except ValueError as error:  # sklearn's InvalidParameterError
        raise UserError(f"embed.params: {error}") from None
    return pca


def _at_least_2_columns(z: np.ndarray) -> np.ndarray:
    """PCA to 2-D needs 2 features; a 1-d latent gets a zero column (its plot is a line)."""
    return z if z.shape[1] >= 2 else np.pad(z, ((0, 0), (0, 2 - z.shape[1])))


def _is_number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)
