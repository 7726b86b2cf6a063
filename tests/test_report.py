"""`genclust report`: runs found, repetitions grouped, stats right, files written, best first."""

from __future__ import annotations

import copy
import csv
import json
import os
import statistics
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from sklearn.metrics import adjusted_rand_score
from tests.conftest import compose_train

from genclust.cli import main as genclust_main
from genclust.commands.report import main
from genclust.config.metrics import (
    ACC,
    ARI,
    LABEL_METRICS,
    N_CLUSTERS,
    NMI,
    NOISE_FRACTION,
    SILHOUETTE,
    SILHOUETTE_NOTE,
    TOTAL_SECONDS,
    TRAIN_SECONDS,
)
from genclust.errors import UserError
from genclust.report.groups import group_runs
from genclust.report.names import REPORT_CSV, REPORT_FIGURE, REPORT_MARKDOWN
from genclust.report.output import INCOMPLETE_MARK
from genclust.report.runs import FAILED, OK, UNFINISHED, find_runs
from genclust.rundir.names import CLUSTER_DIR, CONFIG_FILE, FAILED_FILE, LATENTS_FILE, METRICS_FILE

MODELS = {"ae": 0.60, "vae": 0.70}  # base acc; the clusterer adds its own, each seed 0.01 more
CLUSTERS = {"kmeans": 0.05, "gmm": 0.10}
SEEDS = (0, 1, 2)
FAILURE = "CUDA out of memory"


def _config(model: str, cluster: str, seed: int) -> dict:
    """A config shaped like the composed one: model-specific keys, an interpolation, a logger."""
    params = {"n_init": 10} if cluster == "kmeans" else {"covariance_type": "full"}
    return {
        "model": {"name": model, "latent_dim": 10, "hidden_dims": [256, 128], "lr": 1e-3}
        | ({"beta": 1.0} if model == "vae" else {}),
        "data": {"name": "digits", "batch_size": 128, "epochs": 100},
        "trainer": {"accelerator": "cpu", "max_epochs": "${data.epochs}", "log_every_n_steps": 10},
        "cluster": _cluster(cluster, params),
        "embed": {"method": "tsne", "max_points": 10000, "params": {"perplexity": 30}},
        "logger": {"name": "none" if seed == 2 else "tensorboard"},  # must not split a group
        "seed": seed,
        "encode_batch_size": 4096,
    }


def _cluster(name: str, params: dict) -> dict:
    return {"name": name, "n_clusters": None, "params": params, "manifold": {"method": "tsne"}}


def _metrics(acc: float, seed: int, silhouette: float | None = 0.3) -> dict:
    return {
        ACC: acc,
        NMI: acc - 0.1,
        ARI: acc - 0.2,
        N_CLUSTERS: 10,
        NOISE_FRACTION: 0.0,
        SILHOUETTE: silhouette,
        "clustered": "tsne",
        "n_samples": 1797,
        "epochs": 100,
        "steps": 1500,
        "train": {"loss": 12.5 - seed},
        "seconds": {"train": 30.0 + seed, "encode": 0.5, "cluster": 1.5},
    }


def _write_run(path: Path, config: dict, metrics: dict | None = None) -> Path:
    (path / CONFIG_FILE).parent.mkdir(parents=True)
    OmegaConf.save(OmegaConf.create(config), path / CONFIG_FILE)
    if metrics is not None:
        (path / METRICS_FILE).write_text(json.dumps(metrics))
    return path


def _write_reanalysis(
    run: Path, name: str, cluster: dict, metrics: dict | None, seed: int | None = None
) -> Path:
    """A `genclust cluster` result in ``run``: its own small config (cluster, run, seed)."""
    config = {"run": str(run), "cluster": cluster, "seed": seed, "logger": {"name": "none"}}
    return _write_run(run / CLUSTER_DIR / name, config, metrics)


def _fail(run: Path, error: str = FAILURE) -> None:
    (run / FAILED_FILE).write_text(json.dumps({"error": error, "type": "RuntimeError"}))


def _set_modified(path: Path, seconds: float) -> None:
    os.utime(path, (seconds, seconds))


