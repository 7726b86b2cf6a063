"""Does the default `genclust train` beat the one-line baseline, k-means on the standardised data?

    python scripts/bench_defaults.py                       # every data set, seeds 0 1 2
    python scripts/bench_defaults.py --data iris wine --seeds 0
    python scripts/bench_defaults.py --data wine --overrides trainer.max_epochs=300  # a variant

Per data set and seed it runs the default pipeline (VAE → t-SNE map → k-means; only the 2-D
figure and TensorBoard are left out, which change no score) with `genclust train`, and
scikit-learn's `KMeans(n_clusters=k, random_state=seed)` on the same data standardised per
feature, and prints mean ± std of ACC and NMI over the seeds for both, the difference of the
mean ACCs and whether it meets the target (default ≥ baseline − 0.01). Data sets: digits;
scikit-learn's iris, wine and breast-cancer tables written to CSV (data=csv); 10k Fashion-MNIST
(its test split; needs apt-get install dataset-fashion-mnist). Resumable: a finished run is read,
not redone.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.metrics import normalized_mutual_info_score

from genclust.analysis.label_free import standardised
from genclust.analysis.metrics import cluster_accuracy
from genclust.data.mnist import load_fashion_mnist
from genclust.rundir.names import METRICS_FILE

TARGET_GAP = 0.01  # the default's mean ACC may fall at most this far below the baseline's
LEFT_OUT = ("embed=none", "logger=none")  # the figure and TensorBoard: no score depends on them
TABLES: dict[str, Callable] = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = ["digits", *TABLES, "fashion_mnist_10k"]
    parser.add_argument("--data", nargs="+", default=names, choices=names)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("outputs/bench_defaults"))
    parser.add_argument(
        "--overrides", nargs="+", default=[], help="settings for genclust train: a variant"
    )
    args = parser.parse_args()
    variant = " ".join(args.overrides) or "default"
    folder = re.sub(r"[^A-Za-z0-9._-]", "_", variant)  # a path Hydra's override grammar accepts

    rows = [
        "| data | n | default ACC | default NMI | k-means ACC | k-means NMI | ACC gap | target |"
    ]
    rows.append("|---|---|---|---|---|---|---|---|")
    for name in args.data:
        overrides, x, y = _data(name, args.out)
        default = [
            _default_run(
                args.out / name / folder / f"seed_{seed}", overrides + args.overrides, seed
            )
            for seed in args.seeds
        ]
        baseline = [_kmeans(x, y, seed) for seed in args.seeds]
        gap = _mean(default, 0) - _mean(baseline, 0)
        rows.append(
            f"| {name} | {len(x)} | {_spread(default, 0)} | {_spread(default, 1)} | "
            f"{_spread(baseline, 0)} | {_spread(baseline, 1)} | {gap:+.3f} | "
            f"{'met' if gap >= -TARGET_GAP else 'NOT met'} |"
        )
        print(rows[-1], flush=True)
    seeds = " ".join(map(str, args.seeds))
    print(f"\n{variant}: mean ± std over seeds {seeds}\n" + "\n".join(rows))


def _data(name: str, out: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The overrides that select the data set, and its samples and labels for the baseline."""
    if name == "digits":
        digits = load_digits()
        return ["data=digits"], digits.data, digits.target
    if name == "fashion_mnist_10k":
        data = load_fashion_mnist(split="test")
        return ["data=fashion_mnist", "data.split=test"], np.asarray(data.x), np.asarray(data.y)
    table = TABLES[name]()
    path = out / f"{name}.csv"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        header = ",".join(f"f{i}" for i in range(table.data.shape[1])) + ",label"
        rows = np.column_stack([table.data, table.target])
        np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.10g")
    overrides = ["data=csv", f"data.path={path.resolve()}", "data.label_column=label"]
    return overrides, table.data, table.target


def _default_run(run_dir: Path, overrides: list[str], seed: int) -> tuple[float, float]:
    """ACC and NMI of the default pipeline's run (trained now unless it finished earlier)."""
    if not (run_dir / METRICS_FILE).is_file():
        command = [sys.executable, "-m", "genclust", "train", *overrides, f"seed={seed}"]
        command += [*LEFT_OUT, f"hydra.run.dir={run_dir}"]
        print("$ " + " ".join(command[2:]), flush=True)
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(result.stderr[-2000:])
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    return metrics["acc"], metrics["nmi"]


def _kmeans(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    clusters = KMeans(len(np.unique(y)), random_state=seed).fit_predict(standardised(x))
    return cluster_accuracy(y, clusters), normalized_mutual_info_score(y, clusters)


def _mean(results: list[tuple[float, float]], index: int) -> float:
    return statistics.mean(result[index] for result in results)


def _spread(results: list[tuple[float, float]], index: int) -> str:
    values = [result[index] for result in results]
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {std:.3f}"


if __name__ == "__main__":
    main()
