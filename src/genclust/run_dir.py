"""Run directories: unique names, and a guard so no run writes into another run's directory."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from genclust.errors import UserError, exit_with_user_error
from genclust.layout import FAILED_FILE

# One id per process: runs (or sweeps) started in the same second get different directories.
RUN_ID = secrets.token_hex(3)
MAX_EXIT_STATUS = 100  # exit statuses are one byte; a sweep reports at most this many failures
MAX_OVERRIDES_NAME = 120  # characters of a sweep member's dir name its overrides may take
_UNSAFE = re.compile(r"[^A-Za-z0-9._,=+-]")  # a path separator, spaces, quotes, brackets, ...


def register_resolvers() -> None:
    """Make ``${genclust_run_id:}`` and ``${genclust_member_dir:num,overrides}`` available to
    the Hydra config (idempotent)."""
    if not OmegaConf.has_resolver("genclust_run_id"):
        OmegaConf.register_new_resolver("genclust_run_id", lambda: RUN_ID)
    if not OmegaConf.has_resolver("genclust_member_dir"):
        OmegaConf.register_new_resolver("genclust_member_dir", member_dir_name)


def member_dir_name(number: int | str, overrides: str | None) -> str:
    """A sweep member's dir name: its number, then its overrides (Hydra's override_dirname).

    The overrides are made safe for any file system and shell (every character but letters,
    digits and ``._,=+-`` becomes ``_``) and cut to MAX_OVERRIDES_NAME characters, the cut
    part replaced by a hash of the whole, so long values still give distinct names. The
    number keeps the sweep's order and keeps names unique.

    >>> member_dir_name(3, "model=gan,seed=0")
    '3_model=gan,seed=0'
    >>> member_dir_name(0, "cluster/manifold=umap,data.path=/tmp/my data.csv")
    '0_cluster_manifold=umap,data.path=_tmp_my_data.csv'
    >>> member_dir_name(1, "")
    '1'
    """
    if not overrides:
        return str(number)
    safe = _UNSAFE.sub("_", overrides)
    if len(safe) > MAX_OVERRIDES_NAME:
        digest = hashlib.sha1(overrides.encode()).hexdigest()[:8]
        safe = f"{safe[: MAX_OVERRIDES_NAME - len(digest) - 1]}_{digest}"
    return f"{number}_{safe}"


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
