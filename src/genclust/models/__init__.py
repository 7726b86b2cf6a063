"""Generative models behind one contract: ``encode(x) → z`` (see base.GenerativeModel)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from genclust.config.models import ModelOptions
from genclust.errors import UserError
from genclust.models.autoencoder import Autoencoder
from genclust.models.base import GenerativeModel
from genclust.models.clustergan import ClusterGAN
from genclust.models.dec import DEC
from genclust.models.gan import GAN
from genclust.models.raw import Raw
from genclust.models.vade import VaDE
from genclust.models.vae import VAE

MODELS: dict[str, type[GenerativeModel]] = {
    "raw": Raw,
    "ae": Autoencoder,
    "vae": VAE,
    "vade": VaDE,
    "gan": GAN,
    "dec": DEC,
    "clustergan": ClusterGAN,
}


def build_model(
    options: ModelOptions,
    input_shape: Sequence[int],
    value_range: str,
    image_shape: Sequence[int] | None = None,
    n_classes: int | None = None,
) -> GenerativeModel:
    """The model ``options`` describe, shaped for the data (which the user does not repeat).

    A cluster-aware model's ``n_clusters: null`` becomes the data's number of classes.
    """
    arguments = options.model_dump(exclude={"name"})
    if options.assigns_clusters and arguments["n_clusters"] is None:
        if n_classes is None:
            raise UserError(
                f"model={options.name} needs a number of clusters: set model.n_clusters"
            )
        arguments["n_clusters"] = n_classes
    data_facts = {
        "input_shape": input_shape,
        "value_range": value_range,
        "image_shape": image_shape,
    }
    try:
        return MODELS[options.name](**arguments, **data_facts)
    except (RuntimeError, MemoryError) as error:  # e.g. a latent_dim too large to allocate
        raise UserError(f"model: cannot build {options.name}: {error}") from None


def load_trained_model(name: str, checkpoint: Mapping[str, Any], source: Path) -> GenerativeModel:
    """Model ``name`` rebuilt from the hyperparameters and weights a checkpoint carries.

    ``source`` is the checkpoint's path, for messages.
    """
    model_class = MODELS.get(name)
    hyperparameters = checkpoint.get("hyper_parameters")
    if model_class is None or not isinstance(hyperparameters, dict):
        raise UserError(f"{source} was not written by a genclust model")
    try:
        model = model_class(**hyperparameters)
    except (TypeError, ValueError) as error:
        raise UserError(f"{source} was not written by a genclust model: {error}") from None
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise UserError(f"{source} does not fit its model: {error}") from None
    return model.eval()