def _write_clusters(run: Path, clusters: np.ndarray, y: np.ndarray | None = None) -> None:
    arrays = {"z": np.zeros((len(clusters), 2), np.float32), "cluster": clusters}
    np.savez_compressed(run / LATENTS_FILE, **arrays, **({} if y is None else {"y": y}))


@pytest.fixture
def sweep(tmp_path: Path) -> dict[tuple[str, str], list[Path]]:
    """2 models × 2 clusterers × 3 seeds, one failed run, one re-analysis; the dirs per group."""
    groups: dict[tuple[str, str], list[Path]] = {}
    number = 0
    for model, base in MODELS.items():
        for cluster, bonus in CLUSTERS.items():
            for seed in SEEDS:
                run = tmp_path / "outputs" / "multirun" / "day" / str(number)
                acc = base + bonus + 0.01 * seed
                _write_run(run, _config(model, cluster, seed), _metrics(acc, seed))
                groups.setdefault((model, cluster), []).append(run)
                number += 1
    failed = _write_run(tmp_path / "outputs" / "single" / "run", _config("vae", "gmm", 3))
    _fail(failed)
    groups[("vae", "gmm")].append(failed)
    analysis = _write_reanalysis(
        groups[("ae", "kmeans")][0],
        "hdbscan",
        _cluster("hdbscan", {"min_cluster_size": 50}),
        _metrics(0.5, 0) | {"seconds": {"cluster": 2}},
    )
    groups[("ae", "hdbscan")] = [analysis]
    return groups


def _expected(runs: list[Path], name: str) -> tuple[float | None, float | None, int]:
    """Mean, sample std and count of metric ``name`` ("seconds.train": nested), from the files."""
    values = []
    for run in runs:
        value = (
            json.loads((run / METRICS_FILE).read_text()) if (run / METRICS_FILE).is_file() else {}
        )
        for key in name.split("."):
            value = value.get(key, {})
        if value != {}:
            values.append(value)
    mean = statistics.mean(values) if values else None
    return mean, statistics.stdev(values) if len(values) > 1 else None, len(values)


def _label(model: str, cluster: str) -> str:
    return f"model.name={model} cluster.name={cluster}"


REANALYSED_HDBSCAN = f"re-analysis: {_label('ae', 'hdbscan')}"


def _by_label(tmp_path: Path) -> dict:
    return {group.label: group for group in group_runs(find_runs([tmp_path]))}


def _csv_rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as stream:
        return {row["group"]: row for row in csv.DictReader(stream)}


# --- finding and reading runs ---------------------------------------------------------------


def test_find_runs_reads_runs_failures_and_reanalyses(sweep, tmp_path):
    records = {record.path: record for record in find_runs([tmp_path])}
    assert set(records) == {run for runs in sweep.values() for run in runs}

    failed = records[sweep[("vae", "gmm")][-1]]
    assert (failed.status, failed.error, failed.metrics) == (FAILED, FAILURE, {})
    run = records[sweep[("ae", "kmeans")][0]]
    assert run.status == OK and run.error is None and not run.reanalysis
    assert run.config["model.hidden_dims"] == "[256, 128]"
    assert run.config["trainer.max_epochs"] == 100  # the interpolation is resolved
    assert run.metrics["seconds.train"] == 30.0 and run.metrics["train.loss"] == 12.5
    reanalysis = records[sweep[("ae", "hdbscan")][0]]
    assert reanalysis.reanalysis
    assert reanalysis.config["cluster.name"] == "hdbscan"
    assert reanalysis.config["cluster.params.min_cluster_size"] == 50
    assert "cluster.params.n_init" not in reanalysis.config  # the whole section is replaced
    assert reanalysis.config["model.name"] == "ae"


def test_reanalysis_sweeps_with_their_own_hydra_config(tmp_path):
    run = _write_run(tmp_path / "run", _config("ae", "kmeans", 0), _metrics(0.5, 0))
    for number, cluster in enumerate(["gmm", "hdbscan"]):
        metrics = _metrics(0.6, 0) if cluster == "gmm" else None
        _write_reanalysis(run, f"multirun_day/{number}", _cluster(cluster, {}), metrics)
    _fail(run / CLUSTER_DIR / "multirun_day" / "1")
    records = find_runs([tmp_path])
    assert [(r.config["cluster.name"], r.status, r.reanalysis) for r in records] == [
        ("kmeans", OK, False),
        ("gmm", OK, True),
        ("hdbscan", FAILED, True),
    ]
    assert {r.config["model.name"] for r in records} == {"ae"} and records[0].config["seed"] == 0
    assert records[2].error == FAILURE


