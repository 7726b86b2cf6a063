"""Hydra callbacks around every run: no run writes into another's directory, the console and the
run's log show genclust's lines rather than libraries' advertising and deprecation notices, and
a sweep's exit status says how many of its members failed."""

from __future__ import annotations

import logging
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from genclust.errors import UserError, exit_with_user_error
from genclust.rundir.names import FAILED_FILE

MAX_EXIT_STATUS = 100  # exit statuses are one byte; a sweep reports at most this many failures


class RefuseExistingRun(Callback):
    """Stop before Hydra writes anything when the chosen output dir already holds files.

    Hydra turns exceptions raised in callbacks into warnings, so this one exits itself.
    """

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        # Lightning's DDP workers re-enter the parent's run dir on purpose (LOCAL_RANK > 0),
        # and so does a resumed run.
        if os.environ.get("LOCAL_RANK", "0") == "0" and not config.get("resume"):
            _refuse_if_used(Path(config.hydra.run.dir), "hydra.run.dir")

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        _refuse_if_used(Path(config.hydra.sweep.dir), "hydra.sweep.dir")


class QuietLibraries(Callback):
    """Keep libraries' chatter off the console and out of the run's log, precisely: the log
    lines LIBRARY_NOISE names and the warnings IGNORED_WARNINGS names. Installed as each job
    starts, in the process that runs it (a parallel launcher's worker, a DDP process)."""

    def on_job_start(self, config: DictConfig, **kwargs: Any) -> None:
        for name, pattern in LIBRARY_NOISE.items():
            logger = logging.getLogger(name)
            if not any(isinstance(known, DropLines) for known in logger.filters):
                logger.addFilter(DropLines(pattern))
        for message, category, module in IGNORED_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category, module=module)


# Log lines dropped, by logger: where each line starts.
LIBRARY_NOISE = {
    # On every Trainer: "💡 Tip: For seamless cloud logging ... try installing [litlogger]",
    # and on a CPU "GPU available: False, used: False", "TPU available: False, using: 0 TPU
    # cores". "GPU available: True (cuda), used: ..." stays: it says which device trains.
    name: re.compile(r"💡 Tip:|(GPU|TPU) available: False\b")
    for name in ("pytorch_lightning.utilities.rank_zero", "lightning_fabric.utilities.rank_zero")
} | {
    # On every t-SNE: openTSNE's remarks on the initialisation and the gradient method it chose.
    "openTSNE.tsne": re.compile(
        r"Precomputed initialization provided|Automatically determined negative gradient method"
    ),
}
# (message, category, module) of warnings that say nothing a genclust user can act on.
IGNORED_WARNINGS = (
    # Lightning's own code builds a torch LeafSpec, which torch deprecates.
    (
        r"`isinstance\(treespec, LeafSpec\)` is deprecated",
        FutureWarning,
        r"pytorch_lightning\.utilities\._pytree",
    ),
    # UMAP runs on one thread when seeded; genclust seeds it on purpose (reproducible runs).
    (
        r"n_jobs value -?\d+ overridden to 1 by setting random_state",
        UserWarning,
        r"umap\.umap_",
    ),
)


class DropLines(logging.Filter):
    """Drops the log records whose message ``pattern`` matches at its start."""

    def __init__(self, pattern: re.Pattern) -> None:
        super().__init__()
        self.pattern = pattern

    def filter(self, record: logging.LogRecord) -> bool:
        return self.pattern.match(record.getMessage()) is None


class SweepMembers(Callback):
    """Knows a sweep's members once it ended: the runs below the sweep dir and, for members run
    in this process, wherever they wrote (a `genclust cluster` sweep over several runs writes
    into each run)."""

    def __init__(self) -> None:
        self.member_dirs: set[Path] = set()

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        self.member_dirs.add(Path(config.hydra.runtime.output_dir).resolve())

    def members(self, config: DictConfig) -> list[Path]:
        sweep_dir = Path(config.hydra.sweep.dir)
        below = {path.parent.resolve() for path in sweep_dir.glob("*/.hydra")}
        return sorted(self.member_dirs | below)

    def sweep_dirs(self, config: DictConfig) -> list[Path]:
        """The folders that hold the members: the sweep dir, or each run a sweep wrote into."""
        return sorted({path.parent for path in self.members(config)})


class CountFailedRuns(SweepMembers):
    """After a sweep, name the members that failed and exit with their number as the status."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        members = self.members(config)
        failed = [path for path in members if (path / FAILED_FILE).is_file()]
        if failed:
            listing = "\n".join(f"  {path}" for path in failed)
            print(
                f"genclust: {len(failed)} of {len(members)} runs failed:\n{listing}",
                file=sys.stderr,
            )
            sys.exit(min(len(failed), MAX_EXIT_STATUS))


def _refuse_if_used(directory: Path, key: str) -> None:
    if directory.is_dir() and any(directory.iterdir()):
        exit_with_user_error(
            UserError(
                f"{directory} already holds files (another run?); choose a new {key} "
                f"or leave it unset for a fresh directory"
            )
        )
