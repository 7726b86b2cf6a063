"""Generative models behind one contract: ``encode(x) → z`` (see base.GenerativeModel)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from genclust.errors import UserError
from genclust.models.autoencoder import Autoencoder
from genclust.models.base import GenerativeModel
from genclust.models.clustergan import ClusterGAN
from genclust.models.dec import DEC
from genclust.models.gan import GAN
from genclust.models.raw import Raw
from genclust.models.vade import VaDE
from genclust.models.vae import VAE
from genclust.validation import check_arguments

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
    model_cfg: Mapping[str, Any],
    input_shape,
    value_range: str,
    image_shape=None,
    n_classes: int | None = None,
) -> GenerativeModel:
    """The model named by ``model_cfg['name']``, its options checked against its signature.

    A cluster-aware model's ``n_clusters: null`` becomes the data's number of classes.
    """
    options = dict(model_cfg)
    name = options.pop("name")
    if name not in MODELS:
        raise UserError(f"unknown model {name!r}; choose one of {sorted(MODELS)}")
    model_class = MODELS[name]
    data_facts = {
        "input_shape": input_shape,
        "value_range": value_range,
        "image_shape": image_shape,
    }
    clashes = sorted(set(options) & set(data_facts))
    if clashes:
        raise UserError(f"model: {clashes} come from the data and cannot be set in the config")
    if model_class.assigns_clusters and options.get("n_clusters") is None:
        if n_classes is None:
            raise UserError(f"model={name} needs a number of clusters: set model.n_clusters")
        options["n_clusters"] = n_classes
    checked = check_arguments(model_class, {**options, **data_facts}, "model")
    try:
        return model_class(**checked)
    except (RuntimeError, MemoryError) as error:  # e.g. a latent_dim too large to allocate
        raise UserError(f"model: cannot build {name} with {options}: {error}") from None
