"""Hydra callbacks around every run: no run writes into another's directory, and a sweep's exit
status says how many of its members failed."""

from __future__ import annotations

import os
import sys
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


class CountFailedRuns(Callback):
    """After a sweep, name the members that failed and exit with their number as the status.

    Members are found below the sweep dir, and, for members run in this process, wherever
    they wrote (a `genclust cluster` sweep over several runs writes into each run).
    """

    def __init__(self) -> None:
        self.member_dirs: set[Path] = set()

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        self.member_dirs.add(Path(config.hydra.runtime.output_dir).resolve())

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        below = {path.parent.resolve() for path in sweep_dir.glob("*/.hydra")}
        members = sorted(self.member_dirs | below)
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
