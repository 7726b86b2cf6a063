"""Killed, interrupted, terminated and repeated runs: resume ends where an uninterrupted run
ends; a run being trained is not trained twice; SIGTERM stops a run or a sweep with 143."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tests.conftest import options, run_genclust, run_genclust_process
from tests.disk_faults import fail_writes, temporary_files

from genclust.commands.interruption import INTERRUPTED_CHECKPOINT
from genclust.commands.termination import EXIT_TERMINATED
from genclust.commands.training import build_trainer
from genclust.rundir.names import (
    CHECKPOINT_FILE,
    FAILED_FILE,
    METRICS_FILE,
    PREVIOUS_CHECKPOINT_FILE,
)

# Six epochs of 46 steps: a subprocess's first checkpoint comes at a sixth of its training, so
# a signal sent when it appears reaches the run mid-training, loaded machine or not.
SLOW_ENOUGH = (
    "data=blobs",
    "data.n_samples=3000",
    "data.batch_size=64",
    "trainer.max_epochs=6",
    "trainer.deterministic=true",
    "cluster/manifold=none",
    "embed=none",
    "logger=none",
)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Every training here, in this process and in the ones it starts, on one thread: on a
    shared machine two threads per tiny step wait on each other (~10x slower under load), and
    results stay bit-identical only when every part of a resumed run used the same count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        yield
    torch.set_num_threads(threads)


def _scores(run_dir: Path) -> dict:
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    metrics.pop("seconds")
    return metrics


def _start(cwd: Path, *overrides: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "genclust", "train", *SLOW_ENOUGH, *overrides],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, with any DDP worker it starts
        preexec_fn=_ctrl_c_as_at_a_terminal,
    )


def _ctrl_c_as_at_a_terminal() -> None:
    """A suite started in the background (``cmd &``) ignores SIGINT, and so would the run it
    starts: Python then never raises KeyboardInterrupt. The run gets Ctrl-C as at a terminal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for(checkpoint: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while not checkpoint.is_file():
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, f"no {checkpoint} within 300 s"
        time.sleep(0.05)


def _start_and_wait_for_first_checkpoint(run_dir: Path, cwd: Path) -> subprocess.Popen:
    process = _start(cwd, f"hydra.run.dir={run_dir}")
    _wait_for(run_dir / CHECKPOINT_FILE, process)
    return process


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


def test_a_live_run_is_left_alone_and_a_killed_one_resumes(uninterrupted, tmp_path):
    run_dir = tmp_path / "killed"
    process = _start_and_wait_for_first_checkpoint(run_dir, tmp_path)
    process.send_signal(signal.SIGSTOP)  # held mid-training, lock and all, however fast it is
    try:
        # Another process (this one) may neither resume nor re-encode the run meanwhile.
        second = run_genclust("train", f"resume={run_dir}", cwd=tmp_path)
        cluster = run_genclust("cluster", f"run={run_dir}", "embed=none", cwd=tmp_path)
        assert process.poll() is None, "the live run was disturbed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert second.returncode == 2, second.stderr[-2000:]
    assert f"{run_dir} is being trained by process {process.pid} on " in second.stderr
    assert cluster.returncode == 2 and "is still training" in cluster.stderr
    assert not (run_dir / FAILED_FILE).exists() and not (run_dir / METRICS_FILE).exists()

    # The kernel dropped the dead process's lock: the run resumes at once, to the same end.
    result = run_genclust("train", f"resume={run_dir}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _scores(run_dir) == _scores(uninterrupted)


def test_a_run_checkpointed_by_lightnings_modelcheckpoint_resumes_quietly(uninterrupted, tmp_path):
    # Runs trained before genclust wrote its own checkpoints carry ModelCheckpoint's state,
    # for which Lightning would ask on resume ("Please add the following callbacks").
    run_dir = tmp_path / "older"
    process = _start_and_wait_for_first_checkpoint(run_dir, tmp_path)
    process.send_signal(signal.SIGKILL)
    process.wait()
    checkpoint = torch.load(run_dir / CHECKPOINT_FILE, weights_only=True)
    old_key = (
        "ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 0, "
        "'every_n_epochs': 1, 'train_time_interval': None}"
    )
    checkpoint["callbacks"][old_key] = {"best_model_path": str(run_dir / CHECKPOINT_FILE)}
    torch.save(checkpoint, run_dir / CHECKPOINT_FILE)

    result = run_genclust_process("train", f"resume={run_dir}", cwd=tmp_path)  # its stderr
    assert result.returncode == 0, result.stderr[-2000:]
    assert "callbacks" not in result.stderr, result.stderr[-2000:]
    assert _scores(run_dir) == _scores(uninterrupted)


def test_ctrl_c_saves_weights_and_says_how_to_resume(uninterrupted, tmp_path):
    run_dir = tmp_path / "interrupted"
    process = _start_and_wait_for_first_checkpoint(run_dir, tmp_path)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0
    assert f"genclust train resume={run_dir}" in stderr
    assert (run_dir / CHECKPOINT_FILE).parent.joinpath(INTERRUPTED_CHECKPOINT).is_file()

    result = run_genclust("train", f"resume={run_dir}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _scores(run_dir) == _scores(uninterrupted)


def test_sigterm_saves_weights_records_why_and_exits_143(uninterrupted, tmp_path):
    run_dir = tmp_path / "terminated"
    process = _start_and_wait_for_first_checkpoint(run_dir, tmp_path)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == EXIT_TERMINATED == 143, stderr
    (line,) = [line for line in stderr.splitlines() if line.startswith("genclust:")]
    assert line.startswith("genclust: terminated by SIGTERM in epoch ")
    assert line.endswith(f"; continue with: genclust train resume={run_dir}")
    assert "Traceback" not in stderr
    failure = json.loads((run_dir / FAILED_FILE).read_text())
    assert failure["type"] == "Terminated" and failure["error"] == line.removeprefix("genclust: ")
    assert (run_dir / CHECKPOINT_FILE).parent.joinpath(INTERRUPTED_CHECKPOINT).is_file()

    result = run_genclust("train", f"resume={run_dir}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _scores(run_dir) == _scores(uninterrupted)


def test_sigterm_stops_a_sweep_and_says_how_far_it_came(tmp_path):
    sweep = tmp_path / "sweep"
    # Member 0 trains one epoch and finishes; member 1 is terminated; member 2 never starts.
    process = _start(tmp_path, "-m", "trainer.max_epochs=1,6,1", f"hydra.sweep.dir={sweep}")
    members = [sweep / f"{n}_trainer.max_epochs={epochs}" for n, epochs in enumerate((1, 6, 1))]
    _wait_for(members[1] / CHECKPOINT_FILE, process)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 143, stderr
    (line,) = [line for line in stderr.splitlines() if line.startswith("genclust:")]
    assert f"of sweep member {members[1].name} ({sweep}: 1 member had finished, 0 failed" in line
    assert line.endswith(f"genclust train resume={members[1]}")
    assert (members[0] / METRICS_FILE).is_file()
    assert json.loads((members[1] / FAILED_FILE).read_text())["type"] == "Terminated"
    assert not members[2].exists()


@pytest.mark.slow  # two DDP processes: ~20 s
def test_sigterm_stops_every_ddp_process_after_the_same_batch(tmp_path):
    run_dir = tmp_path / "ddp"
    process = _start(tmp_path, "trainer=ddp_cpu", "trainer.devices=2", f"hydra.run.dir={run_dir}")
    _wait_for(run_dir / CHECKPOINT_FILE, process)
    process.send_signal(signal.SIGTERM)  # to the first process only, as a user or a launcher
    try:
        _, stderr = process.communicate(timeout=120)  # no process waits on another for ever
    finally:
        with contextlib.suppress(ProcessLookupError):  # nothing is left if it passed
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 143, stderr
    (line,) = [line for line in stderr.splitlines() if line.startswith("genclust:")]
    assert line.endswith(f"continue with: genclust train resume={run_dir}")
    assert json.loads((run_dir / FAILED_FILE).read_text())["type"] == "Terminated"

    resumed = subprocess.run(
        [sys.executable, "-m", "genclust", "train", f"resume={run_dir}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert json.loads((run_dir / METRICS_FILE).read_text())["epochs"] == 6


def test_a_finished_run_is_not_resumed(uninterrupted, tmp_path):
    before = (uninterrupted / METRICS_FILE).read_bytes()
    result = run_genclust("train", f"resume={uninterrupted}", cwd=tmp_path)
    assert result.returncode == 2 and "has finished" in result.stderr
    assert (uninterrupted / METRICS_FILE).read_bytes() == before


def test_resume_of_a_dir_that_is_not_a_run(tmp_path):
    result = run_genclust("train", f"resume={tmp_path}", cwd=tmp_path)
    assert result.returncode == 2 and "is not a genclust run" in result.stderr


def test_lightnings_slurm_requeue_is_off_under_slurm(monkeypatch, tmp_path):
    # What srun sets for a one-task job step; Lightning then detects SLURM by itself.
    for name, value in {"SLURM_NTASKS": "1", "SLURM_JOB_NAME": "genclust"}.items():
        monkeypatch.setenv(name, value)
    trainer = build_trainer(options("trainer"), tmp_path, logger=None)
    environment = trainer._accelerator_connector.cluster_environment
    assert type(environment).__name__ == "SLURMEnvironment"
    assert environment.auto_requeue is False


def _epoch_of(checkpoint: Path) -> int:
    return torch.load(checkpoint, map_location="cpu", weights_only=True)["epoch"]


def test_a_full_disk_keeps_the_good_checkpoints_and_resume_survives_damage(
    uninterrupted, tmp_path, monkeypatch
):
    run_dir = tmp_path / "full"
    last, previous = run_dir / CHECKPOINT_FILE, run_dir / PREVIOUS_CHECKPOINT_FILE
    checkpoints = []

    def third_checkpoint(path: Path) -> bool:  # the disk fills up at the end of epoch 2
        checkpoints.extend([path] if path.name == last.name else [])
        return len(checkpoints) == 3

    failed = fail_writes(monkeypatch, errno.ENOSPC, third_checkpoint)
    result = run_genclust("train", *SLOW_ENOUGH, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert failed[0] == last
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("genclust:")]
    assert line.startswith(f"genclust: error: cannot write {last}: No space left on device")
    assert (_epoch_of(last), _epoch_of(previous)) == (1, 0)  # the two before, both whole
    assert temporary_files(run_dir) == []
    assert not (run_dir / FAILED_FILE).exists()  # it could not be written either
    monkeypatch.undo()  # space again

    # last.ckpt damaged (by anything): resume= goes on from previous.ckpt, to the same end.
    damaged = tmp_path / "damaged"
    shutil.copytree(run_dir, damaged)
    last.write_bytes(last.read_bytes()[:3000])
    result = run_genclust("train", f"resume={run_dir}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert _scores(run_dir) == _scores(uninterrupted)
    assert f"resuming from {previous}, one epoch earlier" in (run_dir / "train.log").read_text()

    # Both damaged: one clean line, and nothing is written over.
    for checkpoint in (damaged / CHECKPOINT_FILE, damaged / PREVIOUS_CHECKPOINT_FILE):
        checkpoint.write_bytes(checkpoint.read_bytes()[:3000])
    before = {path: path.read_bytes() for path in damaged.rglob("*.ckpt")}
    result = run_genclust("train", f"resume={damaged}", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-2000:]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("genclust:")]
    assert "last.ckpt is truncated or not a checkpoint" in line
    assert "previous.ckpt is truncated or not a checkpoint" in line
    assert {path: path.read_bytes() for path in damaged.rglob("*.ckpt")} == before
