"""How fast can UMAP map 70k codes, and which settings keep a seeded run reproducible?

    python scripts/bench_umap.py              # 70k Fashion-MNIST: PCA-10 of the pixels as codes
    python scripts/bench_umap.py --n 10000    # a seeded subset

UMAP given a ``random_state`` runs its nearest-neighbour search and its layout on one thread
(umap-learn turns numba's parallelism off to stay reproducible); without one it uses every core
but two runs differ. Three settings of cluster/manifold=umap, N2D's (10-D, 20 neighbours,
min_dist 0), each run twice:

- seeded: ``random_state=seed`` (reproducible, one thread);
- seeded, exact kNN: the same, with the neighbour graph computed exactly by scikit-learn on every
  core and handed to UMAP (``precomputed_knn``): the graph is deterministic, the layout stays
  seeded;
- unseeded: no ``random_state``, every core (not reproducible).

It prints the time of the process's first fits (numba compiling UMAP, once per process), then,
per setting, the wall seconds of each run, the ratio to the seeded one, whether the
two runs gave identical maps, and the ACC / NMI of a GMM (seeded, best of 3) on the map, so a
setting that is fast but maps worse shows. The codes are PCA-10 of the standardised pixels, a
stand-in for an autoencoder's 10-D codes with the same shape and size.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors
from umap import UMAP

from genclust.analysis.embedding import sample_indices
from genclust.analysis.label_free import standardised
from genclust.analysis.metrics import cluster_accuracy
from genclust.data.mnist import load_fashion_mnist

N2D = {"n_components": 10, "n_neighbors": 20, "min_dist": 0.0}
SEED = 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=None, help="a seeded subset of this many images")
    args = parser.parse_args()
    data = load_fashion_mnist()
    keep = sample_indices(len(data.x), args.n, SEED)
    codes = PCA(10, random_state=SEED).fit_transform(standardised(data.x[keep]))
    labels = np.asarray(data.y)[keep]
    print(f"{len(codes)} codes of {codes.shape[1]} dimensions", flush=True)

    settings = {
        "seeded": lambda: UMAP(random_state=SEED, **N2D).fit_transform(codes),
        "seeded, exact kNN": lambda: _with_exact_knn(codes),
        "unseeded": lambda: UMAP(n_jobs=-1, **N2D).fit_transform(codes),
    }
    # numba compiles UMAP's functions on first use, once for each kind of run; 5000 points,
    # since above 4096 UMAP switches to NN-descent, which compiles too.
    started = time.perf_counter()
    UMAP(random_state=SEED, **N2D).fit_transform(codes[:5000])
    UMAP(n_jobs=-1, **N2D).fit_transform(codes[:5000])
    print(f"first fits of the process (numba compiling): {time.perf_counter() - started:.1f} s")
    rows, baseline = [], None
    for name, fit in settings.items():
        maps, seconds = [], []
        for _ in range(2):
            started = time.perf_counter()
            maps.append(np.asarray(fit()))
            seconds.append(time.perf_counter() - started)
            print(f"  {name}: {seconds[-1]:.1f} s", flush=True)
        baseline = baseline or min(seconds)
        clusters = GaussianMixture(10, n_init=3, random_state=SEED).fit_predict(maps[0])
        rows.append(
            f"| {name} | {seconds[0]:.1f} / {seconds[1]:.1f} | {baseline / min(seconds):.2f} | "
            f"{'yes' if np.array_equal(maps[0], maps[1]) else 'no'} | "
            f"{cluster_accuracy(labels, clusters):.3f} | "
            f"{normalized_mutual_info_score(labels, clusters):.3f} |"
        )
    print("| setting | seconds (run 1 / run 2) | speed-up vs seeded | same map twice | ACC | NMI |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


def _with_exact_knn(codes: np.ndarray) -> np.ndarray:
    """UMAP seeded, on a neighbour graph scikit-learn computed exactly on every core."""
    search = NearestNeighbors(n_neighbors=N2D["n_neighbors"], n_jobs=-1).fit(codes)
    distances, indices = search.kneighbors()  # each point's neighbours, itself excluded
    # UMAP counts a point as its own first neighbour, at distance 0.
    indices = np.hstack([np.arange(len(codes))[:, None], indices[:, :-1]])
    distances = np.hstack([np.zeros((len(codes), 1)), distances[:, :-1]])
    umap = UMAP(random_state=SEED, precomputed_knn=(indices, distances, None), **N2D)
    return umap.fit_transform(codes)


if __name__ == "__main__":
    main()
