"""The experiment= recipes: the digits recipe meets its target; the Fashion-MNIST benchmark
script resumes instead of retraining (slow: it trains on all 70k images)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from genclust.rundir.names import METRICS_FILE

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_clustering.py"


def test_digits_best_reaches_its_target(genclust, tmp_path):
    result = genclust("train", "experiment=digits_best", "logger=none", "embed=none")
    assert result.returncode == 0, result.stderr[-2000:]
    (metrics_path,) = (tmp_path / "outputs").glob(f"*/*/{METRICS_FILE}")
    metrics = json.loads(metrics_path.read_text())
    assert metrics["clustered"] == "tsne" and metrics["n_samples"] == 1797
    assert metrics["acc"] >= 0.95


@pytest.mark.slow
def test_benchmark_reads_finished_runs_instead_of_retraining(tmp_path):
    command = [sys.executable, str(SCRIPT), "--recipes", "fmnist_kmeans_raw", "--seeds", "0"]
    command += ["--out", str(tmp_path), "--", "embed=none", "logger=none"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=True)
    run_metrics = tmp_path / "fmnist_kmeans_raw" / "seed_0" / METRICS_FILE
    written = run_metrics.stat().st_mtime_ns
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, check=True)
    assert "$ genclust train" in first.stdout and "$ genclust train" not in second.stdout
    assert run_metrics.stat().st_mtime_ns == written
    row = next(line for line in second.stdout.splitlines() if "fmnist_kmeans_raw" in line)
    assert "0.474 / 0.512" in row  # the published numbers beside ours
    acc = json.loads(run_metrics.read_text())["acc"]
    assert f"{acc:.3f}" in row