def test_configs_inside_a_run_are_not_runs(tmp_path):
    run = _write_run(tmp_path / "run", _config("ae", "kmeans", 0), _metrics(0.5, 0))
    _write_run(run / "checkpoints" / "helper", _config("ae", "kmeans", 1))
    assert [record.path for record in find_runs([tmp_path])] == [run]


def test_dir_without_runs_is_a_user_error(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(UserError, match="holds no runs"):
        find_runs([tmp_path / "empty"])
    with pytest.raises(UserError, match="not a directory"):
        find_runs([tmp_path / "missing"])


def test_a_run_without_metrics_or_failure_is_unfinished_and_counted(tmp_path, capsys):
    for seed in SEEDS:
        _write_run(tmp_path / str(seed), _config("ae", "kmeans", seed), _metrics(0.5, seed))
    _write_run(tmp_path / "running", _config("ae", "kmeans", 3))  # still training, or killed
    statuses = {record.path.name: record.status for record in find_runs([tmp_path])}
    assert statuses == {"0": OK, "1": OK, "2": OK, "running": UNFINISHED}
    (group,) = group_runs(find_runs([tmp_path]))
    assert (group.n_ok, group.n_failed, group.n_unfinished, group.complete) == (3, 0, 1, False)

    assert main([str(tmp_path)]) == 0
    markdown = (tmp_path / REPORT_MARKDOWN).read_text()
    assert f"| all runs | 3/0/1 {INCOMPLETE_MARK} |" in markdown
    assert "4 runs (0 failed, 1 unfinished)" in markdown
    assert "## Unfinished runs" in markdown and f"`{tmp_path / 'running'}`" in markdown
    assert _csv_rows(tmp_path / REPORT_CSV)["all runs"]["runs_unfinished"] == "1"


def test_a_run_resumed_after_failing_counts_by_its_newer_metrics(tmp_path):
    resumed = _write_run(tmp_path / "resumed", _config("ae", "kmeans", 0), _metrics(0.5, 0))
    _fail(resumed, "NaN loss")  # the first attempt failed; resume= then finished it
    _set_modified(resumed / FAILED_FILE, 1_000_000)
    _set_modified(resumed / METRICS_FILE, 2_000_000)
    failed_later = _write_run(tmp_path / "failed_later", _config("ae", "kmeans", 1), _metrics(0, 1))
    _fail(failed_later, "failed after its metrics")
    _set_modified(failed_later / METRICS_FILE, 1_000_000)
    _set_modified(failed_later / FAILED_FILE, 2_000_000)

    records = {record.path.name: record for record in find_runs([tmp_path])}
    assert (records["resumed"].status, records["resumed"].error) == (OK, None)
    assert records["resumed"].metrics[ACC] == 0.5
    assert (records["failed_later"].status, records["failed_later"].error) == (
        FAILED,
        "failed after its metrics",
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"acc": 0.5, ', "cannot read metrics.json"),  # cut off mid-write by hand
        ("[0.5, 0.6]", "holds no JSON object"),
        (json.dumps(_metrics(0.5, 0) | {ACC: "0.5"}), "acc is '0.5', not a number"),
        (json.dumps(_metrics(0.5, 0) | {NMI: True}), "nmi is True, not a number"),
        ('{"acc": NaN}', "acc is nan, not a number"),
        (json.dumps(_metrics(0.5, 0) | {"seconds": {"train": "slow"}}), "seconds.train is 'slow'"),
        (json.dumps(_metrics(0.5, 0) | {"seconds": 12}), "seconds is 12, not a mapping"),
    ],
)
def test_a_damaged_metrics_file_is_a_failed_run_and_the_report_is_still_written(
    tmp_path, capsys, content, reason
):
    for seed in (0, 1):
        _write_run(
            tmp_path / str(seed), _config("ae", "kmeans", seed), _metrics(0.7 + seed / 100, seed)
        )
    damaged = _write_run(tmp_path / "damaged", _config("ae", "kmeans", 2))
    (damaged / METRICS_FILE).write_text(content)

    record = next(r for r in find_runs([tmp_path]) if r.path == damaged)
    assert record.status == FAILED and reason in record.error and record.metrics == {}
    assert main([str(tmp_path)]) == 0
    markdown = (tmp_path / REPORT_MARKDOWN).read_text()
    assert f"| all runs | 2/1/0 {INCOMPLETE_MARK} | 0.705 ± 0.007 |" in markdown
    assert f"- `{damaged}`: " in markdown and reason in markdown


