"""Time scikit-learn's t-SNE against openTSNE on the same inputs, to pick embed_2d's backend.

Both run with their defaults otherwise (PCA init, learning rate "auto"), perplexity 30, 2-D,
seed 0, n_jobs = all cores. Inputs: a 10-d Gaussian mixture (10 components), like latent codes.
Defaults differ in length (sklearn 1000 iterations, openTSNE 250 + 500); --equal-iters runs
sklearn for 750 too, to compare speed per iteration.

    python scripts/bench_tsne.py                      # sizes 2000 and 10000
    python scripts/bench_tsne.py --sizes 2000 10000 70000 --equal-iters
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

PERPLEXITY = 30.0
SEED = 0


def gaussian_mixture(n: int, dim: int = 10, k: int = 10, seed: int = SEED) -> np.ndarray:
    """n points from k Gaussians with unit covariance around centres spread over [-5, 5]^dim."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-5, 5, size=(k, dim))
    return (centres[rng.integers(k, size=n)] + rng.normal(size=(n, dim))).astype(np.float32)


def time_sklearn(x: np.ndarray, n_jobs: int, max_iter: int) -> float:
    from sklearn.manifold import TSNE

    tsne = TSNE(perplexity=PERPLEXITY, random_state=SEED, n_jobs=n_jobs, max_iter=max_iter)
    start = time.perf_counter()
    tsne.fit_transform(x)
    return time.perf_counter() - start


def time_opentsne(x: np.ndarray, n_jobs: int) -> float:
    from openTSNE import TSNE

    start = time.perf_counter()
    TSNE(n_components=2, perplexity=PERPLEXITY, random_state=SEED, n_jobs=n_jobs).fit(x)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--dim", type=int, default=10)
    parser.add_argument("--equal-iters", action="store_true", help="sklearn max_iter=750")
    args = parser.parse_args()
    n_jobs = os.cpu_count() or 1
    sk_iters = 750 if args.equal_iters else 1000
    print(
        f"t-SNE, {args.dim}-d Gaussian mixture, perplexity {PERPLEXITY:g}, n_jobs {n_jobs}, "
        f"iterations: sklearn {sk_iters}, openTSNE 750"
    )
    print(f"{'points':>8} {'sklearn s':>10} {'openTSNE s':>11} {'sklearn/openTSNE':>17}")
    for n in args.sizes:
        x = gaussian_mixture(n, args.dim)
        sk, ot = time_sklearn(x, n_jobs, sk_iters), time_opentsne(x, n_jobs)
        print(f"{n:>8} {sk:>10.1f} {ot:>11.1f} {sk / ot:>17.2f}", flush=True)


if __name__ == "__main__":
    main()
