"""The real CLI: a whole run, its files, its TensorBoard events, its errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata
from tests.conftest import run_genclust

from genclust.analysis.gallery import MEMBERS_TAG
from genclust.analysis.label_free import label_free_scores
from genclust.analysis.stage import EMBEDDING_TAG
from genclust.commands.image_grids import RECONSTRUCTION_GRID, SAMPLE_GRID
from genclust.config.metrics import KNN_MODULARITY, LABEL_FREE_METRICS, LABEL_METRICS
from genclust.models.base import EPOCH_SUFFIX, STEP_SUFFIX
from genclust.models.vae import ELBO, KL, LOSS, RECONSTRUCTION
from genclust.rundir.names import LATENTS_FILE, METRICS_FILE


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> tuple[Path, str]:
    """One real default run (VAE on digits, k-means, t-SNE), two epochs."""
    root = tmp_path_factory.mktemp("digits")
    run_dir = root / "run"
    result = run_genclust("train", "trainer.max_epochs=2", f"hydra.run.dir={run_dir}", cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir, result.stdout


def test_run_dir_holds_every_artifact(digits_run):
    run_dir, _ = digits_run
    for name in (
        METRICS_FILE,
        LATENTS_FILE,
        "embedding.png",
        "clusters.png",
        "checkpoints/last.ckpt",
        ".hydra/config.yaml",
        "train.log",
        "projector_config.pbtxt",
        "projector/tensors.tsv",
        "projector/metadata.tsv",
        "projector/sprite.png",
    ):
        assert (run_dir / name).is_file(), name
    # Event files straight in the run dir: TensorBoard names the run by its dir.
    assert list(run_dir.glob("events.out.tfevents.*"))


def test_metrics_and_latents_agree(digits_run):
    run_dir, stdout = digits_run
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    latents = np.load(run_dir / LATENTS_FILE)
    assert latents["z"].shape == (1797, 10)
    assert latents["cluster"].shape == latents["y"].shape == (1797,)
    assert metrics["n_samples"] == 1797
    assert metrics["n_clusters"] == 10  # defaults to the data's number of classes
    for name in LABEL_METRICS:
        assert 0 < metrics[name] <= 1
    assert metrics["acc"] > 0.5  # two epochs already beat chance (0.1) by far
    # Measured on the data as read, whatever the model: the same numbers from the saved clusters.
    assert {name: metrics[name] for name in LABEL_FREE_METRICS} == pytest.approx(
        label_free_scores(load_digits().data, latents["cluster"], seed=0)
    )
    assert 0.3 < metrics[KNN_MODULARITY] < 1
    assert {"train", "encode", "cluster", "embed"} <= set(metrics["seconds"])
    assert {LOSS, RECONSTRUCTION, KL, ELBO} <= set(metrics["train"])
    assert re.search(rf"^acc +{metrics['acc']:.4f}$", stdout, re.MULTILINE)  # the printed table


def test_tensorboard_events_hold_losses_images_metrics_and_hparams(digits_run):
    run_dir, _ = digits_run
    events = EventAccumulator(str(run_dir), size_guidance={"images": 0})
    events.Reload()
    tags = events.Tags()
    for loss in (LOSS, RECONSTRUCTION, KL, ELBO):
        assert loss + STEP_SUFFIX in tags["scalars"] and loss + EPOCH_SUFFIX in tags["scalars"]
    scores = (*LABEL_METRICS, *LABEL_FREE_METRICS)
    assert {f"cluster/{name}" for name in scores} <= set(tags["scalars"])
    assert {RECONSTRUCTION_GRID, SAMPLE_GRID, EMBEDDING_TAG, MEMBERS_TAG} <= set(tags["images"])
    assert len(events.Images(RECONSTRUCTION_GRID)) == 2  # one grid per epoch
    # The run's HPARAMS session: every setting; no experiment summary of its own, so that
    # TensorBoard infers the columns over all runs it shows (analysis/hparams.py).
    hparams = events.PluginTagToContent("hparams")
    assert "_hparams_/experiment" not in hparams
    start = metadata.parse_session_start_info_plugin_data(hparams["_hparams_/session_start_info"])
    assert start.hparams["model.latent_dim"].string_value == "10"
    assert start.hparams["model.name"].string_value == "vae"
    assert "_hparams_/session_end_info" in hparams


def test_same_second_runs_get_their_own_dirs(tmp_path):
    import subprocess
    import sys

    command = [
        sys.executable,
        "-m",
        "genclust",
        "train",
        "trainer.max_epochs=1",
        "embed=none",
        "logger=none",
        "data=blobs",
        "data.n_samples=200",
    ]
    processes = [
        subprocess.Popen(
            command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    metrics_files = list((tmp_path / "outputs").glob("*/*/metrics.json"))
    assert len(metrics_files) == 2


@pytest.mark.slow  # each model's training is covered by test_models; this adds the CLI path
@pytest.mark.parametrize("model", ["ae", "gan"])
def test_other_models_run_end_to_end(genclust, tmp_path, model):
    result = genclust(
        "train",
        f"model={model}",
        "cluster=gmm",
        "logger=none",
        "trainer.max_epochs=1",
        "embed=pca",
        f"hydra.run.dir={tmp_path / 'run'}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((tmp_path / "run" / METRICS_FILE).read_text())
    assert metrics["n_clusters"] == 10


def test_help_lists_commands():
    result = run_genclust("--help", cwd=Path.cwd())
    assert result.returncode == 0 and "train" in result.stdout
