"""Generative models behind one contract: ``encode(x) → z`` (see base.GenerativeModel).

Each model is built as ``Model(options, data)``: its typed options (genclust.config.models)
and the facts of its data (base.DataFacts). A checkpoint's hyperparameters hold both, as plain
values, so ``load_trained_model`` rebuilds the model a checkpoint was written by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from genclust.config.models import AnyModelOptions, ModelOptions
from genclust.errors import UserError
from genclust.models.autoencoder import Autoencoder
from genclust.models.base import DATA, OPTIONS, DataFacts, GenerativeModel
from genclust.models.clustergan import ClusterGAN
from genclust.models.dec import DEC, GroupCodes
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
    group_codes: GroupCodes | None = None,
) -> GenerativeModel:
    """The model ``options`` describe, shaped for the data (which the user does not repeat).

    A cluster-aware model's ``n_clusters: null`` becomes the data's number of classes.
    ``group_codes``: how DEC's ``init=tsne|umap`` groups the codes (see models/dec.py).
    """
    data = DataFacts(input_shape, value_range, image_shape, n_classes)
    extra = {"group_codes": group_codes} if group_codes is not None else {}
    try:
        return MODELS[options.name](options, data, **extra)
    except (RuntimeError, MemoryError) as error:  # e.g. a latent_dim too large to allocate
        raise UserError(f"model: cannot build {options.name}: {error}") from None


def load_trained_model(name: str, checkpoint: Mapping[str, Any], source: Path) -> GenerativeModel:
    """Model ``name`` rebuilt from the options, data facts and weights a checkpoint carries.

    ``source`` is the checkpoint's path, for messages.
    """
    hyperparameters = checkpoint.get("hyper_parameters")
    if name not in MODELS or not isinstance(hyperparameters, dict):
        raise UserError(f"{source} was not written by a genclust model")
    try:
        options = TypeAdapter(AnyModelOptions).validate_python(hyperparameters[OPTIONS])
        data = DataFacts(**hyperparameters[DATA])
    except (KeyError, TypeError, ValidationError) as error:
        raise UserError(
            f"{source} was not written by this version's model={name}: {error}"
        ) from None
    if options.name != name:
        raise UserError(f"{source} holds a model={options.name}, not model={name}")
    model = MODELS[name](options, data)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise UserError(f"{source} does not fit its model: {error}") from None
    return model.eval()
