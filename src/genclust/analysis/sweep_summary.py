"""After a sweep: the one experiment summary that gives its HPARAMS table columns and order.

A Hydra callback, so it is imported when any genclust command starts: the TensorBoard code
is imported only once a sweep has ended.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger(__name__)


class WriteSweepExperiment(Callback):
    """Write the sweep's experiment summary (analysis/hparams.py) into its sweep dir."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from genclust.analysis.hparams import write_sweep_experiment

        sweep_dir = Path(config.hydra.sweep.dir)
        if sweep_dir.is_dir():
            members = write_sweep_experiment(sweep_dir)
            log.info("HPARAMS: experiment summary of %d runs in %s", members, sweep_dir)
