"""What ``genclust train`` builds from its checked config before training: data, model, plan.

The checks here need the data (its shape, its classes, its size); everything else about the
config was checked before this module was imported. Nothing here creates a Trainer, a logger or
a file, so the config fuzz test runs exactly what train runs before training.
"""

from __future__ import annotations

from dataclasses import dataclass

from genclust.analysis.stage import AnalysisPlan, plan_analysis
from genclust.commands.code_groups import manifold_grouping
from genclust.config.commands import TrainConfig
from genclust.config.models import DECOptions
from genclust.data import ArrayDataModule, build_datamodule
from genclust.models import GenerativeModel, build_model


@dataclass(frozen=True)
class PreparedRun:
    datamodule: ArrayDataModule
    model: GenerativeModel
    plan: AnalysisPlan


def prepare_run(config: TrainConfig) -> PreparedRun:
    """Read the data, build the model for it and plan the analysis; UserError if impossible."""
    datamodule = build_datamodule(config.data, seed=config.seed)
    model = build_model(
        config.model,
        datamodule.input_shape,
        datamodule.value_range,
        datamodule.image_shape,
        datamodule.n_classes,
        group_codes=_dec_grouping(config),
    )
    plan = plan_analysis(
        config.cluster,
        config.embed,
        n_classes=datamodule.n_classes,
        n_samples=datamodule.n_samples,
        seed=config.seed,
    )
    return PreparedRun(datamodule, model, plan)


def _dec_grouping(config: TrainConfig):
    """How DEC's init=tsne|umap groups the codes; None for every other model and init."""
    model = config.model
    if isinstance(model, DECOptions) and model.init != "kmeans":
        return manifold_grouping(model.init)
    return None
