"""The ``model`` section: one schema per model, chosen by ``model.name`` (conf/model/<name>.yaml).

The shipped YAML files hold every option's default; these classes say what each option may be.
Flags on a class tell the rest of the config what the model implies (its own clusters, its own
optimizer steps), so cross-section checks need no model code.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from genclust.config.base import Options
from genclust.config.types import (
    NonNegativeInt,
    NonNegativeNumber,
    PositiveInt,
    PositiveNumber,
)

Architecture = Literal["auto", "mlp", "conv"]
Likelihood = Literal["auto", "bernoulli", "gaussian"]


class ModelOptions(Options):
    name: str
    # The model forms clusters of its own (cluster=model scores them).
    assigns_clusters: ClassVar[bool] = False
    # The model steps its own optimizers, so Lightning cannot clip or accumulate its gradients.
    steps_own_optimizers: ClassVar[bool] = False


class RawOptions(ModelOptions):
    """No model: the code of a sample is the sample itself."""

    name: Literal["raw"]


class NetworkOptions(ModelOptions):
    """What every trained encoder–decoder model has."""

    latent_dim: PositiveInt
    hidden_dims: tuple[PositiveInt, ...]
    architecture: Architecture
    lr: PositiveNumber


class ReconstructingOptions(NetworkOptions):
    """Models trained to reconstruct their input under a likelihood."""

    likelihood: Likelihood


class AutoencoderOptions(ReconstructingOptions):
    name: Literal["ae"]


class VAEOptions(ReconstructingOptions):
    name: Literal["vae"]
    beta: NonNegativeNumber


class GANOptions(NetworkOptions):
    name: Literal["gan"]
    encoder_weight: NonNegativeNumber
    steps_own_optimizers: ClassVar[bool] = True


class ClusterModelOptions(NetworkOptions):
    """Models with clusters of their own; ``n_clusters: null`` = the data's number of classes."""

    n_clusters: PositiveInt | None
    assigns_clusters: ClassVar[bool] = True


class PretrainedClusterOptions(ClusterModelOptions, ReconstructingOptions):
    """Cluster models that first train as an autoencoder, then set their clusters from its codes."""

    pretrain_epochs: NonNegativeInt


class VaDEOptions(PretrainedClusterOptions):
    name: Literal["vade"]


class DECOptions(PretrainedClusterOptions):
    name: Literal["dec"]
    init: Literal["kmeans", "tsne", "umap"]
    augment: NonNegativeInt
    alpha: PositiveNumber
    cluster_weight: PositiveNumber
    reconstruction_weight: NonNegativeNumber


class ClusterGANOptions(ClusterModelOptions):
    name: Literal["clustergan"]
    sigma: PositiveNumber
    noise_weight: NonNegativeNumber
    cluster_weight: NonNegativeNumber
    critic_steps: PositiveInt
    penalty_weight: NonNegativeNumber
    steps_own_optimizers: ClassVar[bool] = True


AnyModelOptions = Annotated[
    RawOptions
    | AutoencoderOptions
    | VAEOptions
    | GANOptions
    | VaDEOptions
    | DECOptions
    | ClusterGANOptions,
    Field(discriminator="name"),
]
