"""Every option of every config group in the shipped conf/ composes and builds."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
import pytorch_lightning as pl
from tests.conftest import compose_train

from genclust.analysis.clustering import build_clusterer
from genclust.analysis.embedding import check_embed_options
from genclust.data import DATAMODULE_KEYS
from genclust.data.mnist import DEBIAN_FASHION_MNIST
from genclust.data.readers import SOURCES
from genclust.models import build_model
from genclust.preflight import check_train_config, spell_group_choices
from genclust.run_dir import RUN_ID
from genclust.train import build_logger, build_trainer
from genclust.validation import check_arguments

CONF = files("genclust.conf")
GROUPS = ("model", "data", "trainer", "cluster", "embed", "logger", "experiment")


def _options(group: str) -> list[str]:
    return sorted(
        p.name.removesuffix(".yaml")
        for p in CONF.joinpath(group).iterdir()
        if p.name.endswith(".yaml")
    )


def test_defaults_are_the_documented_ones():
    cfg = compose_train()
    assert cfg["model"]["name"] == "vae" and cfg["data"]["name"] == "digits"
    assert cfg["cluster"]["name"] == "kmeans" and cfg["embed"]["method"] == "tsne"
    assert cfg["trainer"]["accelerator"] == "cpu" and cfg["logger"]["name"] == "tensorboard"


@pytest.mark.parametrize(("group", "option"), [(g, o) for g in GROUPS for o in _options(g)])
def test_every_group_option_composes_and_builds(group, option, tmp_path):
    composed = compose_train(f"{group}={option}")
    if group == "experiment":  # a whole recipe: everything train checks before training
        if composed["data"]["name"] == "fashion_mnist" and not DEBIAN_FASHION_MNIST.is_dir():
            pytest.skip("dataset-fashion-mnist not installed")
        check_train_config(composed)
        return
    cfg = composed[group]
    if group == "model":
        build_model(cfg, (1, 8, 8), "unit", (1, 8, 8), n_classes=3)
    elif group == "data":
        reader_options = {k: v for k, v in cfg.items() if k not in DATAMODULE_KEYS}
        check_arguments(SOURCES[cfg["name"]], reader_options, "data")
    elif group == "trainer":
        check_arguments(pl.Trainer, cfg, "trainer")
        if cfg["accelerator"] == "cpu":
            assert isinstance(build_trainer(cfg, tmp_path, None), pl.Trainer)
    elif group == "cluster":
        build_clusterer(
            cfg["name"], cfg.get("params") or {}, cfg.get("n_clusters") or 3, seed=0, n_samples=100
        )
    elif group == "embed":
        check_embed_options(cfg["method"], cfg.get("max_points"), cfg.get("params") or {})
    elif group == "logger":
        build_logger(cfg["name"], tmp_path)


def test_run_dirs_are_unique_per_process_and_under_outputs():
    run_dir = compose_train(with_hydra=True).hydra.run.dir
    assert run_dir.startswith("outputs/")
    assert run_dir.endswith(f"_{RUN_ID}")  # same-second runs differ by their process's id


def test_every_config_line_is_commented():
    for path in Path(str(CONF)).rglob("*.yaml"):
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith(("defaults:", "  - _self_")):
                assert "#" in line, f"{path}: uncommented line {line!r}"


def test_a_nested_group_can_be_chosen_with_a_dot_too():
    spelled = spell_group_choices(
        ["cluster.manifold=umap", "cluster.manifold.n_components=5", "model.latent_dim=3"]
    )
    assert spelled == ["cluster/manifold=umap", "cluster.manifold.n_components=5", spelled[2]]
    cfg = compose_train(*spelled)
    assert cfg["cluster"]["manifold"]["method"] == "umap"
    assert cfg["cluster"]["manifold"]["n_components"] == 5
