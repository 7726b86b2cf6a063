"""Every option of every config group in the shipped conf/ composes, passes its schema and
builds; the schemas offer exactly what the code they configure accepts."""

from __future__ import annotations

import inspect
import typing
from importlib.resources import files
from pathlib import Path

import pytest
import pytorch_lightning as pl
from lightning_fabric.connector import _PRECISION_INPUT
from tests.conftest import compose_train, options, train_config

from genclust.analysis.embedding import check_embed_options
from genclust.analysis.stage import build_code_clusterer
from genclust.commands.prepare import prepare_run
from genclust.commands.training import build_logger, build_trainer
from genclust.config.overrides import spell_group_choices
from genclust.config.resolvers import start_new_run
from genclust.config.trainer import Precision, TrainerOptions
from genclust.data.mnist import DEBIAN_FASHION_MNIST
from genclust.models import build_model

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
    if group == "experiment":  # a whole recipe: everything train checks before training
        config = train_config(f"experiment={option}")
        if config.data.name == "fashion_mnist" and not DEBIAN_FASHION_MNIST.is_dir():
            pytest.skip("dataset-fashion-mnist not installed")
        prepare_run(config)
        return
    section = options(group, option)
    if group == "model":
        build_model(section, (1, 8, 8), "unit", (1, 8, 8), n_classes=3)
    elif group == "trainer" and section.accelerator == "cpu":
        assert isinstance(build_trainer(section, tmp_path, None), pl.Trainer)
    elif group == "cluster":
        build_code_clusterer(section, n_classes=3, n_samples=100, seed=0)
    elif group == "embed":
        check_embed_options(section.method, section.max_points, section.params)
    elif group == "logger":
        build_logger(section, tmp_path)


def test_trainer_options_are_lightning_trainer_arguments():
    arguments = inspect.signature(pl.Trainer).parameters
    assert set(TrainerOptions.model_fields) <= set(arguments)
    precisions = {str(value) for value in _flat_literals(_PRECISION_INPUT)}
    assert {str(value) for value in typing.get_args(Precision)} <= precisions


def _flat_literals(annotation) -> list:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return list(args)
    return [value for arg in args for value in _flat_literals(arg)]


def test_run_dirs_are_unique_per_command_and_under_outputs():
    first = compose_train(with_hydra=True).hydra.run.dir
    assert first.startswith("outputs/")
    start_new_run()
    assert compose_train(with_hydra=True).hydra.run.dir != first  # same second, new id


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