def test_null_stays_a_missing_value_not_a_failure(tmp_path):
    undefined = _metrics(0.5, 0, silhouette=None) | {SILHOUETTE_NOTE: "one cluster"}
    _write_run(tmp_path / "0", _config("ae", "kmeans", 0), undefined)
    _write_run(tmp_path / "1", _config("ae", "kmeans", 1), _metrics(0.6, 1, silhouette=0.25))
    (group,) = group_runs(find_runs([tmp_path]))
    assert group.n_ok == 2 and group.complete
    assert (group.stats[SILHOUETTE].mean, group.stats[SILHOUETTE].n) == (0.25, 1)


def test_an_unreadable_config_is_a_failed_run_and_the_report_is_still_written(tmp_path, capsys):
    for seed in (0, 1):
        _write_run(tmp_path / str(seed), _config("ae", "kmeans", seed), _metrics(0.7, seed))
    broken = tmp_path / "broken"
    (broken / CONFIG_FILE).parent.mkdir(parents=True)
    (broken / CONFIG_FILE).write_text("model: [unclosed")
    (broken / METRICS_FILE).write_text(json.dumps(_metrics(0.9, 0)))
    _write_reanalysis(broken, "gmm", _cluster("gmm", {}), _metrics(0.9, 0))

    records = {record.path: record for record in find_runs([tmp_path])}
    assert records[broken].status == FAILED and "config.yaml" in records[broken].error
    reanalysis = records[broken / CLUSTER_DIR / "gmm"]
    assert reanalysis.status == FAILED and "the run's config" in reanalysis.error
    groups = group_runs(records.values())
    assert [(g.label, g.n_ok, g.n_failed) for g in groups] == [
        ("all runs", 2, 0),  # the readable runs keep their own label
        ("(config unreadable)", 0, 2),
    ]
    assert main([str(tmp_path)]) == 0
    assert "| (config unreadable) | 0/2/0" in (tmp_path / REPORT_MARKDOWN).read_text()


# --- grouping -------------------------------------------------------------------------------


def test_groups_ignore_seed_and_logger_and_stats_match_the_files(sweep, tmp_path):
    groups = _by_label(tmp_path)
    assert set(groups) == {_label(*key) for key in sweep if key[1] != "hdbscan"} | {
        REANALYSED_HDBSCAN
    }
    for (model, cluster), runs in sweep.items():
        label = REANALYSED_HDBSCAN if cluster == "hdbscan" else _label(model, cluster)
        group = groups[label]
        assert group.n_ok == len([run for run in runs if (run / METRICS_FILE).is_file()])
        assert group.n_failed == (1 if (model, cluster) == ("vae", "gmm") else 0)
        for name in (ACC, NMI, SILHOUETTE, TRAIN_SECONDS):
            mean, std, n = _expected(runs, name)
            stat = group.stats[name]
            assert stat.mean == (None if mean is None else pytest.approx(mean)) and stat.n == n
            assert stat.std == (None if std is None else pytest.approx(std))
    train = groups[_label("vae", "kmeans")].stats[TRAIN_SECONDS]
    assert (train.mean, train.std, train.n) == (31.0, pytest.approx(1.0), 3)
    total = groups[REANALYSED_HDBSCAN].stats[TOTAL_SECONDS]
    assert (total.mean, total.n) == (2.0, 1)  # no total in metrics.json: the stages' sum


