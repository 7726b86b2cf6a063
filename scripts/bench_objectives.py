"""Which label-free score ranks runs as ACC does? Spearman correlation over a sweep of runs.

Per data set it trains every (model, length, seed) once with `genclust train` (models ae, vae,
gan: a short and a long training; raw: the pixels themselves; seeds 0 and 1; k-means on the
codes is each run's own analysis), re-clusters each with `genclust cluster -m run=<dir>
cluster=kmeans,gmm,hdbscan` (k-means and GMM on a t-SNE map, HDBSCAN on the codes), then reads
every run's and re-analysis's latents.npz, rebuilds the data as the run saw it and computes
every candidate of genclust.analysis.label_free in the run's latent space and in the shared
spaces (standardised data, its PCA-50 and PCA-20), beside today's latent-space silhouette
from metrics.json. Per data set it prints, for each score: the Spearman correlation with ACC
(sign turned for lower-is-better scores, so +1 always means "ranks runs as ACC does"; runs a
score leaves undefined, e.g. one cluster outside noise, rank last), the ACC of the run it
would pick and the mean ACC of its top 5, and where it would rank a forged run that calls 90%
of points noise (1 = picked: the score can be gamed).

    python scripts/bench_objectives.py                    # digits and 10k Fashion-MNIST
    python scripts/bench_objectives.py --quick            # seed 0, shorter, 2 clusterers
    python scripts/bench_objectives.py --data digits --stability   # + refit stability (slow)
    python scripts/bench_objectives.py --neighbours 50     # k of the kNN scores (default 15)
    python scripts/bench_objectives.py --out outputs/objectives -- trainer=gpu

Resumable: a finished run or re-analysis is read, not redone; a killed training goes on from
its last checkpoint; scores are recomputed each time (minutes). Words after `--` go to every
`genclust train`. Per-run scores go to <out>/scores.csv. Fashion-MNIST needs its IDX files
(apt-get install dataset-fashion-mnist).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf
from pydantic import TypeAdapter
from scipy.stats import rankdata, spearmanr

from genclust.analysis.embedding import sample_indices
from genclust.analysis.label_free import (
    MAX_POINTS,
    NEIGHBOURS,
    SHARED_COMPONENTS,
    calinski_harabasz_with_noise,
    davies_bouldin_with_noise,
    knn_agreement,
    knn_modularity,
    nearest_neighbours,
    shared_space,
    silhouette_with_noise,
    standardised,
    subsample_stability,
)
from genclust.analysis.metrics import NOISE_LABEL, cluster_accuracy
from genclust.analysis.stage import plan_analysis
from genclust.config.analysis import AnyClustererOptions, EmbedOptions
from genclust.config.data import AnyDataOptions
from genclust.config.metrics import SILHOUETTE
from genclust.data import build_datamodule
from genclust.rundir.names import CLUSTER_DIR, CONFIG_FILE, FAILED_FILE, LATENTS_FILE, METRICS_FILE

TOP = 5  # the table also gives the mean ACC of the runs a score ranks in its top 5
FORGED_NOISE = 0.9  # the forged run keeps each cluster's most central 10% and calls the rest noise


@dataclass(frozen=True)
class DataSet:
    overrides: tuple[str, ...]
    epochs: tuple[int, int]  # short and long training
    quick_epochs: tuple[int, int]


DATASETS = {
    "digits": DataSet(("data=digits",), (2, 100), (2, 30)),
    "fashion_mnist": DataSet(("data=fashion_mnist", "data.split=test"), (1, 10), (1, 3)),
}
MODELS = ("ae", "vae", "gan", "raw")  # raw: the data itself, trained for 1 (empty) epoch
SEEDS, QUICK_SEEDS = (0, 1), (0,)
CLUSTERERS, QUICK_CLUSTERERS = ("kmeans", "gmm", "hdbscan"), ("kmeans", "hdbscan")
QUIET = ("embed=none", "logger=none")  # no figure, no TensorBoard: keeps each run short
# the training run's own analysis: k-means on the codes, no manifold
OWN_ANALYSIS = ("cluster=kmeans", "cluster/manifold=none")

# Spaces the candidates are computed in: the run's own codes (today's), or one shared by all runs.
SPACES: dict[str, int | None] = {
    "input": None,
    f"pca{SHARED_COMPONENTS}": SHARED_COMPONENTS,  # what label_free_scores uses
    "pca20": 20,
}
SCORES: dict[str, tuple[Callable[..., float | None], bool]] = {  # name → (function, lower better)
    "silhouette": (silhouette_with_noise, False),
    "calinski_harabasz": (calinski_harabasz_with_noise, False),
    "davies_bouldin": (davies_bouldin_with_noise, True),
    "knn_agreement": (knn_agreement, False),
    "knn_modularity": (knn_modularity, False),
}
TODAY = "silhouette (metrics.json)"
STABILITY = "stability (refits)"
NO_EMBEDDING = EmbedOptions(method="none", max_points=None, params={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument("--out", type=Path, default=Path("outputs/bench_objectives"))
    parser.add_argument("--quick", action="store_true", help="seed 0, shorter runs, 2 clusterers")
    parser.add_argument("--neighbours", type=int, default=NEIGHBOURS, help="k of the kNN scores")
    parser.add_argument(
        "--stability", action="store_true", help="also refit each run twice on subsamples (slow)"
    )
    parser.add_argument("overrides", nargs="*", help="after --: passed to every genclust train")
    args = parser.parse_args()

    clusterers = QUICK_CLUSTERERS if args.quick else CLUSTERERS
    rows = []
    for data in args.data:
        runs = _sweep(data, args.out, args.quick, clusterers, args.overrides)
        data_rows, forged = _evaluate(data, runs, clusterers, args.neighbours, args.stability)
        print(_table(data, data_rows, forged), flush=True)
        print(_per_model_table(data, data_rows), flush=True)
        rows += data_rows
    _write_csv(args.out / "scores.csv", rows)


def _sweep(
    data: str, out: Path, quick: bool, clusterers: tuple[str, ...], overrides: list[str]
) -> list[Path]:
    """Train and re-cluster every run of the data set that is not done yet; the finished runs."""
    dataset = DATASETS[data]
    epochs = dataset.quick_epochs if quick else dataset.epochs
    runs = []
    for model in MODELS:
        for length in epochs[:1] if model == "raw" else epochs:
            for seed in QUICK_SEEDS if quick else SEEDS:
                run_dir = out / data / f"{model}_e{length}_s{seed}"
                train = [f"model={model}", *dataset.overrides, f"trainer.max_epochs={length}"]
                if _train(run_dir, [*train, f"seed={seed}", *overrides]):
                    _recluster(run_dir, clusterers)
                    runs.append(run_dir)
    return runs


def _evaluate(
    data: str, runs: list[Path], clusterers: tuple[str, ...], k: int, stability: bool
) -> tuple[list[dict[str, object]], dict[str, float | None]]:
    """One row of scores per run and re-analysis; and the scores of the forged run."""
    rows, best = [], None
    for run_dir in runs:
        for path in _results(run_dir, clusterers):
            result = Result.load(data, path, run_dir)
            rows.append(result.row(k))
            if stability:
                rows[-1][STABILITY] = result.stability()
            if best is None or rows[-1]["acc"] > best[1]:
                best = result, rows[-1]["acc"]
    return rows, (best[0].scores(k, _forged(best[0])) if best else {})


def _genclust(*arguments: str) -> bool:
    print(f"$ genclust {' '.join(arguments)}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "genclust", *arguments], check=False, capture_output=True, text=True
    )
    print(f"  {time.perf_counter() - started:.0f} s, exit {done.returncode}", flush=True)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return done.returncode == 0


def _train(run_dir: Path, overrides: list[str]) -> bool:
    """Train the run unless it finished earlier; False when it failed (now or before)."""
    if (run_dir / FAILED_FILE).is_file():
        print(f"skipped, failed earlier: {run_dir} ({run_dir / FAILED_FILE})", file=sys.stderr)
        return False
    if (run_dir / METRICS_FILE).is_file():
        return True
    if (run_dir / CONFIG_FILE).is_file():  # killed before it finished: go on from there
        return _genclust("train", f"resume={run_dir}")
    return _genclust("train", *overrides, *OWN_ANALYSIS, *QUIET, f"hydra.run.dir={run_dir}")


def _recluster(run_dir: Path, clusterers: tuple[str, ...]) -> None:
    """Re-cluster the run with every clusterer it has no finished re-analysis of yet."""
    missing = [name for name in clusterers if name not in _reanalyses(run_dir)]
    if not missing:
        return
    sweep = 0
    while (run_dir / CLUSTER_DIR / f"bench_{sweep}").exists():
        sweep += 1
    _genclust(
        "cluster",
        "-m",
        f"run={run_dir}",
        f"cluster={','.join(missing)}",
        *QUIET,
        f"hydra.sweep.dir={run_dir / CLUSTER_DIR / f'bench_{sweep}'}",
    )
    # a failed member is left out of the results and retried next time


def _reanalyses(run_dir: Path) -> dict[str, Path]:
    """Finished re-analyses of the run, by clusterer name."""
    found = {}
    for metrics in sorted((run_dir / CLUSTER_DIR).glob(f"bench_*/*/{METRICS_FILE}")):
        config = OmegaConf.load(metrics.parent / CONFIG_FILE)
        found[config.cluster.name] = metrics.parent
    return found


def _results(run_dir: Path, clusterers: tuple[str, ...]) -> list[Path]:
    """The run's own analysis and its re-analyses by the clusterers asked for."""
    reanalyses = _reanalyses(run_dir)
    return [run_dir] + [reanalyses[name] for name in clusterers if name in reanalyses]


