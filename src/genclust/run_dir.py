"""Run directories: unique names, and a guard so no run writes into another run's directory."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from genclust.config.metrics import direction
from genclust.errors import UserError, exit_with_user_error
from genclust.layout import FAILED_FILE

# One id per process: runs (or sweeps) started in the same second get different directories.
RUN_ID = secrets.token_hex(3)
MAX_EXIT_STATUS = 100  # exit statuses are one byte; a sweep reports at most this many failures


def register_resolvers() -> None:
    """Make ``${genclust_run_id:}`` and ``${genclust_direction:<metric>}`` (``minimize`` or
    ``maximize``, for a sweeper) available to the Hydra config (idempotent)."""
    if not OmegaConf.has_resolver("genclust_run_id"):
        OmegaConf.register_new_resolver("genclust_run_id", lambda: RUN_ID)
    if not OmegaConf.has_resolver("genclust_direction"):
        OmegaConf.register_new_resolver("genclust_direction", direction)


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
    """After a sweep, name the members that failed and exit with their number as the status."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        failed = sorted(path.parent for path in sweep_dir.glob(f"*/{FAILED_FILE}"))
        if failed:
            total = sum(1 for path in sweep_dir.iterdir() if (path / ".hydra").is_dir())
            listing = "\n".join(f"  {path}" for path in failed)
            print(f"genclust: {len(failed)} of {total} runs failed:\n{listing}", file=sys.stderr)
            sys.exit(min(len(failed), MAX_EXIT_STATUS))


def _refuse_if_used(directory: Path, key: str) -> None:
    if directory.is_dir() and any(directory.iterdir()):
        exit_with_user_error(
            UserError(
                f"{directory} already holds files (another run?); choose a new {key} "
                f"or leave it unset for a fresh directory"
            )
        )
