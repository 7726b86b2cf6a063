"""From the command line to a checked config: Hydra composes conf/, pydantic checks the result.

``load`` is what the command line runs before anything else; ``validate`` is what a command
runs on the config Hydra hands it (in a sweep, each member checks its own). Both end a bad
config in one UserError naming the key, and neither imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hydra import compose, initialize_config_module
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException
from pydantic import ValidationError

from genclust.config.base import Options
from genclust.config.commands import SCHEMAS, TrainConfig, check_train
from genclust.config.explain import explain_hydra_error, explain_validation_error
from genclust.config.resolvers import register_resolvers
from genclust.errors import UserError

CONFIG_MODULE = "genclust.conf"


def load(command: str, overrides: Sequence[str]) -> Options:
    """Compose ``conf/<command>.yaml`` with ``overrides`` and check it; UserError if bad."""
    return validate(command, compose_config(command, overrides))


def compose_config(command: str, overrides: Sequence[str]) -> DictConfig:
    """The composed config of ``command`` (without Hydra's own node), as Hydra would run it."""
    register_resolvers()
    try:
        with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
            return compose(config_name=command, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as error:
        raise explain_hydra_error(error) from None


def validate(command: str, cfg: DictConfig | Mapping[str, Any]) -> Options:
    """The typed config of ``command`` from a composed config; UserError if anything is wrong."""
    options = resolve(cfg)
    try:
        config = SCHEMAS[command].model_validate(options)
    except ValidationError as error:
        raise explain_validation_error(error, options) from None
    if isinstance(config, TrainConfig):
        check_train(config)
    return config


def resolve(cfg: DictConfig | Mapping[str, Any]) -> dict[str, Any]:
    """``cfg`` as plain Python, ``${...}`` resolved; a broken interpolation is a UserError.

    Hydra composes without resolving, so ``trainer.max_epochs=${nope}`` first fails here.
    """
    if not isinstance(cfg, DictConfig):
        cfg = OmegaConf.create(dict(cfg))
    try:
        options = OmegaConf.to_container(cfg, resolve=True)
    except OmegaConfBaseException as error:
        raise UserError(f"cannot resolve the config: {str(error).splitlines()[0]}") from None
    options.pop("hydra", None)
    return options
