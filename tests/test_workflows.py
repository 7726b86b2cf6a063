"""After training: sweeps with failing members, re-analysis, prediction, report, Optuna search."""

from __future__ import annotations

import json
import re
import shutil
import statistics
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from tests.conftest import member_dir, run_genclust

from genclust.rundir.names import (
    CLUSTER_DIR,
    FAILED_FILE,
    LATENTS_FILE,
    METRICS_FILE,
    PREDICT_DIR,
)

QUICK = ("trainer.max_epochs=3", "embed=none", "logger=none")


def _write_csv(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    header = ",".join(f"f{i}" for i in range(x.shape[1])) + ",kind"
    np.savetxt(path, np.c_[x, y], delimiter=",", header=header, comments="", fmt="%.5f")
    return path


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """A finished run on a small labelled CSV, plus new samples from the same clusters."""
    root = tmp_path_factory.mktemp("workflows")
    x, y = make_blobs(n_samples=400, n_features=5, centers=3, random_state=0)
    train_csv = _write_csv(root / "train.csv", x[:300], y[:300])
    new_csv = _write_csv(root / "new.csv", x[300:], y[300:])
    run_dir = root / "run"
    result = run_genclust(
        "train",
        "data=csv",
        f"data.path={train_csv}",
        "data.label_column=kind",
        "cluster/manifold=none",
        f"hydra.run.dir={run_dir}",
        *QUICK,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return root, run_dir, new_csv


def test_sweep_goes_on_after_a_failed_member_and_counts_it(genclust, tmp_path):
    result = genclust(
        "train", "-m", "model.latent_dim=0,2", "data=blobs", "data.n_samples=200", *QUICK
    )
    assert result.returncode == 1  # one member failed
    assert "1 of 2 runs failed" in result.stderr
    sweep = next((tmp_path / "outputs" / "multirun").glob("*/*"))
    # Each member's dir is named by what the sweep varies (the other overrides are constant).
    assert member_dir(sweep, 0).name == "0_model.latent_dim=0"
    failure = json.loads((member_dir(sweep, 0) / FAILED_FILE).read_text())
    assert "model.latent_dim" in failure["error"] and failure["type"] == "UserError"
    assert (member_dir(sweep, 1) / METRICS_FILE).is_file()

    report = genclust("report", str(sweep))
    assert report.returncode == 0, report.stderr
    assert (
        "model.latent_dim=2 | 1/0" in report.stdout and "model.latent_dim=0 | 0/1" in report.stdout
    )


def test_reanalysis_writes_a_new_folder_and_keeps_earlier_results(csv_run):
    root, run_dir, _ = csv_run
    before = (run_dir / METRICS_FILE).read_bytes()
    result = run_genclust(
        "cluster",
        "-m",
        f"run={run_dir}",
        "cluster=kmeans,gmm",
        "cluster/manifold=none",
        "embed=none",
        "logger=none",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (run_dir / METRICS_FILE).read_bytes() == before
    new = sorted((run_dir / CLUSTER_DIR).glob(f"multirun_*/*/{METRICS_FILE}"))
    assert len(new) == 2
    for path in new:
        assert json.loads(path.read_text())["acc"] > 0.9


def test_one_cluster_sweep_over_several_runs_writes_into_each_run(csv_run, tmp_path):
    root, run_dir, _ = csv_run
    runs = [tmp_path / "a", tmp_path / "b"]
    for copy in runs:
        shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(CLUSTER_DIR, PREDICT_DIR))
    result = run_genclust(
        "cluster", "-m", f"run={runs[0]},{runs[1]}", "cluster/manifold=none", "embed=none",
        "logger=none", cwd=root,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    for run in runs:
        assert len(list((run / CLUSTER_DIR).glob(f"multirun_*/*/{METRICS_FILE}"))) == 1
    report = run_genclust("report", *map(str, runs), "--out", str(tmp_path), cwd=root)
    assert report.returncode == 0, report.stderr
    assert report.stdout.count("re-analysis") >= 1 and "2/0/0" in report.stdout


def test_reanalysis_reencodes_a_run_killed_during_its_analysis(csv_run, tmp_path):
    root, run_dir, _ = csv_run
    killed = tmp_path / "killed"
    killed.mkdir()
    for name in (".hydra", "checkpoints"):
        (killed / name).symlink_to(run_dir / name)
    result = run_genclust(
        "cluster", f"run={killed}", "cluster/manifold=none", "embed=none", "logger=none", cwd=root
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (analysis,) = (killed / CLUSTER_DIR).iterdir()
    with np.load(analysis / LATENTS_FILE) as fresh, np.load(run_dir / LATENTS_FILE) as saved:
        np.testing.assert_allclose(fresh["z"], saved["z"], rtol=1e-5, atol=1e-6)


def test_predict_with_a_clusterer_that_predicts(csv_run):
    root, run_dir, new_csv = csv_run
    result = run_genclust(
        "predict", f"run={run_dir}", f"data.path={new_csv}", "data.label_column=kind", cwd=root
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (folder,) = (run_dir / PREDICT_DIR).iterdir()
    rows = (folder / "predictions.csv").read_text().splitlines()
    assert rows[0] == "row,cluster" and len(rows) == 101
    metrics = json.loads((folder / METRICS_FILE).read_text())
    assert metrics["assigned_by"] == "KMeans.predict" and metrics["acc"] > 0.9
    assert metrics["knn_modularity"] > 0.5  # the new data's own label-free score


def test_predict_after_dbscan_uses_the_nearest_training_codes(csv_run):
    root, run_dir, new_csv = csv_run
    analysis = run_dir / CLUSTER_DIR / "dbscan"
    result = run_genclust(
        "cluster",
        f"run={run_dir}",
        "cluster=dbscan",
        "embed=none",
        "logger=none",
        f"hydra.run.dir={analysis}",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    result = run_genclust(
        "predict",
        f"run={run_dir}",
        "clustering=dbscan",
        f"data.path={new_csv}",
        "data.label_column=kind",
        cwd=root,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "majority of 5 nearest fitted codes" in result.stdout


@pytest.mark.parametrize(
    ("data", "shape"),
    [(["data=digits"], "(64,)"), (["data.path=NEW", "data.label_column=null"], "(6,)")],
)
def test_predict_rejects_data_of_another_shape(csv_run, data, shape):
    root, run_dir, new_csv = csv_run
    data = [option.replace("NEW", str(new_csv)) for option in data]
    result = run_genclust("predict", f"run={run_dir}", *data, cwd=root)
    assert result.returncode == 2
    assert f"shape {shape}" in result.stderr and "(5,)" in result.stderr


def test_a_folder_that_is_not_a_run_is_refused(genclust, tmp_path):
    result = genclust("cluster", f"run={tmp_path}")
    assert result.returncode == 2 and "is not a genclust run" in result.stderr


def test_report_numbers_match_the_metrics_files(genclust, tmp_path):
    result = genclust("train", "-m", "seed=0,1", "data=blobs", "data.n_samples=200", *QUICK)
    assert result.returncode == 0, result.stderr[-2000:]
    sweep = next((tmp_path / "outputs" / "multirun").glob("*/*"))
    accs = [json.loads(p.read_text())["acc"] for p in sorted(sweep.glob(f"*/{METRICS_FILE}"))]
    assert len(accs) == 2
    report = genclust("report", str(sweep))
    assert report.returncode == 0, report.stderr
    expected = f"{statistics.mean(accs):.3f} ± {statistics.stdev(accs):.3f}"
    assert expected in report.stdout


def test_optuna_search_runs_trials_and_names_the_best(genclust, tmp_path):
    result = genclust(
        "train",
        "-m",
        "hparams_search=optuna",
        "hydra.sweeper.n_trials=2",
        "data=blobs",
        "data.n_samples=200",
        *QUICK,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    output = result.stdout + result.stderr
    sweep = next((tmp_path / "outputs" / "multirun").glob("*/*"))
    trials = [json.loads(path.read_text()) for path in sweep.glob(f"*/{METRICS_FILE}")]
    assert len(trials) == 2
    # Without labels to lean on, the search maximises the default label-free score.
    best = max(trial["knn_modularity"] for trial in trials)
    assert float(re.search(r"Best value: (\S+)", output).group(1)) == pytest.approx(best)
