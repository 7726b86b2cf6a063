"""Everything ``genclust train`` checks before training, in one place and without side effects.

The train command and the config fuzz test (tests/test_config_fuzz.py) share these checks, so
the fuzz proves what the command does: a bad config ends in one UserError, never a traceback.
Nothing here creates a Trainer, a logger or a file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import pytorch_lightning as pl
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from genclust.analysis.stage import AnalysisPlan, plan_analysis
from genclust.config.metrics import (
    ACC,
    ARI,
    N_CLUSTERS,
    NMI,
    NOISE_FRACTION,
    SILHOUETTE,
)
from genclust.data import ArrayDataModule, build_datamodule
from genclust.errors import UserError
from genclust.models import GenerativeModel, build_model
from genclust.validation import check_arguments

LOGGERS = ("tensorboard", "none")
OBJECTIVES = (ACC, NMI, ARI, SILHOUETTE, N_CLUSTERS, NOISE_FRACTION)
_MAX_SEED = 2**32 - 1  # numpy's and Lightning's seeds are unsigned 32-bit
SECTIONS = ("model", "data", "trainer", "cluster", "embed", "logger")


@dataclass(frozen=True)
class CheckedRun:
    """What the checks built, so the train command need not build it twice."""

    datamodule: ArrayDataModule
    model: GenerativeModel
    plan: AnalysisPlan


def spell_group_choices(overrides: Sequence[str]) -> list[str]:
    """``cluster.manifold=umap`` written the way other keys are: Hydra needs a nested config
    group chosen as ``cluster/manifold=umap`` and fails on the dotted form with a traceback,
    so the dotted form of a group is rewritten to Hydra's."""
    groups = _config_groups()
    spelled = []
    for text in overrides:
        key, equals, value = text.partition("=")
        group = key.replace(".", "/")
        spelled.append(f"{group}={value}" if equals and "." in key and group in groups else text)
    return spelled


def check_overrides(overrides: Sequence[str]) -> None:
    """Refuse a config group set to a non-name (``model=null``, ``model=1``): Hydra's defaults
    list fails on those with a ValueError and a traceback. Call before Hydra composes."""
    parser = OverridesParser.create()
    groups = _config_groups()
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
        except HydraException:
            continue  # Hydra reports a syntax error itself, in one clear message
        group = override.key_or_group
        if group not in groups or override.is_delete() or override.is_sweep_override():
            continue
        if not isinstance(override.value(), str | list):
            options = ", ".join(groups[group])
            raise UserError(f"{text}: {group} takes the name of an option: one of {options}")


def resolve_config(cfg: DictConfig) -> dict[str, Any]:
    """The composed config as plain Python; a broken ``${...}`` becomes a UserError.

    Hydra composes without resolving, so an override such as ``trainer.max_epochs=${nope}``
    first fails here.
    """
    try:
        options = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as error:
        raise UserError(f"cannot resolve the config: {str(error).splitlines()[0]}") from None
    assert isinstance(options, dict)
    return options


def check_train_config(options: Mapping[str, Any]) -> CheckedRun:
    """Raise UserError for anything wrong with a resolved train config; return what it built.

    Reads the data (it decides the model's input shape and the clusterer's defaults), so
    ``data`` must be readable; creates no Trainer, logger or file.
    """
    _check_known_keys(options)
    sections = {name: _section(options, name) for name in SECTIONS}
    seed = options.get("seed")
    _check_integer("seed", seed, low=0, high=_MAX_SEED)
    _check_integer("encode_batch_size", options.get("encode_batch_size"), low=1)
    objective = options.get("objective")
    if objective is not None and objective not in OBJECTIVES:
        raise UserError(
            f"objective must be null or one of {', '.join(OBJECTIVES)} (got {objective!r})"
        )
    check_logger(sections["logger"].get("name"))
    trainer = check_arguments(pl.Trainer, sections["trainer"], "trainer")
    _check_deferred_trainer_options(trainer)
    datamodule = build_datamodule(sections["data"], seed=seed)
    model = build_model(
        sections["model"],
        datamodule.input_shape,
        datamodule.value_range,
        datamodule.image_shape,
        datamodule.n_classes,
    )
    _check_manual_optimization(model, trainer)
    _check_pretraining_ends(model, trainer)
    plan = plan_analysis(
        sections["cluster"],
        sections["embed"],
        n_classes=datamodule.n_classes,
        n_samples=datamodule.n_samples,
        seed=seed,
    )
    if plan.uses_model_clusters and not model.assigns_clusters:
        raise UserError(
            f"cluster=model: model={sections['model']['name']} has no clusters of its own; "
            "use model=vade|dec|clustergan, or another cluster="
        )
    return CheckedRun(datamodule, model, plan)


