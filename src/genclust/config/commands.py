"""One typed config per command: what ``genclust train | cluster | predict`` accept.

Each is checked once, before any work (``genclust.config.load``); later code reads attributes.
Checks between sections (a model and the clusterer it allows) are in ``check_train``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, field_validator

from genclust.config.analysis import AnyClustererOptions, EmbedOptions, LoggerOptions
from genclust.config.base import Options
from genclust.config.data import AnyDataOptions
from genclust.config.metrics import OBJECTIVES
from genclust.config.models import AnyModelOptions
from genclust.config.trainer import TrainerOptions
from genclust.config.types import PositiveInt, Seed
from genclust.errors import UserError
from genclust.rundir.names import CONFIG_FILE, METRICS_FILE


def _a_run(path: str) -> str:
    """A directory ``genclust train`` made: it holds the config Hydra saved."""
    if not (Path(path).expanduser() / CONFIG_FILE).is_file():
        raise UserError(
            f"run: {path} is not a genclust run: it has no {CONFIG_FILE} "
            "(give the directory that `genclust train` printed as its run dir)"
        )
    return path


def _an_unfinished_run(path: str) -> str:
    """A run that ``resume=`` can go on with: one that has not written its metrics yet."""
    if (Path(_a_run(path)).expanduser() / METRICS_FILE).is_file():
        raise UserError(f"resume: {path} has finished; cluster it again with genclust cluster")
    return path


RunDir = Annotated[str, AfterValidator(_a_run)]
UnfinishedRunDir = Annotated[str, AfterValidator(_an_unfinished_run)]


class TrainConfig(Options):
    """``genclust train`` (conf/train.yaml)."""

    model: AnyModelOptions
    data: AnyDataOptions
    trainer: TrainerOptions
    cluster: AnyClustererOptions
    embed: EmbedOptions
    logger: LoggerOptions
    seed: Seed
    resume: UnfinishedRunDir | None  # a run dir to go on with, in its own config
    objective: str | None  # the metric a sweeper optimises
    encode_batch_size: PositiveInt

    @field_validator("objective")
    @classmethod
    def _known_metric(cls, value: str | None) -> str | None:
        if value is not None and value not in OBJECTIVES:
            raise ValueError(f"must be null or one of {', '.join(OBJECTIVES)}")
        return value


class ClusterConfig(Options):
    """``genclust cluster`` (conf/cluster.yaml): cluster a finished run's codes again."""

    run: RunDir
    seed: Seed | None  # None: the run's own seed
    cluster: AnyClustererOptions
    embed: EmbedOptions
    logger: LoggerOptions


class PredictConfig(Options):
    """``genclust predict`` (conf/predict.yaml): clusters for new data from a finished run."""

    run: RunDir
    clustering: str | None  # a folder of <run>/cluster/; None: the run's own clustering
    neighbors: PositiveInt
    data: AnyDataOptions


SCHEMAS: dict[str, type[Options]] = {
    "train": TrainConfig,
    "cluster": ClusterConfig,
    "predict": PredictConfig,
}


def check_train(config: TrainConfig) -> None:
    """Raise UserError for sections that are each valid but do not go together."""
    model, trainer, cluster = config.model, config.trainer, config.cluster
    if cluster.name == "model":
        if not model.assigns_clusters:
            raise UserError(
                f"cluster=model: model={model.name} has no clusters of its own; "
                "use model=vade|dec|clustergan, or another cluster="
            )
        if cluster.manifold.method != "none":
            raise UserError(
                "cluster=model: the model assigns its own inputs; drop cluster/manifold"
            )
    pretrain_epochs = getattr(model, "pretrain_epochs", 0)
    if pretrain_epochs and trainer.max_epochs != -1 and trainer.max_epochs <= pretrain_epochs:
        raise UserError(
            f"model.pretrain_epochs={pretrain_epochs} leaves no epoch for clustering with "
            f"trainer.max_epochs={trainer.max_epochs}; train longer or pretrain less"
        )
    if model.steps_own_optimizers:
        if trainer.gradient_clip_val not in (None, 0):
            raise UserError(
                f"trainer.gradient_clip_val: model={model.name} updates its own optimizers, "
                "so Lightning cannot clip its gradients; leave it null"
            )
        if trainer.accumulate_grad_batches != 1:
            raise UserError(
                f"trainer.accumulate_grad_batches: model={model.name} updates its own "
                "optimizers, so Lightning cannot accumulate its gradients; leave it at 1"
            )
