"""Several processes, one run: DDP over CPU processes (gloo) and parallel sweep members."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from pytorch_lightning.strategies import DDPStrategy
from tests.conftest import options, run_genclust_process

from genclust.commands.code_groups import manifold_grouping
from genclust.commands.training import build_trainer
from genclust.models.base import EPOCH_SUFFIX, RNG_STATE
from genclust.rundir.names import CHECKPOINT_FILE, METRICS_FILE

PROBE = Path(__file__).with_name("ddp_probe.py")
TWO_PROCESSES = ("trainer.devices=2", "trainer.max_epochs=2", "cluster/manifold=none", "embed=none")
# Two epochs, the first one pretraining: the clusters are set at the start of the second.
MODEL = {
    "vade": ("model=vade", "model.pretrain_epochs=1"),
    "dec": ("model=dec", "model.pretrain_epochs=1", "model.augment=1"),
}
# Every way of asking for several devices: the CPU recipe (ddp), several devices under
# strategy auto (Lightning picks ddp), ddp_spawn, and the GPU recipe moved to the CPU.
WAYS = {
    "ddp_cpu": ("trainer=ddp_cpu",),
    "devices": (),
    "ddp_spawn": ("trainer.strategy=ddp_spawn",),
    "ddp": ("trainer=ddp", "trainer.accelerator=cpu"),
}


def _train_with_two_processes(tmp_path: Path, model: str, way: str) -> None:
    """Train ``model`` with two CPU processes (gloo), ``way``, and check the run they make."""
    probe_dir = tmp_path / "probe"
    arguments = [*TWO_PROCESSES, *WAYS[way], *MODEL.get(model, (f"model={model}",))]
    result = subprocess.run(
        [sys.executable, str(PROBE), "train", *arguments],
        cwd=tmp_path,
        env={**os.environ, "DDP_PROBE_DIR": str(probe_dir), "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dirs = [path.parent for path in (tmp_path / "outputs").glob("*/*/.hydra")]
    assert len(run_dirs) == 1, f"one run must make one run dir, got {run_dirs}"
    run_dir = run_dirs[0]
    _check_run_dir(run_dir, model, spawned=way == "ddp_spawn")
    ranks = [json.loads((probe_dir / f"rank{rank}.json").read_text()) for rank in (0, 1)]
    _check_randomness(*ranks)
    _check_epoch_means(*ranks)
    states = torch.load(run_dir / CHECKPOINT_FILE, weights_only=True)[RNG_STATE]
    assert len(states) == 2, "the checkpoint keeps each process's RNG state"
    assert not torch.equal(states[0]["cpu"], states[1]["cpu"])


def _check_run_dir(run_dir: Path, model: str, spawned: bool) -> None:
    events = list(run_dir.glob("events.out.tfevents.*"))  # straight in the run dir
    writers = {name.name.split(".")[-2] for name in events}  # ...tfevents.<time>.<host>.<pid>.<n>
    # Rank 0 writes the training's events; under ddp_spawn it is a worker, and the process
    # that spawned it writes the analysis'. Rank 1 writes none.
    assert len(writers) == (2 if spawned else 1), f"events from other processes: {events}"
    assert (run_dir / CHECKPOINT_FILE).is_file()
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert metrics["n_samples"] == 1797  # the analysis covers every sample, not one shard
    # Each process saw half of every epoch: 1797 / 2 / 128 → 7 full batches per epoch; a step
    # is a batch, also for the GAN's two optimizers.
    assert metrics["epochs"] == 2
    assert metrics["steps"] == 2 * 7
    if not spawned:  # Lightning started the second process with the command: it logs here too
        assert (run_dir / "train_ddp_process_1.log").is_file()


def _check_randomness(rank0: dict, rank1: dict) -> None:
    """Each process feeds the model its own noise; all hold the same weights (clusters too)."""
    assert len(rank0["noise"]) == len(rank1["noise"]) == 2  # a first batch in each epoch
    for epoch, (noise0, noise1) in enumerate(zip(rank0["noise"], rank1["noise"], strict=True)):
        assert noise0 != noise1, f"both processes would draw the same noise in epoch {epoch}"
    assert rank0["weights"] == rank1["weights"], "the processes' weights (or clusters) differ"


def _check_epoch_means(rank0: dict, rank1: dict) -> None:
    """The logged epoch means are the mean over both processes, the same on each."""
    assert rank0["synced"] == rank1["synced"]
    local0, local1 = rank0["local_means"][-1:], rank1["local_means"][-1:]
    for name, value in (local0[0] if local0 else {}).items():
        both = (value + local1[0][name]) / 2
        assert rank0["synced"][name + EPOCH_SUFFIX] == pytest.approx(both, rel=1e-5)


def test_vade_trains_with_two_processes_noise_apart_clusters_shared(tmp_path):
    _train_with_two_processes(tmp_path, "vade", "ddp_cpu")


@pytest.mark.slow
@pytest.mark.parametrize("way", ["devices", "ddp_spawn"])
@pytest.mark.parametrize("model", ["ae", "vae", "vade", "gan", "dec", "clustergan"])
def test_every_model_trains_with_two_processes(tmp_path, model, way):
    _train_with_two_processes(tmp_path, model, way)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["gan", "dec"])
def test_the_gpu_recipe_trains_with_two_cpu_processes(tmp_path, model):
    _train_with_two_processes(tmp_path, model, "ddp")


@pytest.mark.parametrize("way", ["devices", "ddp_spawn", "ddp"])
def test_a_model_without_parameters_runs_in_one_process(tmp_path, way):
    # raw trains nothing, and DDP refuses a module without parameters to share.
    trainer_options = options("trainer", None, *TWO_PROCESSES, *WAYS[way])
    assert build_trainer(trainer_options, tmp_path, None).world_size == 2
    one = build_trainer(trainer_options, tmp_path, None, trains_parameters=False)
    assert one.world_size == 1 and not isinstance(one.strategy, DDPStrategy)


def test_decs_manifold_grouping_survives_ddp_spawn():
    # ddp_spawn pickles the model into its workers, DEC's init=tsne|umap grouping with it.
    group = manifold_grouping("tsne")
    again = pickle.loads(pickle.dumps(group))
    assert again.func is group.func and again.args == group.args


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