def test_a_reanalysis_is_its_own_row_never_a_repetition_of_its_run(tmp_path):
    runs = [
        _write_run(
            tmp_path / str(seed), _config("ae", "kmeans", seed), _metrics(0.7 + seed / 100, seed)
        )
        for seed in SEEDS
    ]
    same_settings = _config("ae", "kmeans", 0)["cluster"]  # `genclust cluster run=...` as trained
    for run in runs[:2]:
        _write_reanalysis(run, "again", same_settings, _metrics(0.6, 0) | {"seconds": {"x": 2}})
    groups = group_runs(find_runs([tmp_path]))
    assert [(g.label, g.reanalysis, g.n_ok) for g in groups] == [
        ("training runs", False, 3),
        ("re-analysis", True, 2),
    ]
    trained = groups[0]
    assert trained.stats[ACC].mean == pytest.approx(0.71) and trained.stats[ACC].n == 3
    assert trained.stats[TOTAL_SECONDS].mean == pytest.approx(33.0)  # training runs only

    _write_reanalysis(runs[2], "gmm", _cluster("gmm", {}), _metrics(0.8, 0))
    labels = [group.label for group in group_runs(find_runs([tmp_path]))]
    assert labels == [
        "cluster.name=kmeans",
        "re-analysis: cluster.name=kmeans",
        "re-analysis: cluster.name=gmm",
    ]


def test_a_reanalysis_label_names_its_own_clusterer(tmp_path):
    """Training runs differ in encode_batch_size; the re-analysis in its clusterer, which its
    label must show although "re-analysis" alone would tell the rows apart."""
    for seed in (0, 1):
        config = _config("ae", "kmeans", seed) | {"encode_batch_size": 1 if seed else 4096}
        run = _write_run(tmp_path / str(seed), config, _metrics(0.7, seed))
    _write_reanalysis(run, "gmm", _cluster("gmm", {}), _metrics(0.8, 0))
    labels = [group.label for group in group_runs(find_runs([tmp_path]))]
    assert sorted(labels) == [
        "cluster.name=kmeans encode_batch_size=1",
        "cluster.name=kmeans encode_batch_size=4096",
        "re-analysis: cluster.name=gmm encode_batch_size=1",
    ]


@pytest.mark.parametrize(
    "key",
    ["cluster.params.n_jobs", "cluster.manifold.params.n_jobs", "encode_batch_size"],
)
def test_settings_that_change_results_split_groups(tmp_path, key):
    for seed in SEEDS:
        config = _config("ae", "kmeans", seed)
        value = 1 if seed == 0 else 2
        OmegaConf.update(config_node := OmegaConf.create(config), key, value, force_add=True)
        _write_run(tmp_path / str(seed), OmegaConf.to_container(config_node), _metrics(0.7, seed))
    groups = group_runs(find_runs([tmp_path]))
    assert sorted((g.label, g.n_ok) for g in groups) == [(f"{key}=1", 1), (f"{key}=2", 2)]


def test_settings_that_cannot_change_results_do_not_split_groups(tmp_path):
    for seed in SEEDS:
        config = _config("ae", "kmeans", seed)
        config["trainer"] |= {"enable_progress_bar": seed == 0, "log_every_n_steps": 1 + seed}
        config["data"]["root"] = f"/copy{seed}"
        config["embed"] = {"method": ["tsne", "pca", "none"][seed]}  # the figure only
        _write_run(tmp_path / str(seed), config, _metrics(0.7, seed))
    (group,) = group_runs(find_runs([tmp_path]))
    assert group.label == "all runs" and group.n_ok == 3


def test_a_run_saved_before_a_setting_existed_pools_with_runs_at_its_default(tmp_path):
    shipped = compose_train("data=blobs")  # every key of today's config
    for seed in SEEDS:
        config = copy.deepcopy(shipped) | {"seed": seed}
        if seed == 0:  # saved before cluster.select had without_manifold, which it did not do
            del config["cluster"]["select"]["without_manifold"]
        _write_run(tmp_path / "same" / str(seed), config, _metrics(0.7, seed))
    (group,) = group_runs(find_runs([tmp_path / "same"]))
    assert group.n_ok == 3
    # saved before data.min_batches: it trained on one batch of all, not today's two
    for seed in (0, 1):
        config = copy.deepcopy(shipped) | {"seed": seed}
        del config["data"]["min_batches"]
        _write_run(tmp_path / "older" / str(seed), config, _metrics(0.6, seed))
    groups = group_runs(find_runs([tmp_path]))
    assert sorted((g.label, g.n_ok) for g in groups) == [
        ("data.min_batches=1", 2),
        ("data.min_batches=2", 3),
    ]