@dataclass(frozen=True, eq=False)
class Result:
    """One run's own analysis or one re-analysis, with what the scores need."""

    data: str
    path: Path
    run_dir: Path
    seed: int
    data_config: str  # the run's data section as JSON: the same key for every run on the data
    model: str
    clusterer: str
    cluster_config: dict  # the analysis's cluster section, to refit it
    z: np.ndarray
    clusters: np.ndarray
    y: np.ndarray
    today: float | None  # the silhouette metrics.json holds

    @classmethod
    def load(cls, data: str, path: Path, run_dir: Path) -> Result:
        run_config = OmegaConf.to_container(OmegaConf.load(run_dir / CONFIG_FILE), resolve=True)
        config = OmegaConf.to_container(OmegaConf.load(path / CONFIG_FILE), resolve=True)
        cluster = config["cluster"]
        manifold = (cluster.get("manifold") or {}).get("method", "none")
        with np.load(path / LATENTS_FILE) as saved:
            z, clusters, y = saved["z"], saved["cluster"], saved["y"]
        return cls(
            data=data,
            path=path,
            run_dir=run_dir,
            seed=run_config["seed"] if config.get("seed") is None else config["seed"],
            data_config=json.dumps(run_config["data"], sort_keys=True),
            model=run_config["model"]["name"],
            clusterer=cluster["name"] + ("" if manifold == "none" else f"+{manifold}"),
            cluster_config=cluster,
            z=z,
            clusters=clusters,
            y=y,
            today=json.loads((path / METRICS_FILE).read_text()).get(SILHOUETTE),
        )

    def scores(self, k: int, clusters: np.ndarray | None = None) -> dict[str, float | None]:
        """Every candidate for the run's assignment (or for ``clusters`` on the same points),
        the kNN scores with k neighbours."""
        clusters = self.clusters if clusters is None else clusters
        keep = sample_indices(len(clusters), MAX_POINTS, self.seed)
        z, clusters = self.z[keep], clusters[keep]
        spaces = {"latent": (z, nearest_neighbours(z, k))}
        spaces.update(_shared_spaces(self.data_config, self.seed, k))
        scores = {}
        for space, (features, neighbours) in spaces.items():
            for name, (function, _) in SCORES.items():
                points = neighbours if name.startswith("knn") else features
                scores[f"{name} ({space})"] = function(points, clusters)
        return scores

    def stability(self) -> float:
        """subsample_stability of the run's own pipeline (manifold, clusterer) on its codes."""
        n_classes = len(np.unique(self.y))  # what n_clusters: null meant for the run

        def refit(codes: np.ndarray, seed: int) -> np.ndarray:
            cluster = TypeAdapter(AnyClustererOptions).validate_python(self.cluster_config)
            plan = plan_analysis(cluster, NO_EMBEDDING, n_classes, len(codes), seed)
            return plan.clusterer.fit_predict(codes)

        keep = sample_indices(len(self.z), MAX_POINTS, self.seed)
        return subsample_stability(self.z[keep], refit, self.seed)

    def row(self, k: int) -> dict[str, object]:
        return {
            "data": self.data,
            "run": self.run_dir.name,
            "model": self.model,
            "clusterer": self.clusterer,
            "acc": cluster_accuracy(self.y, self.clusters),
            "noise_fraction": float(np.mean(self.clusters == NOISE_LABEL)),
            "n_clusters": int(len(np.unique(self.clusters[self.clusters != NOISE_LABEL]))),
            TODAY: self.today,
            **self.scores(k),
        }


