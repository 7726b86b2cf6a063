"""Killed, interrupted and repeated runs: resume ends where an uninterrupted run ends."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import run_genclust

from genclust.commands.interruption import INTERRUPTED_CHECKPOINT
from genclust.rundir.names import CHECKPOINT_FILE, METRICS_FILE

# Four epochs of ~300 steps: long enough to stop a run after its first checkpoint.
SLOW_ENOUGH = (
    "data=blobs",
    "data.n_samples=20000",
    "data.batch_size=64",
    "trainer.max_epochs=4",
    "trainer.deterministic=true",
    "cluster/manifold=none",
    "embed=none",
    "logger=none",
)


def _scores(run_dir: Path) -> dict:
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    metrics.pop("seconds")
    return metrics


def _start(run_dir: Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "genclust", "train", *SLOW_ENOUGH, f"hydra.run.dir={run_dir}"],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_first_checkpoint(run_dir: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not (run_dir / CHECKPOINT_FILE).is_file():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("faults")
    result = run_genclust("train", *SLOW_ENOUGH, f"hydra.run.dir={root / 'whole'}", cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    return root / "whole"


def test_same_command_same_seed_same_metrics(uninterrupted, tmp_path):
    result = run_genclust(
        "train", *SLOW_ENOUGH, f"hydra.run.dir={tmp_path / 'again'}", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert _scores(tmp_path / "again") == _scores(uninterrupted)


def test_killed_run_resumes_to_the_same_result(uninterrupted, tmp_path):
    run_dir = tmp_path / "killed"
    process = _start(run_dir, tmp_path)
    _wait_for_first_checkpoint(run_dir, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (run_dir / METRICS_FILE).exists()  # really killed mid-training

    result = run_genclust("train", f"resume={run_dir}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _scores(run_dir) == _scores(uninterrupted)


def test_ctrl_c_saves_weights_and_says_how_to_resume(uninterrupted, tmp_path):
    run_dir = tmp_path / "interrupted"
    process = _start(run_dir, tmp_path)
    _wait_for_first_checkpoint(run_dir, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0
    assert f"genclust train resume={run_dir}" in stderr
    assert (run_dir / CHECKPOINT_FILE).parent.joinpath(INTERRUPTED_CHECKPOINT).is_file()

    result = run_genclust("train", f"resume={run_dir}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _scores(run_dir) == _scores(uninterrupted)


def test_a_finished_run_is_not_resumed(uninterrupted, tmp_path):
    before = (uninterrupted / METRICS_FILE).read_bytes()
    result = run_genclust("train", f"resume={uninterrupted}", cwd=tmp_path)
    assert result.returncode == 2 and "has finished" in result.stderr
    assert (uninterrupted / METRICS_FILE).read_bytes() == before


def test_resume_of_a_dir_that_is_not_a_run(tmp_path):
    result = run_genclust("train", f"resume={tmp_path}", cwd=tmp_path)
    assert result.returncode == 2 and "is not a genclust run" in result.stderr
