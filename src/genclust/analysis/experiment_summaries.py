"""HPARAMS columns for the folders one points TensorBoard at: each sweep dir, and ``logdir``
(outputs/ by default) over every run below it.

A Hydra callback, so it is imported when any genclust command starts: the TensorBoard code is
imported only once a run or a sweep has ended. The summary over ``logdir`` is rewritten after
each single run and each sweep, so it always covers every run there; one over a sweep, once the
sweep has ended. TensorBoard reads a summary when it loads a run: restart it to see new columns
(new rows come in by themselves).

``logdir`` holds the sweeps' summaries too, and only TensorBoard's Python loader is sure to pick
the one in the logdir itself (analysis/hparams.py): hence ``--load_fast=false`` in the command
printed for it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from hydra.types import RunMode
from omegaconf import DictConfig

from genclust.rundir.hydra_callbacks import SweepMembers

log = logging.getLogger(__name__)


class WriteExperimentSummaries(SweepMembers):
    """Write the experiment summary (analysis/hparams.py) of ``logdir`` after a single run
    below it, and of each sweep dir and ``logdir`` after a sweep."""

    def __init__(self, logdir: str = "outputs") -> None:
        super().__init__()
        self.logdir = Path(logdir)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        super().on_job_end(config, job_return, **kwargs)
        # Lightning's further DDP processes run the job too; the first one writes.
        if config.hydra.mode == RunMode.RUN and os.environ.get("LOCAL_RANK", "0") == "0":
            self._write_logdir([Path(config.hydra.runtime.output_dir)])

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dirs = self.sweep_dirs(config)
        # The logdir's first: a TensorBoard already open on it then meets it before the sweep's.
        self._write_logdir(sweep_dirs)
        for sweep_dir in sweep_dirs:
            _write(sweep_dir, f"tensorboard --logdir {sweep_dir}")

    def _write_logdir(self, changed: list[Path]) -> None:
        logdir = self.logdir.resolve()
        if any(path.resolve().is_relative_to(logdir) for path in changed):
            _write(logdir, f"tensorboard --logdir {logdir} --load_fast=false")


def _write(directory: Path, command: str) -> None:
    from genclust.analysis.hparams import write_experiment

    sessions = write_experiment(directory)
    if sessions:
        log.info("HPARAMS of %d runs: %s", sessions, command)