@cache
def _samples(data_config: str, seed: int) -> np.ndarray:
    """The data's samples as a run with this data section and seed read them, flattened (the
    shared spaces standardise them, so the run's own scaling makes no difference)."""
    options = TypeAdapter(AnyDataOptions).validate_python(json.loads(data_config))
    x = np.asarray(build_datamodule(options, seed).data.x)
    return x.reshape(len(x), -1)


@cache
def _shared_spaces(data_config: str, seed: int, k: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per shared space: the sampled points there and their nearest neighbours; computed once
    per data set and seed, since they do not depend on the run."""
    x = _samples(data_config, seed)
    x = x[sample_indices(len(x), MAX_POINTS, seed)]
    spaces = {}
    for space, n_components in SPACES.items():
        features = shared_space(x, n_components, seed)
        spaces[space] = features, nearest_neighbours(features, k)
    return spaces


def _forged(best: Result) -> np.ndarray:
    """The run's assignment with 90% of points called noise: each cluster keeps the 10% of its
    points nearest its centroid in the standardised input space, the easiest 10% to score."""
    features = standardised(_samples(best.data_config, best.seed))
    forged = np.full_like(best.clusters, NOISE_LABEL)
    for cluster in np.unique(best.clusters[best.clusters != NOISE_LABEL]):
        members = np.flatnonzero(best.clusters == cluster)
        distance = np.linalg.norm(features[members] - features[members].mean(axis=0), axis=1)
        kept = members[np.argsort(distance)[: max(1, round(len(members) * (1 - FORGED_NOISE)))]]
        forged[kept] = cluster
    return forged


def _direction(name: str) -> float:
    """-1 for lower-is-better scores, so that higher oriented values are always better."""
    return -1.0 if name.split(" ")[0] in {n for n, (_, lower) in SCORES.items() if lower} else 1.0


def _oriented(rows: list[dict], name: str) -> np.ndarray:
    """The score of each row, higher = better; undefined scores rank below every other."""
    return np.array(
        [-np.inf if row[name] is None else _direction(name) * row[name] for row in rows]
    )


def _table(data: str, rows: list[dict], forged: dict[str, float | None]) -> str:
    if not rows:
        return f"{data}: no finished runs"
    acc = np.array([row["acc"] for row in rows])
    names = [TODAY, *forged] + [STABILITY] * (STABILITY in rows[0])
    lines = [
        f"{data}: {len(rows)} runs, ACC {acc.min():.3f} to {acc.max():.3f}, mean of the best "
        f"{TOP} {np.sort(acc)[-TOP:].mean():.3f}. Forged run: the best run's clusters, all but "
        f"each one's central {1 - FORGED_NOISE:.0%} called noise.",
        f"| score (space) | Spearman with ACC | undefined | ACC of its pick | mean ACC of its "
        f"top {TOP} | forged run's rank |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        values = _oriented(rows, name)
        rho = spearmanr(rankdata(values), acc).statistic
        top = acc[np.argsort(-values, kind="stable")[:TOP]]
        lines.append(
            f"| {name} | {rho:+.3f} | {int(np.isinf(values).sum())} | {top[0]:.3f} | "
            f"{top.mean():.3f} | {_rank(values, name, forged)} |"
        )
    return "\n".join(lines) + "\n"


def _per_model_table(data: str, rows: list[dict]) -> str:
    """Spearman with ACC among the runs of each model alone, as a search over one model's
    settings compares them: today's silhouette and the scores in label_free_scores' space."""
    if not rows:
        return ""
    models = [model for model in MODELS if any(row["model"] == model for row in rows)]
    shipped = [name for name in rows[0] if name.endswith(f"(pca{SHARED_COMPONENTS})")]
    names = [TODAY, *shipped] + [STABILITY] * (STABILITY in rows[0])
    counts = {model: sum(row["model"] == model for row in rows) for model in models}
    lines = [
        f"{data}: Spearman with ACC within each model's runs",
        "| score (space) | " + " | ".join(f"{m} ({counts[m]} runs)" for m in models) + " |",
        "|---|" + "---|" * len(models),
    ]
    for name in names:
        cells = []
        for model in models:
            subset = [row for row in rows if row["model"] == model]
            values = rankdata(_oriented(subset, name))
            cells.append(f"{spearmanr(values, [row['acc'] for row in subset]).statistic:+.3f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _rank(values: np.ndarray, name: str, forged: dict[str, float | None]) -> str:
    """Where the forged run would rank among the real ones (1 = it would be picked)."""
    if name not in forged:
        return "-"  # not an assignment's score: metrics.json's, or a pipeline's stability
    if forged[name] is None:
        return "undefined"
    return f"{1 + int(np.sum(values > _direction(name) * forged[name]))} of {len(values) + 1}"


def _write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"per-run scores: {path}")


if __name__ == "__main__":
    main()
