"""Does cluster.select help? ACC and NMI with and without selection among candidates, by the CLI.

For each seed, ``genclust train`` a model with the clusterer as shipped (no selection), then
``genclust cluster`` its codes again with each selection setting: the same codes, the same seed,
so any difference is the selection's. Prints mean ± std over the seeds of ACC, NMI and
knn_modularity, and which candidates were chosen.

    nice -n 10 python scripts/bench_selection.py --out /tmp/bench_selection
    python scripts/bench_selection.py --out DIR --epochs 5 --seeds 0 1   # quicker
    python scripts/bench_selection.py --out DIR --recipe fmnist_best  # 70k images: slow
    python scripts/bench_selection.py --out DIR --settings 4  # the shipped fit and setting 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from genclust.config.flat import flatten
from genclust.config.load import compose_config, resolve

SETTINGS = {  # name: overrides of `genclust cluster` (none: the training run's own analysis)
    "none (as shipped)": None,
    "restarts=5": ["cluster/select=label_free", "cluster.select.over_cluster=null"],
    "over_cluster=3": ["cluster/select=label_free", "cluster.select.restarts=1"],
    "label_free (5 seeds x {k, 3k merged})": ["cluster/select=label_free"],
    "the map or the codes": [
        "cluster/select=label_free",
        "cluster.select.restarts=1",
        "cluster.select.over_cluster=null",
        "cluster.select.without_manifold=true",
    ],
    "label_free x {the map, the codes}": [
        "cluster/select=label_free",
        "cluster.select.without_manifold=true",
    ],
}
QUIET = ["logger=none", "embed=none"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where the runs go")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--cluster", default="gmm", help="the clusterer (cluster=...)")
    parser.add_argument("--data", default="digits")
    parser.add_argument(
        "--settings", nargs="+", type=int, choices=range(len(SETTINGS)),
        default=list(range(len(SETTINGS))),
        help="which settings, by number: " + "; ".join(f"{i} {n}" for i, n in enumerate(SETTINGS)),
    )  # fmt: skip
    parser.add_argument(
        "--recipe", help="train experiment=RECIPE (e.g. fmnist_best) instead: "
        "its own data, epochs and clusterer (--data, --epochs and --cluster are ignored)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.recipe:
        training = [f"experiment={args.recipe}"]
        clusterer = _recipe_clusterer(args.recipe)
        title = f"experiment={args.recipe}"
    else:
        training = [f"data={args.data}", f"cluster={args.cluster}"]
        training.append(f"trainer.max_epochs={args.epochs}")
        clusterer = [f"cluster={args.cluster}"]
        title = f"{args.data}, cluster={args.cluster}, {args.epochs} epochs"

    chosen = {number: list(SETTINGS)[number] for number in sorted({0, *args.settings})}
    results: dict[str, list[dict]] = {name: [] for name in chosen.values()}
    for seed in args.seeds:
        run = args.out / f"seed{seed}"
        if not (run / "metrics.json").is_file():
            _genclust("train", *training, f"seed={seed}", f"hydra.run.dir={run}", *QUIET)
        for number, name in chosen.items():
            overrides = SETTINGS[name]
            if overrides is None:
                folder = run
            else:
                folder = run / "cluster" / f"setting{number}"
                if not (folder / "metrics.json").is_file():
                    _genclust(
                        "cluster", f"run={run}", *clusterer, *overrides,
                        f"hydra.run.dir={folder}", *QUIET,
                    )  # fmt: skip
            results[name].append(json.loads((folder / "metrics.json").read_text()))

    print(f"\n{title}, seeds {args.seeds}")
    print(f"{'selection':<40} {'ACC':>15} {'NMI':>15} {'knn_modularity':>15}  chosen")
    for name, runs in results.items():
        cells = [_mean_std([run[key] for run in runs]) for key in ("acc", "nmi", "knn_modularity")]
        chosen = Counter(_kind(run.get("selection", {}).get("chosen")) for run in runs)
        print(f"{name:<40} {cells[0]:>15} {cells[1]:>15} {cells[2]:>15}  {dict(chosen)}")
    baseline = np.array([run["acc"] for run in results["none (as shipped)"]])
    for name, runs in results.items():
        change = np.array([run["acc"] for run in runs]) - baseline
        print(f"ACC change per seed, {name}: {np.round(change, 3).tolist()}")


def _recipe_clusterer(recipe: str) -> list[str]:
    """The recipe's clusterer as overrides of `genclust cluster`, which composes its own cluster
    config, not the run's: the recipe's clusterer and manifold, and each setting it changes."""
    chosen = resolve(compose_config("train", [f"experiment={recipe}"]))["cluster"]
    choices = [f"cluster={chosen['name']}", f"cluster/manifold={chosen['manifold']['method']}"]
    shipped = flatten(resolve(compose_config("cluster", ["run=.", *choices]))["cluster"])
    changed = {key: value for key, value in flatten(chosen).items() if shipped[key] != value}
    return choices + [f"cluster.{key}={value}" for key, value in changed.items()]


def _genclust(*arguments: str) -> None:
    print("genclust", " ".join(arguments), flush=True)
    result = subprocess.run([sys.executable, "-m", "genclust", *arguments], capture_output=True)
    if result.returncode != 0:
        sys.exit(result.stderr.decode()[-2000:])


def _mean_std(values: list[float]) -> str:
    """Mean ± sample standard deviation, as the other benchmarks print them."""
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def _kind(chosen: str | None) -> str:
    """A candidate's name without its seed: 'k' or 'merged', and where, when it clustered the
    codes without their map (None: nothing was chosen)."""
    if chosen is None:
        return "-"
    kind = "merged" if "merged" in chosen else "k"
    return f"{kind}, on the codes" if chosen.endswith("on the codes") else kind


if __name__ == "__main__":
    main()