# --- ranking --------------------------------------------------------------------------------


def test_groups_come_best_first_complete_ones_before_the_rest(sweep, tmp_path):
    groups = group_runs(find_runs([tmp_path]))
    assert [group.label for group in groups] == [
        _label("vae", "kmeans"),
        _label("ae", "gmm"),
        _label("ae", "kmeans"),
        _label("vae", "gmm"),  # the best mean, but one of its four runs failed
        REANALYSED_HDBSCAN,  # a single run
    ]
    assert [group.complete for group in groups] == [True, True, True, False, False]

    by_time = group_runs(find_runs([tmp_path]), TRAIN_SECONDS)
    assert by_time[-1].label == REANALYSED_HDBSCAN  # no training time: last


def test_a_survivor_of_many_failures_never_outranks_a_complete_row(tmp_path, capsys):
    """1 success + 4 failures at ACC .95, a single run at .99, a complete pair at .80."""
    for seed in range(5):
        run = _write_run(tmp_path / f"lucky{seed}", _config("vae", "gmm", seed))
        if seed == 0:
            (run / METRICS_FILE).write_text(json.dumps(_metrics(0.95, seed)))
        else:
            _fail(run)
    _write_run(tmp_path / "single", _config("ae", "gmm", 0), _metrics(0.99, 0))
    for seed in (0, 1):
        _write_run(
            tmp_path / f"pair{seed}",
            _config("ae", "kmeans", seed),
            _metrics(0.8 + seed / 100, seed),
        )

    groups = group_runs(find_runs([tmp_path]))
    assert [(g.label, g.complete) for g in groups] == [
        (_label("ae", "kmeans"), True),
        (_label("ae", "gmm"), False),
        (_label("vae", "gmm"), False),
    ]
    assert main([str(tmp_path)]) == 0
    markdown = (tmp_path / REPORT_MARKDOWN).read_text()
    table = [line for line in markdown.splitlines() if line.startswith("| model.name=")]
    assert table[0].startswith(f"| {_label('ae', 'kmeans')} | 2/0/0 | 0.805 ± 0.007 |")
    assert table[1].startswith(f"| {_label('ae', 'gmm')} | 1/0/0 {INCOMPLETE_MARK} | 0.990 |")
    assert table[2].startswith(f"| {_label('vae', 'gmm')} | 1/4/0 {INCOMPLETE_MARK} | 0.950 |")
    assert f"\n{INCOMPLETE_MARK} incomplete: fewer than 2 runs" in markdown
    rows = _csv_rows(tmp_path / REPORT_CSV)
    assert [rows[g.label]["complete"] for g in groups] == ["True", "False", "False"]


def test_runs_that_share_a_seed_are_not_independent_repetitions(tmp_path):
    """The same seed run again with another figure gives the same clusters: n=2 but one seed."""
    for name, embed in [("figure", "tsne"), ("no_figure", "none")]:
        config = _config("ae", "kmeans", 0) | {"embed": {"method": embed}}
        run = _write_run(tmp_path / name, config, _metrics(0.7, 0))
    for name, seed in [("seed1", 1), ("seed2", 2), ("own_seed_a", None), ("own_seed_b", None)]:
        cluster = _cluster("hdbscan" if seed is None else "gmm", {})
        _write_reanalysis(run, name, cluster, _metrics(0.6, 0), seed)
    groups = {group.label.split()[-1]: group for group in group_runs(find_runs([tmp_path]))}
    assert {name: (g.n_ok, g.n_seeds, g.complete) for name, g in groups.items()} == {
        "cluster.name=gmm": (2, 2, True),  # one run, re-analysed with seeds 1 and 2
        "cluster.name=kmeans": (2, 1, False),
        "cluster.name=hdbscan": (2, 1, False),  # twice with the run's own seed
    }


