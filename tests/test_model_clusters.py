"""cluster=model end to end: a cluster-aware model's own assignment through train, cluster and
predict, and the configs that cannot work refused before training."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from tests.conftest import run_genclust

from genclust.config.load import load
from genclust.config.overrides import prepare_overrides
from genclust.errors import UserError
from genclust.rundir.names import (
    CHECKPOINT_FILE,
    CLUSTER_DIR,
    LATENTS_FILE,
    METRICS_FILE,
    PREDICT_DIR,
)

QUICK = ("embed=none", "logger=none", "model.hidden_dims=[16]", "model.latent_dim=2")


@pytest.fixture(scope="module")
def dec_run(tmp_path_factory):
    """model=dec, cluster=model on a small labelled CSV of three blobs."""
    root = tmp_path_factory.mktemp("model_clusters")
    x, y = make_blobs(n_samples=300, n_features=5, centers=3, random_state=0)
    csv = root / "train.csv"
    header = ",".join(f"f{i}" for i in range(5)) + ",kind"
    np.savetxt(csv, np.c_[x, y], delimiter=",", header=header, comments="", fmt="%.5f")
    data = ("data=csv", f"data.path={csv}", "data.label_column=kind")
    result = run_genclust(
        "train",
        "model=dec",
        "model.pretrain_epochs=3",
        "trainer.max_epochs=6",
        "data.batch_size=32",
        "cluster=model",
        f"hydra.run.dir={root / 'run'}",
        *data,
        *QUICK,
        cwd=root,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return root, root / "run", data


def test_train_scores_the_models_own_clusters(dec_run):
    _, run_dir, _ = dec_run
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert metrics["clustered"] == "the model's own assignment"
    assert metrics["acc"] > 0.8  # three well-separated blobs, chance is 1/3
    with np.load(run_dir / LATENTS_FILE) as saved:
        np.testing.assert_array_equal(saved["cluster"], saved["model_cluster"])


def test_reanalysis_with_the_model_or_another_clusterer(dec_run):
    root, run_dir, _ = dec_run
    for clusterer in ("model", "kmeans"):
        result = run_genclust(
            "cluster", f"run={run_dir}", f"cluster={clusterer}", "cluster/manifold=none",
            "embed=none", "logger=none", f"hydra.run.dir={run_dir / CLUSTER_DIR / clusterer}",
            cwd=root,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
    model_dir, kmeans_dir = run_dir / CLUSTER_DIR / "model", run_dir / CLUSTER_DIR / "kmeans"
    with np.load(run_dir / LATENTS_FILE) as trained, np.load(model_dir / LATENTS_FILE) as again:
        np.testing.assert_array_equal(trained["cluster"], again["cluster"])
    metrics = json.loads((kmeans_dir / METRICS_FILE).read_text())
    assert metrics["clustered"] == "latent codes" and metrics["acc"] > 0.8


def test_predict_asks_the_model(dec_run):
    root, run_dir, data = dec_run
    result = run_genclust("predict", f"run={run_dir}", *data, cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    (out_dir,) = (run_dir / PREDICT_DIR).iterdir()
    summary = json.loads((out_dir / METRICS_FILE).read_text())
    assert summary["assigned_by"] == "the model's own assignment"
    with np.load(run_dir / LATENTS_FILE) as trained:  # the same samples: the same clusters
        np.testing.assert_array_equal(np.load(out_dir / "predictions.npy"), trained["cluster"])


@pytest.mark.parametrize(
    ("model", "stop"),
    [("dec", "trainer.max_steps=12"), ("vade", "trainer.max_time=00:00:00:02")],
)
def test_a_run_stopped_inside_pretraining_keeps_its_clusters_in_the_checkpoint(
    tmp_path, model, stop
):
    data = ("data=blobs", "data.n_samples=300", "data.centers=3")
    run_dir = tmp_path / "run"
    result = run_genclust(
        "train", f"model={model}", "model.pretrain_epochs=1000", "trainer.max_epochs=1001", stop,
        "cluster=model", *data, *QUICK, f"hydra.run.dir={run_dir}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    metrics = json.loads((run_dir / METRICS_FILE).read_text())
    assert metrics["epochs"] < 1000  # it did stop inside pretraining

    checkpoint = torch.load(run_dir / CHECKPOINT_FILE, weights_only=True)
    assert checkpoint["state_dict"]["clusters_initialised"]
    # predict loads the checkpoint: it must assign as the run did, not all to cluster 0.
    result = run_genclust("predict", f"run={run_dir}", *data, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    (out_dir,) = (run_dir / PREDICT_DIR).iterdir()
    predictions = np.load(out_dir / "predictions.npy")
    with np.load(run_dir / LATENTS_FILE) as trained:
        np.testing.assert_array_equal(predictions, trained["model_cluster"])
    assert len(np.unique(predictions)) > 1


def test_cluster_model_without_a_cluster_aware_model_is_refused_before_training(genclust):
    result = genclust("train", "model=vae", "cluster=model", "logger=none")
    assert result.returncode == 2
    assert "model=vae has no clusters of its own" in result.stderr
    assert "Epoch" not in result.stderr  # refused before training


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("model=dec", "model.pretrain_epochs=5", "trainer.max_epochs=3"), "leaves no epoch"),
        (("model=dec", "cluster=model", "cluster.manifold=umap"), "drop cluster/manifold"),
    ],
)
def test_configs_that_cannot_work_fail_the_checks_train_makes(overrides, message):
    with pytest.raises(UserError, match=message):
        load("train", prepare_overrides("train", overrides))
