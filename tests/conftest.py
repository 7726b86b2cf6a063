"""Shared test helpers: run the real CLI in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import pytorch_lightning as pl
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from genclust.run_dir import register_resolvers


def fit_briefly(model: pl.LightningModule, datamodule, **limits) -> pl.Trainer:
    """Real Lightning training on the CPU for ``max_steps=`` or ``max_epochs=``; no files."""
    trainer = pl.Trainer(
        **limits,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(model, datamodule=datamodule)
    return trainer


def compose_train(*overrides: str, with_hydra: bool = False):
    """conf/train.yaml composed with ``overrides`` as plain Python (or, with_hydra, the raw
    config with its hydra node), the way the CLI composes it."""
    register_resolvers()
    with initialize_config_module("genclust.conf", version_base="1.3"):
        cfg = compose("train", overrides=list(overrides), return_hydra_config=with_hydra)
    return cfg if with_hydra else OmegaConf.to_container(cfg, resolve=True)


FAST_TRAINING = ("trainer.max_epochs=1", "embed=pca")


def member_dir(sweep: Path, number: int) -> Path:
    """The dir of a sweep's member ``number``: ``<number>_<its overrides>`` (or ``<number>``)."""
    (found,) = [path for path in sweep.iterdir() if path.name.split("_", 1)[0] == str(number)]
    return found


def run_genclust(*arguments: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """``genclust <arguments>`` in a fresh Python process, as a user types it."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "HYDRA_FULL_ERROR": "0"}
    return subprocess.run(
        [sys.executable, "-m", "genclust", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def genclust(tmp_path: Path):
    """Run the CLI with tmp_path as the working directory (so outputs/ lands there)."""
    return lambda *arguments, **kwargs: run_genclust(*arguments, cwd=tmp_path, **kwargs)