def test_without_labels_silhouette_ranks_and_missing_values_go_last(tmp_path):
    for name, silhouette in [("kmeans", None), ("gmm", 0.2), ("dbscan", 0.4)]:
        metrics = {k: v for k, v in _metrics(0.0, 0, silhouette).items() if k not in LABEL_METRICS}
        for seed in (0, 1):
            _write_run(tmp_path / f"{name}{seed}", _config("ae", name, seed), metrics)
    labels = [group.label for group in group_runs(find_runs([tmp_path]))]
    assert labels == ["cluster.name=dbscan", "cluster.name=gmm", "cluster.name=kmeans"]


def test_a_lower_is_better_metric_ranks_lowest_first(sweep, tmp_path):
    groups = [g for g in group_runs(find_runs([tmp_path]), TRAIN_SECONDS) if g.complete]
    means = [group.stats[TRAIN_SECONDS].mean for group in groups]
    assert means == sorted(means)


def test_label_of_a_single_group(tmp_path):
    for seed in SEEDS:
        _write_run(tmp_path / str(seed), _config("ae", "kmeans", seed), _metrics(0.5, seed))
    (group,) = group_runs(find_runs([tmp_path]))
    assert group.label == "all runs" and group.n_ok == 3


# --- agreement between seeds ----------------------------------------------------------------


def test_seed_agreement_is_the_mean_pairwise_adjusted_rand_index(tmp_path, capsys):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(5), 40)
    noisy = np.where(rng.random(len(y)) < 0.2, rng.integers(0, 5, len(y)), y)
    assignments = [y, (y + 1) % 5, noisy]  # the same partition twice (relabelled), one noisier
    for seed, clusters in enumerate(assignments):
        run = _write_run(
            tmp_path / f"a{seed}", _config("ae", "kmeans", seed), _metrics(0.7 + seed / 100, seed)
        )
        _write_clusters(run, clusters, y)
    expected = statistics.mean(adjusted_rand_score(a, b) for a, b in combinations(assignments, 2))
    assert 0.6 < expected < 0.95  # neither trivial value

    other = []  # a second setting: one damaged file, so two runs are compared
    for seed, clusters in enumerate([y, noisy, y]):
        run = _write_run(tmp_path / f"b{seed}", _config("ae", "gmm", seed), _metrics(0.6, seed))
        _write_clusters(run, clusters, y)
        other.append(run)
    (other[2] / LATENTS_FILE).write_bytes(b"PK\x03\x04 not a zip archive")

    groups = _by_label(tmp_path)
    agreement = groups["cluster.name=kmeans"].agreement
    assert (agreement.mean, agreement.n) == (pytest.approx(expected), 3)
    partial = groups["cluster.name=gmm"].agreement
    assert (partial.mean, partial.n) == (pytest.approx(adjusted_rand_score(y, noisy)), 2)

    assert main([str(tmp_path)]) == 0
    markdown = (tmp_path / REPORT_MARKDOWN).read_text()
    assert "| seed agreement (ARI) |" in markdown
    assert "| cluster.name=kmeans | 3/0/0 | 0.710 ± 0.010 |" in markdown
    row = next(line for line in markdown.splitlines() if "cluster.name=kmeans |" in line)
    assert f"| {expected:.3f} |" in row
    rows = _csv_rows(tmp_path / REPORT_CSV)
    assert float(rows["cluster.name=kmeans"]["seed_agreement.mean"]) == pytest.approx(expected)
    assert rows["cluster.name=gmm"]["seed_agreement.n"] == "2"


