"""Resolvers the shipped conf/ uses, e.g. ``${genclust_run_id:}`` in run-dir names."""

from omegaconf import OmegaConf

from genclust.config.metrics import direction
from genclust.rundir.names import member_dir_name, new_run_id

# The id of the command being run: every run dir (or sweep dir) it makes ends with it. Lightning's
# DDP workers are new processes with ids of their own, and are told the first process's dir.
_current = {"run_id": new_run_id()}


def start_new_run() -> None:
    """A fresh run id, so a second command in this process gets a directory of its own."""
    _current["run_id"] = new_run_id()


def current_run_id() -> str:
    return _current["run_id"]


def register_resolvers() -> None:
    """Make genclust's resolvers available to the Hydra config (idempotent):
    ``${genclust_run_id:}``, ``${genclust_member_dir:<num>,<overrides>}`` (a sweep member's
    dir name) and ``${genclust_direction:<metric>}`` (``minimize`` or ``maximize``, for a
    sweeper)."""
    if not OmegaConf.has_resolver("genclust_run_id"):
        # Cached: Hydra hands a sweep's cache to its members, so members that a launcher runs
        # in other processes (joblib, SLURM) still resolve the sweep's own dir.
        OmegaConf.register_new_resolver("genclust_run_id", current_run_id, use_cache=True)
    if not OmegaConf.has_resolver("genclust_direction"):
        OmegaConf.register_new_resolver("genclust_direction", direction)
    if not OmegaConf.has_resolver("genclust_member_dir"):
        OmegaConf.register_new_resolver("genclust_member_dir", member_dir_name)