def check_logger(name: Any) -> None:
    """Raise UserError unless ``name`` is a logger genclust can build."""
    if name not in LOGGERS:
        raise UserError(f"logger.name must be one of {', '.join(LOGGERS)} (got {name!r})")


def _check_integer(key: str, value: Any, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise UserError(f"{key} must be an integer >= {low} (got {value!r})")
    if high is not None and value > high:
        raise UserError(f"{key} must be at most {high} (got {value!r})")


@cache
def _config_groups() -> dict[str, list[str]]:
    """Each config group of conf/ (``cluster/manifold`` included) → its option names."""
    groups: dict[str, list[str]] = {}
    pending = [(files("genclust.conf"), "")]
    while pending:
        folder, prefix = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.name.startswith("_"):
                pending.append((entry, f"{prefix}{entry.name}/"))
            elif prefix and entry.name.endswith(".yaml"):
                groups.setdefault(prefix.rstrip("/"), []).append(entry.name.removesuffix(".yaml"))
    return {group: sorted(options) for group, options in groups.items()}


@cache
def _known_keys() -> frozenset[str]:
    """Top-level keys of conf/train.yaml: its own keys and its config groups."""
    train = OmegaConf.load(files("genclust.conf").joinpath("train.yaml"))
    groups = {
        next(iter(entry)).removeprefix("optional ").removeprefix("override ")
        for entry in train.get("defaults", [])
        if not isinstance(entry, str)
    }
    return frozenset(set(train) - {"defaults"} | groups)


def _check_known_keys(options: Mapping[str, Any]) -> None:
    unknown = sorted(set(options) - _known_keys())
    if unknown:
        raise UserError(
            f"unknown top-level option {', '.join(map(repr, unknown))} "
            f"(valid: {', '.join(sorted(_known_keys()))})"
        )


def _section(options: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    section = options.get(name)
    if not isinstance(section, Mapping):
        raise UserError(f"the config's {name} section is {section!r}; choose one with {name}=...")
    return section


def _check_deferred_trainer_options(trainer: Mapping[str, Any]) -> None:
    """Options Lightning accepts at construction but fails on mid-training, with a traceback."""
    steps = trainer.get("log_every_n_steps")
    if steps is not None and steps < 1:
        raise UserError(f"trainer.log_every_n_steps must be at least 1 (got {steps})")
    clip = trainer.get("gradient_clip_val")
    if clip is not None and not (math.isfinite(clip) and clip >= 0):
        raise UserError(f"trainer.gradient_clip_val must be null or a number >= 0 (got {clip})")


def _check_pretraining_ends(model: GenerativeModel, trainer: Mapping[str, Any]) -> None:
    """A cluster-aware model must leave its pretraining phase, or its clusters are never set."""
    pretrain_epochs = getattr(model, "pretrain_epochs", 0)
    max_epochs = trainer.get("max_epochs")
    if pretrain_epochs and max_epochs is not None and max_epochs != -1:
        if max_epochs <= pretrain_epochs:
            raise UserError(
                f"model.pretrain_epochs={pretrain_epochs} leaves no epoch for clustering with "
                f"trainer.max_epochs={max_epochs}; train longer or pretrain less"
            )


def _check_manual_optimization(model: GenerativeModel, trainer: Mapping[str, Any]) -> None:
    """A model that steps its own optimizers (the GAN) cannot have Lightning clip or accumulate."""
    if model.automatic_optimization:
        return
    if trainer.get("gradient_clip_val") not in (None, 0):
        raise UserError(
            f"trainer.gradient_clip_val: {type(model).__name__} updates its own optimizers, "
            "so Lightning cannot clip its gradients; leave it null"
        )
    if trainer.get("accumulate_grad_batches", 1) != 1:
        raise UserError(
            f"trainer.accumulate_grad_batches: {type(model).__name__} updates its own "
            "optimizers, so Lightning cannot accumulate its gradients; leave it at 1"
        )
