"""The TensorBoard logger of a run: its event files go straight into the run dir.

TensorBoard names a run by the folder of its event files, relative to ``--logdir``; with the
events in the run dir itself, a sweep member shows as ``<sweep>/3_model=gan,seed=0``, with no
constant suffix. A re-analysis writes into its own folder, ``<run>/analysis/<name>/``.
"""

from __future__ import annotations

from pathlib import Path

from pytorch_lightning.loggers import TensorBoardLogger
from pytorch_lightning.utilities import rank_zero_only


class RunDirLogger(TensorBoardLogger):
    def __init__(self, run_dir: Path) -> None:
        super().__init__(save_dir=run_dir, name="", version="", default_hp_metric=False)

    @rank_zero_only
    def save(self) -> None:
        # Lightning's would add an hparams.yaml; the run's .hydra/config.yaml already says it all.
        self.experiment.flush()