def test_seed_agreement_is_empty_when_assignments_cannot_be_compared(tmp_path, capsys):
    y = np.repeat(np.arange(4), 10)
    cases = {  # setting → the two runs' (clusters, labels), or None for no latents.npz
        "kmeans": [(y, y), (y[:-1], y[:-1])],  # other lengths
        "gmm": [(y, y), (y, y[::-1])],  # other samples: the true labels differ
        "dbscan": [None, (y, y)],  # one run without the file
        "hdbscan": [None, None],
    }
    for name, saved in cases.items():
        for seed, arrays in enumerate(saved):
            run = _write_run(tmp_path / f"{name}{seed}", _config("ae", name, seed), _metrics(0, 0))
            if arrays is not None:
                _write_clusters(run, *arrays)
    groups = _by_label(tmp_path)
    for name in cases:
        assert groups[f"cluster.name={name}"].agreement.mean is None, name
    assert main([str(tmp_path)]) == 0
    markdown = (tmp_path / REPORT_MARKDOWN).read_text()
    header = next(line for line in markdown.splitlines() if line.startswith("| group |"))
    assert "seed agreement" not in header  # no group has a value: no column
    row = _csv_rows(tmp_path / REPORT_CSV)["cluster.name=kmeans"]
    assert (row["seed_agreement.mean"], row["seed_agreement.n"]) == ("", "0")


# --- the files and the command line ---------------------------------------------------------


def test_report_files_and_printed_table(sweep, tmp_path, capsys):
    out = tmp_path / "report"
    assert main([str(tmp_path / "outputs"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    markdown = (out / REPORT_MARKDOWN).read_text()
    assert printed.startswith(markdown)
    assert "| group | runs ok/failed/unfinished | acc | nmi | ari | silhouette |" in markdown
    assert f"| {_label('vae', 'gmm')} | 3/1/0 {INCOMPLETE_MARK} |" in markdown
    assert f"| {REANALYSED_HDBSCAN} | 1/0/0 {INCOMPLETE_MARK} |" in markdown
    assert f"| {_label('vae', 'kmeans')} | 3/0/0 |" in markdown
    assert FAILURE in markdown and "All groups: data.name=digits" in markdown
    assert "seed=" not in markdown and "logger" not in markdown

    mean, std, _ = _expected(sweep[("vae", "gmm")], ACC)
    assert f"{mean:.3f} ± {std:.3f}" in markdown
    rows = _csv_rows(out / REPORT_CSV)
    assert list(rows) == [group.label for group in group_runs(find_runs([tmp_path]))]
    for (model, cluster), runs in sweep.items():
        label = REANALYSED_HDBSCAN if cluster == "hdbscan" else _label(model, cluster)
        row = rows[label]
        assert (row["model.name"], row["cluster.name"]) == (model, cluster)
        assert row["reanalysis"] == str(cluster == "hdbscan")
        mean, std, n = _expected(runs, ACC)
        assert float(row["acc.mean"]) == pytest.approx(mean, abs=1e-12)
        if std is None:  # a single run has no sample std: an empty cell
            assert row["acc.std"] == ""
        else:
            assert float(row["acc.std"]) == pytest.approx(std)
        assert int(row["acc.n"]) == n and int(row["runs_ok"]) == n
    figure = (out / REPORT_FIGURE).read_bytes()
    assert figure.startswith(b"\x89PNG") and len(figure) > 1000
    assert not list(out.glob(".*.tmp"))  # written atomically: no temporary file left


def test_report_goes_to_the_first_dir_by_default(sweep, tmp_path, capsys):
    assert main([str(tmp_path / "outputs"), "--metric", "nmi"]) == 0
    assert "best nmi first" in (tmp_path / "outputs" / REPORT_MARKDOWN).read_text()


def test_genclust_report_through_the_cli(sweep, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        genclust_main(["report", str(tmp_path / "outputs")])
    assert exit_info.value.code == 0
    assert _label("vae", "gmm") in capsys.readouterr().out
    assert (tmp_path / "outputs" / REPORT_FIGURE).stat().st_size > 0


def test_a_bad_folder_is_one_error_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        genclust_main(["report", str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error == f"genclust: error: {tmp_path / 'missing'} is not a directory\n"


def test_the_report_command_loads_no_heavy_module_to_start():
    """A fresh interpreter (the point of the test): --help must not wait for numpy & co."""
    heavy = ("numpy", "sklearn", "matplotlib", "torch")
    code = (
        "import sys, contextlib, io\n"
        "from genclust.commands.report import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        f"print([name for name in {heavy!r} if name in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
