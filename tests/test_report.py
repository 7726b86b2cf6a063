"""`genclust report`: runs found, repetitions grouped, stats right, files written, best first."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from genclust.config.metrics import (
    ACC,
    ARI,
    LABEL_METRICS,
    N_CLUSTERS,
    NMI,
    NOISE_FRACTION,
    SILHOUETTE,
)
from genclust.errors import UserError
from genclust.layout import ANALYSIS_DIR, CONFIG_FILE, METRICS_FILE
from genclust.report import (
    FAILED,
    FAILED_FILE,
    OK,
    REPORT_CSV,
    REPORT_FIGURE,
    REPORT_MARKDOWN,
    find_runs,
    group_runs,
    main,
)
from genclust.report.groups import TOTAL_SECONDS, TRAIN_SECONDS

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
    (failed / FAILED_FILE).write_text(json.dumps({"error": FAILURE}))
    groups[("vae", "gmm")].append(failed)
    analysis = groups[("ae", "kmeans")][0] / ANALYSIS_DIR / "hdbscan"
    analysis.mkdir(parents=True)
    cluster = _cluster("hdbscan", {"min_cluster_size": 50})
    (analysis / CONFIG_FILE).parent.mkdir()
    reanalysis = {"run": str(groups[("ae", "kmeans")][0]), "cluster": cluster, "seed": None}
    OmegaConf.save(OmegaConf.create(reanalysis), analysis / CONFIG_FILE)
    (analysis / METRICS_FILE).write_text(json.dumps(_metrics(0.5, 0) | {"seconds": {"cluster": 2}}))
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


def test_find_runs_reads_runs_failures_and_reanalyses(sweep, tmp_path):
    records = {record.path: record for record in find_runs([tmp_path])}
    assert set(records) == {run for runs in sweep.values() for run in runs}

    failed = records[sweep[("vae", "gmm")][-1]]
    assert (failed.status, failed.error, failed.metrics) == (FAILED, FAILURE, {})
    run = records[sweep[("ae", "kmeans")][0]]
    assert run.status == OK and run.error is None
    assert run.config["model.hidden_dims"] == "[256, 128]"
    assert run.config["trainer.max_epochs"] == 100  # the interpolation is resolved
    assert run.metrics["seconds.train"] == 30.0 and run.metrics["train.loss"] == 12.5
    reanalysis = records[sweep[("ae", "hdbscan")][0]]
    assert reanalysis.config["cluster.name"] == "hdbscan"
    assert reanalysis.config["cluster.params.min_cluster_size"] == 50
    assert "cluster.params.n_init" not in reanalysis.config  # the whole section is replaced
    assert reanalysis.config["model.name"] == "ae"


def test_reanalysis_sweeps_with_their_own_hydra_config(tmp_path):
    run = _write_run(tmp_path / "run", _config("ae", "kmeans", 0), _metrics(0.5, 0))
    sweep = run / ANALYSIS_DIR / "multirun_day"
    for number, cluster in enumerate(["gmm", "hdbscan"]):
        config = {"cluster": _cluster(cluster, {}), "run": str(run), "seed": None}
        _write_run(sweep / str(number), config, _metrics(0.6, 0) if cluster == "gmm" else None)
    (sweep / "1" / FAILED_FILE).write_text(json.dumps({"error": FAILURE}))
    records = find_runs([tmp_path])
    assert [(r.config["cluster.name"], r.status) for r in records] == [
        ("kmeans", OK),
        ("gmm", OK),
        ("hdbscan", FAILED),
    ]
    assert {r.config["model.name"] for r in records} == {"ae"} and records[0].config["seed"] == 0
    assert records[2].error == FAILURE


def test_run_without_metrics_or_failure_file_counts_as_failed(tmp_path):
    _write_run(tmp_path / "run", _config("ae", "kmeans", 0))
    (record,) = find_runs([tmp_path])
    assert record.status == FAILED and METRICS_FILE in record.error


def test_configs_inside_a_run_are_not_runs(tmp_path):
    run = _write_run(tmp_path / "run", _config("ae", "kmeans", 0), _metrics(0.5, 0))
    _write_run(run / "checkpoints" / "helper", _config("ae", "kmeans", 1))
    assert [record.path for record in find_runs([tmp_path])] == [run]


def test_unreadable_config_is_a_user_error_naming_the_file(tmp_path):
    (tmp_path / CONFIG_FILE).parent.mkdir()
    (tmp_path / CONFIG_FILE).write_text("model: [unclosed")
    with pytest.raises(UserError, match="config.yaml"):
        find_runs([tmp_path])


def test_dir_without_runs_is_a_user_error(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(UserError, match="holds no runs"):
        find_runs([tmp_path / "empty"])
    with pytest.raises(UserError, match="not a directory"):
        find_runs([tmp_path / "missing"])


def test_groups_ignore_seed_and_logger_and_stats_match_the_files(sweep, tmp_path):
    groups = {group.label: group for group in group_runs(find_runs([tmp_path]))}
    assert set(groups) == {_label(model, cluster) for model, cluster in sweep}

    for (model, cluster), runs in sweep.items():
        group = groups[_label(model, cluster)]
        assert group.n_ok == len([run for run in runs if (run / METRICS_FILE).is_file()])
        assert group.n_failed == (1 if (model, cluster) == ("vae", "gmm") else 0)
        for name in (ACC, NMI, SILHOUETTE, TRAIN_SECONDS):
            mean, std, n = _expected(runs, name)
            stat = group.stats[name]
            assert stat.mean == (None if mean is None else pytest.approx(mean)) and stat.n == n
            assert stat.std == (None if std is None else pytest.approx(std))
    train = groups[_label("vae", "kmeans")].stats[TRAIN_SECONDS]
    assert (train.mean, train.std, train.n) == (31.0, pytest.approx(1.0), 3)
    total = groups[_label("ae", "hdbscan")].stats[TOTAL_SECONDS]
    assert (total.mean, total.n) == (2.0, 1)  # no total in metrics.json: the stages' sum


def test_groups_come_best_first(sweep, tmp_path):
    groups = group_runs(find_runs([tmp_path]))
    means = [group.stats[ACC].mean for group in groups]
    assert means == sorted(means, reverse=True)
    assert groups[0].label == _label("vae", "gmm")

    by_time = group_runs(find_runs([tmp_path]), TRAIN_SECONDS)
    assert by_time[-1].label == _label("ae", "hdbscan")  # no training time: last


def test_without_labels_silhouette_ranks_and_missing_values_go_last(tmp_path):
    for seed, (cluster, silhouette) in enumerate([("kmeans", None), ("gmm", 0.2), ("dbscan", 0.4)]):
        metrics = {k: v for k, v in _metrics(0.0, 0, silhouette).items() if k not in LABEL_METRICS}
        _write_run(tmp_path / str(seed), _config("ae", cluster, 0), metrics)
    labels = [group.label for group in group_runs(find_runs([tmp_path]))]
    assert labels == ["cluster.name=dbscan", "cluster.name=gmm", "cluster.name=kmeans"]


def test_label_of_a_single_group(tmp_path):
    for seed in SEEDS:
        _write_run(tmp_path / str(seed), _config("ae", "kmeans", seed), _metrics(0.5, seed))
    (group,) = group_runs(find_runs([tmp_path]))
    assert group.label == "all runs" and group.n_ok == 3


def test_report_files_and_printed_table(sweep, tmp_path, capsys):
    out = tmp_path / "report"
    assert main([str(tmp_path / "outputs"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    markdown = (out / REPORT_MARKDOWN).read_text()
    assert printed.startswith(markdown)
    assert "| group | runs ok/failed | acc | nmi | ari | silhouette |" in markdown
    assert f"| {_label('vae', 'gmm')} | 3/1 |" in markdown
    assert FAILURE in markdown and "All groups: data.name=digits" in markdown
    assert "seed=" not in markdown and "logger" not in markdown

    mean, std, _ = _expected(sweep[("vae", "gmm")], ACC)
    assert f"{mean:.3f} ± {std:.3f}" in markdown
    with (out / REPORT_CSV).open(newline="") as stream:
        rows = {row["group"]: row for row in csv.DictReader(stream)}
    assert list(rows) == [group.label for group in group_runs(find_runs([tmp_path]))]
    for (model, cluster), runs in sweep.items():
        row = rows[_label(model, cluster)]
        assert (row["model.name"], row["cluster.name"]) == (model, cluster)
        mean, std, n = _expected(runs, ACC)
        assert float(row["acc.mean"]) == pytest.approx(mean, abs=1e-12)
        if std is None:  # a single run has no sample std: an empty cell
            assert row["acc.std"] == ""
        else:
            assert float(row["acc.std"]) == pytest.approx(std)
        assert int(row["acc.n"]) == n and int(row["runs_ok"]) == n
    figure = (out / REPORT_FIGURE).read_bytes()
    assert figure.startswith(b"\x89PNG") and len(figure) > 1000


def test_report_goes_to_the_first_dir_by_default(sweep, tmp_path, capsys):
    assert main([str(tmp_path / "outputs"), "--metric", "nmi"]) == 0
    assert "best nmi first" in (tmp_path / "outputs" / REPORT_MARKDOWN).read_text()


def test_genclust_report_command(sweep, tmp_path, genclust):
    result = genclust("report", "outputs", timeout=120)
    assert result.returncode == 0, result.stderr
    assert _label("vae", "gmm") in result.stdout
    assert (tmp_path / "outputs" / REPORT_FIGURE).stat().st_size > 0
