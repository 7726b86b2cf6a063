"""A finished run directory, opened for another clustering, a prediction or a resume."""

from __future__ import annotations

import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from genclust.errors import UserError
from genclust.rundir.names import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    LATENTS_FILE,
    MODEL_CLUSTERS_KEY,
    PREVIOUS_CHECKPOINT_FILE,
)

log = logging.getLogger(__name__)

DATAMODULE_STATE = "ArrayDataModule"  # Lightning stores datamodule.state_dict() under its name


@dataclass(frozen=True)
class Codes:
    z: np.ndarray
    y: np.ndarray | None
    label_names: list[str] | None
    model_clusters: np.ndarray | None = None  # a cluster-aware model's own assignment


@dataclass(frozen=True)
class FinishedRun:
    path: Path
    config: dict[str, Any]  # the run's own composed config, as plain Python

    @classmethod
    def open(cls, path: str | Path) -> FinishedRun:
        """The run at ``path``; UserError unless it is a genclust training run."""
        path = Path(path).expanduser().resolve()
        config_path = path / CONFIG_FILE
        if not config_path.is_file():
            raise UserError(
                f"{path} is not a genclust run: it has no {CONFIG_FILE} "
                "(give the directory that `genclust train` printed as its run dir)"
            )
        config = OmegaConf.to_container(OmegaConf.load(config_path), resolve=True)
        if not isinstance(config, dict) or not {"model", "data"} <= set(config):
            raise UserError(f"{config_path} is not the config of a genclust training run")
        return cls(path, config)

    def codes(self) -> Codes:
        """The latent codes the run's analysis stage saved."""
        path = self.path / LATENTS_FILE
        if not path.is_file():
            raise UserError(
                f"{self.path} has no {LATENTS_FILE}: its analysis stage never finished "
                "(was it killed?); the run's checkpoint can be re-encoded with genclust cluster"
            )
        try:
            with np.load(path) as saved:
                names = saved["label_names"].tolist() if "label_names" in saved else None
                return Codes(
                    saved["z"],
                    saved["y"] if "y" in saved else None,
                    names,
                    saved[MODEL_CLUSTERS_KEY] if MODEL_CLUSTERS_KEY in saved else None,
                )
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
            raise UserError(f"{path} is damaged or not genclust's: {error}") from None

    def checkpoint(self) -> dict[str, Any]:
        """The run's last Lightning checkpoint, loaded on the CPU."""
        path = self.path / CHECKPOINT_FILE
        if not path.is_file():
            raise UserError(f"{self.path} has no checkpoint at {CHECKPOINT_FILE}")
        return _load_checkpoint(path)

    def resume_checkpoint(self) -> Path | None:
        """The checkpoint a resumed run goes on from: last.ckpt or, when that is damaged (or
        gone in a crash between two renames), previous.ckpt, which becomes last.ckpt again.
        None when the run has neither (killed before its first epoch ended); UserError when
        neither can be read."""
        last, previous = self.path / CHECKPOINT_FILE, self.path / PREVIOUS_CHECKPOINT_FILE
        if not last.is_file() and not previous.is_file():
            return None
        damage = f"{last} is missing"
        if last.is_file():
            try:
                _load_checkpoint(last)
                return last
            except UserError as error:
                if not previous.is_file():
                    raise
                damage = str(error)
        try:
            _load_checkpoint(previous)
        except UserError as error:
            raise UserError(f"{damage}; and {error}") from None
        log.warning("%s; resuming from %s, one epoch earlier", damage, previous)
        os.replace(previous, last)  # the damaged file goes; the good one is last.ckpt again
        return last


def _load_checkpoint(path: Path) -> dict[str, Any]:
    """A Lightning checkpoint of a genclust model, loaded on the CPU; UserError if damaged."""
    import torch  # only here: the rest of a run dir is read without it

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a foreign file can fail anywhere in torch's unpickler
        raise UserError(
            f"{path} is truncated or not a checkpoint ({type(error).__name__}); "
            "train the run again or restore the file"
        ) from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise UserError(f"{path} is not a Lightning checkpoint of a genclust model")
    return checkpoint
