"""Relative data paths are saved absolute, so a finished run is read again from any directory."""

from __future__ import annotations

import numpy as np
from omegaconf import OmegaConf
from tests.conftest import run_genclust

from genclust.config.overrides import prepare_overrides
from genclust.rundir.names import CLUSTER_DIR, CONFIG_FILE, LATENTS_FILE


def test_relative_data_paths_become_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    typed = [
        "data=npy",
        "data.path=x.npy",
        "+data.labels_path=../labels/y.npy",
        "data.path=a.npy,'b c.npy',/srv/d.npy",  # a sweep: each value
        "data.path=/it's/x.npy",  # not Hydra's syntax: Hydra's own message will say so
        "data.path=null",
        "data.path=${oc.env:HOME}/x.npy",
        "~data.root",
        "model.latent_dim=3",
    ]
    assert prepare_overrides("train", typed) == [
        "data=npy",
        f"data.path='{tmp_path}/x.npy'",
        f"+data.labels_path='{tmp_path}/../labels/y.npy'",
        f"data.path='{tmp_path}/a.npy','{tmp_path}/b c.npy','/srv/d.npy'",
        *typed[4:],
    ]
    assert prepare_overrides("train", ["data.path=it's.npy"]) == ["data.path=it's.npy"]
    (quoted,) = prepare_overrides("train", ["data.path='it\\'s.npy'"])
    assert quoted == f"data.path='{tmp_path}/it\\'s.npy'"


def test_a_run_is_encoded_again_from_another_directory(tmp_path):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    rng = np.random.default_rng(0)
    np.save(project / "x.npy", rng.normal(0, 1, (90, 5)) + np.repeat(np.eye(5)[:3] * 6, 30, 0))
    np.save(project / "y.npy", np.repeat([0.0, 1.0, 2.0], 30))
    run = tmp_path / "run"
    trained = run_genclust(
        "train",
        "data=npy",
        "data.path=x.npy",
        "data.labels_path=y.npy",
        "data.mmap=true",  # the re-encoding reads the file through a memory map too
        "model=ae",
        "trainer.max_epochs=2",
        "cluster/manifold=none",
        "embed=none",
        "logger=none",
        f"hydra.run.dir={run}",
        cwd=project,
    )
    assert trained.returncode == 0, trained.stderr
    saved = OmegaConf.load(run / CONFIG_FILE).data
    assert (saved.path, saved.labels_path) == (str(project / "x.npy"), str(project / "y.npy"))
    codes = np.load(run / LATENTS_FILE)["z"]
    (run / LATENTS_FILE).unlink()  # as if the run had died in its analysis: encode again

    again = run_genclust(
        "cluster", f"run={run}", "cluster/manifold=none", "embed=none", "logger=none", cwd=elsewhere
    )
    assert again.returncode == 0, again.stderr
    (analysis,) = (run / CLUSTER_DIR).iterdir()
    np.testing.assert_array_equal(np.load(analysis / LATENTS_FILE)["z"], codes)
