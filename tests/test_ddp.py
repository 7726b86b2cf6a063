"""Several processes, one run: DDP over CPU processes (gloo) and parallel sweep members."""

from __future__ import annotations

import json

import pytest
from tests.conftest import run_genclust_process

from genclust.rundir.names import CHECKPOINT_FILE, METRICS_FILE

DDP = (
    "trainer=ddp_cpu",
    "trainer.devices=2",
    "trainer.max_epochs=2",
    "cluster/manifold=none",
    "embed=none",
)


def _train_with_two_processes(tmp_path, model: str):
    result = run_genclust_process("train", *DDP, f"model={model}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    run_dirs = [path.parent for path in (tmp_path / "outputs").glob("*/*/.hydra")]
    assert len(run_dirs) == 1, f"one run must make one run dir, got {run_dirs}"
    run_dir = run_dirs[0]
    events = list(run_dir.glob("events.out.tfevents.*"))  # straight in the run dir
    writers = {name.name.split(".")[-2] for name in events}  # ...tfevents.<time>.<host>.<pid>.<n>
    assert len(writers) == 1, f"only rank 0 writes TensorBoard events, got {events}"
    assert (run_dir / CHECKPOINT_FILE).is_file()
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert metrics["n_samples"] == 1797  # the analysis covers every sample, not one shard
    # Each process saw half of every epoch: 1797 / 2 / 128 → 7 full batches per epoch.
    assert metrics["steps"] == 2 * 7  # a step is a batch, also for the GAN's two optimizers
    assert (run_dir / "train_ddp_process_1.log").is_file()  # the second process wrote here too


def test_vae_trains_with_two_processes_into_one_run(tmp_path):
    _train_with_two_processes(tmp_path, "vae")


@pytest.mark.slow
@pytest.mark.parametrize("model", ["ae", "gan"])
def test_other_models_train_with_two_processes(tmp_path, model):
    _train_with_two_processes(tmp_path, model)


def test_joblib_launcher_runs_sweep_members_in_parallel(tmp_path):
    result = run_genclust_process(
        "train",
        "-m",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        "seed=0,1",
        "data=blobs",
        "data.n_samples=200",
        "trainer.max_epochs=2",
        "embed=none",
        "logger=none",
        "cluster/manifold=none",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Joblib.Parallel" in result.stdout + result.stderr
    sweep = next((tmp_path / "outputs" / "multirun").glob("*/*"))
    assert len(list(sweep.glob(f"*/{METRICS_FILE}"))) == 2


@pytest.mark.parametrize("launcher", ["submitit_slurm", "submitit_local", "joblib"])
def test_launcher_configs_compose(launcher):
    from hydra import compose, initialize_config_module

    from genclust.config.resolvers import register_resolvers

    register_resolvers()
    with initialize_config_module("genclust.conf", version_base="1.3"):
        cfg = compose("train", overrides=[f"hydra/launcher={launcher}"], return_hydra_config=True)
    assert cfg.hydra.launcher._target_.startswith("hydra_plugins.")
