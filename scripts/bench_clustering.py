"""Clustering quality on all 70k Fashion-MNIST: genclust's recipes over seeds, beside the papers.

Each (recipe, seed) trains once with `genclust train experiment=<recipe> seed=<seed>` into
<out>/<recipe>/seed_<seed>/. The script is resumable: a finished run (metrics.json present) is
read, not redone; a run that was killed goes on from its last checkpoint (`resume=`). Then one
table: ACC / NMI / ARI mean ± std over seeds, wall minutes per run, the published numbers.

    python scripts/bench_clustering.py                      # every recipe, seeds 0 1 2
    python scripts/bench_clustering.py --recipes fmnist_best --seeds 0 1 2
    python scripts/bench_clustering.py --recipes fmnist_n2d --seeds 0 -- trainer=gpu

Words after `--` are passed to every `genclust train` (e.g. trainer=gpu on a GPU machine).
Needs Fashion-MNIST (apt-get install dataset-fashion-mnist). Published numbers: REFERENCES.md
(N2D paper table; ClusterGAN paper); "-" where no paper reports the row on Fashion-MNIST.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from genclust.rundir.files import write_json
from genclust.rundir.names import CONFIG_FILE, METRICS_FILE

# recipe → (what it reproduces, published ACC, NMI) on all 70k Fashion-MNIST
RECIPES: dict[str, tuple[str, float | None, float | None]] = {
    "fmnist_kmeans_raw": ("k-means on raw pixels", 0.474, 0.512),
    "fmnist_ae_kmeans": ("autoencoder + k-means", None, None),
    "fmnist_dec": ("DEC", 0.518, 0.546),
    "fmnist_idec": ("IDEC", 0.529, 0.557),
    "fmnist_vade": ("VaDE", 0.578, 0.630),
    "fmnist_clustergan": ("ClusterGAN", 0.630, 0.640),
    "fmnist_n2d": ("N2D (AE + UMAP + GMM)", 0.672, 0.684),
    "fmnist_best": ("genclust's best recipe (N2D, longer, 5 GMM fits)", None, None),
}
TIMINGS = "wall_seconds.json"  # <out>/wall_seconds.json: run dir → seconds, over resumptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("outputs/benchmark"))
    parser.add_argument("overrides", nargs="*", help="after --: passed to every genclust train")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    timings_path = args.out / TIMINGS
    for recipe in args.recipes:
        for seed in args.seeds:
            run_dir = args.out / recipe / f"seed_{seed}"
            if (run_dir / METRICS_FILE).is_file():
                continue
            seconds = _train(recipe, seed, run_dir, args.overrides)
            # Read again just before writing: another benchmark may share the folder.
            timings = _read_timings(timings_path)
            timings[str(run_dir)] = timings.get(str(run_dir), 0.0) + seconds
            write_json(timings_path, timings)
    print(_table(args.recipes, args.seeds, args.out, _read_timings(timings_path)))


def _read_timings(path: Path) -> dict[str, float]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _train(recipe: str, seed: int, run_dir: Path, overrides: list[str]) -> float:
    """Train one run (or finish a killed one); return its wall seconds."""
    if (run_dir / CONFIG_FILE).is_file():  # killed before it finished: go on from there
        command = ["train", f"resume={run_dir}"]
    else:
        command = ["train", f"experiment={recipe}", f"seed={seed}", f"hydra.run.dir={run_dir}"]
        command += overrides
    print(f"$ genclust {' '.join(command)}", flush=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "genclust", *command], check=False)
    if done.returncode != 0:
        sys.exit(f"genclust train failed for {recipe} seed {seed} (exit {done.returncode})")
    return time.perf_counter() - started


def _table(recipes: list[str], seeds: list[int], out: Path, timings: dict[str, float]) -> str:
    lines = [
        f"Fashion-MNIST, all 70k; mean ± std over seeds {' '.join(map(str, seeds))}",
        "| recipe | reproduces | runs | ACC | NMI | ARI | wall min/run | published ACC / NMI |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for recipe in recipes:
        what, published_acc, published_nmi = RECIPES[recipe]
        runs = [out / recipe / f"seed_{seed}" for seed in seeds]
        metrics = [json.loads((run / METRICS_FILE).read_text()) for run in runs]
        walls = [timings[str(run)] / 60 for run in runs if str(run) in timings]
        published = (
            f"{published_acc:.3f} / {published_nmi:.3f}" if published_acc is not None else "-"
        )
        lines.append(
            f"| {recipe} | {what} | {len(metrics)} | "
            + " | ".join(_mean_std([m[name] for m in metrics]) for name in ("acc", "nmi", "ari"))
            + f" | {_mean_std(walls, 1)} | {published} |"
        )
    return "\n".join(lines)


def _mean_std(values: list[float], digits: int = 3) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


if __name__ == "__main__":
    main()
