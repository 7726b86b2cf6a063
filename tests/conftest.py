"""Shared test helpers: the real CLI (in this process, or in a new one), real configs, briefly
trained models."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytorch_lightning as pl
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf
from pydantic import TypeAdapter

from genclust import cli
from genclust.config.analysis import AnyClustererOptions, EmbedOptions, LoggerOptions
from genclust.config.data import AnyDataOptions
from genclust.config.load import validate
from genclust.config.models import AnyModelOptions
from genclust.config.resolvers import register_resolvers
from genclust.config.trainer import TrainerOptions


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


def train_config(*overrides: str):
    """The checked TrainConfig of conf/train.yaml with ``overrides``."""
    return validate("train", compose_train(*overrides))


FAST_TRAINING = ("trainer.max_epochs=1", "embed=pca")


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def run_genclust(*arguments: str, cwd: Path) -> CliResult:
    """``genclust <arguments>`` as the console script runs it, in this process, from ``cwd``."""
    stdout, stderr = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):
            try:
                cli.main(list(arguments))
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
            except Exception:  # what the interpreter does with an uncaught exception
                traceback.print_exc()
                code = 1
    finally:
        os.chdir(previous)
    return CliResult(code, stdout.getvalue(), stderr.getvalue())


def run_genclust_process(
    *arguments: str, cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess:
    """``genclust <arguments>`` in a fresh Python process, where the process boundary matters
    (signals, several processes, same-second starts)."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "genclust", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def member_dir(sweep: Path, number: int) -> Path:
    """The dir of a sweep's member ``number``: ``<number>_<its overrides>`` (or ``<number>``)."""
    (found,) = [path for path in sweep.iterdir() if path.name.split("_", 1)[0] == str(number)]
    return found


@pytest.fixture
def genclust(tmp_path: Path):
    """Run the CLI in-process with tmp_path as the working directory (outputs/ lands there)."""
    return lambda *arguments: run_genclust(*arguments, cwd=tmp_path)


_SECTIONS = {
    "model": AnyModelOptions,
    "data": AnyDataOptions,
    "trainer": TrainerOptions,
    "cluster": AnyClustererOptions,
    "embed": EmbedOptions,
    "logger": LoggerOptions,
}


def options(group: str, choice: str | None = None, *overrides: str, **changes):
    """The checked options of one section: conf/<group>/<choice>.yaml composed with
    ``overrides`` (Hydra syntax), then ``changes`` set on top (checked as well)."""
    chosen = [f"{group}={choice}"] if choice else []
    composed = compose_train(*chosen, *overrides)[group]
    return TypeAdapter(_SECTIONS[group]).validate_python({**composed, **changes})
