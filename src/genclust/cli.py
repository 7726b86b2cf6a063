"""``genclust <command> [overrides]``: check the config, then run the command.

Only Hydra, OmegaConf and pydantic are loaded until the configuration is known to be valid:
a typo costs a fraction of a second. The command's own module (torch, Lightning,
scikit-learn) is imported when its work starts. Every configuration error, whether Hydra or
genclust finds it, ends in one ``genclust: error:`` line and exit status 2, and so does an
output location that cannot be written (full, read-only). SIGTERM ends a command with one
``genclust: terminated`` line and exit status 143 (commands/termination.py).
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.errors import HydraException
from hydra.types import RunMode
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from genclust.commands.termination import Terminated, sigterm_raises_terminated
from genclust.config.explain import explain_hydra_error
from genclust.config.help import command_help
from genclust.config.load import load, validate
from genclust.config.overrides import name_members_by_what_varies, prepare_overrides
from genclust.config.resolvers import register_resolvers, start_new_run
from genclust.errors import EXIT_USER_ERROR, UserError, exit_with_user_error
from genclust.rundir.files import CannotWrite, cannot_write, write_json
from genclust.rundir.lock import RunInUse, is_first_process
from genclust.rundir.names import FAILED_FILE, METRICS_FILE

CONFIG_PATH = "pkg://genclust.conf"

USAGE = """usage: genclust <command> [key=value ...] [-m] [--help]

commands:
  train     train a model, cluster its latent codes, score and map them
            e.g. genclust train model=vae data=fashion_mnist cluster=gmm
  cluster   cluster a finished run's codes again with other settings, no retraining
            e.g. genclust cluster run=outputs/2026-11-27/07-28-40_07a2cf cluster=hdbscan
  predict   assign clusters to new data with a finished run's encoder and clusterer
            e.g. genclust predict run=outputs/2026-11-27/07-28-40_07a2cf data.path=new.csv
  report    one table of every run below some folders: mean ± std over seeds per setting
            e.g. genclust report outputs/multirun

`genclust <command> --help` lists a command's options; `genclust --version` its version.
"""
HYDRA_COMMANDS = ("train", "cluster", "predict")  # each has conf/<command>.yaml
# Hydra's own flags that take a value, e.g. --cfg job; the others stand alone (-m).
_FLAGS_WITH_VALUE = ("--cfg", "-c", "--package", "-p", "--info", "-i", "--config-name", "-cn")
_MULTIRUN_FLAGS = ("-m", "--multirun")

# Lightning's DDP starts each further process with this process's sys.argv: the command.
_argv_for_workers: list[str] = []


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``genclust`` with ``argv`` (default: the process's arguments); exits with its status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help"):
        print(USAGE, end="")
        sys.exit(0 if arguments else EXIT_USER_ERROR)
    if arguments[0] == "--version":
        from importlib.metadata import version

        print(f"genclust {version('genclust')}")
        sys.exit(0)
    command, *rest = arguments
    try:
        if command == "report":  # reads finished runs: a plain command, no Hydra config
            from genclust.commands.report import main as report_main

            sys.exit(report_main(rest))
        if command not in HYDRA_COMMANDS:
            raise UserError(f"unknown command {command!r}\n\n{USAGE.rstrip()}")
        if "-h" in rest or "--help" in rest:
            print(command_help(command), end="")
            sys.exit(0)
        _run_hydra_command(command, rest)
    except UserError as error:
        exit_with_user_error(error)
    except Terminated as terminated:
        if is_first_process():  # DDP workers stop alike; one message is enough
            print(f"genclust: {terminated.message}", file=sys.stderr)
        raise


def _run_hydra_command(command: str, arguments: list[str]) -> None:
    start_new_run()
    flags, overrides = _split_flags(arguments)
    overrides = prepare_overrides(command, overrides)
    if any(flag in _MULTIRUN_FLAGS for flag in flags):
        overrides.append(name_members_by_what_varies(overrides))
    elif not any(flag in _FLAGS_WITH_VALUE for flag in flags):
        load(command, overrides)  # one run: the whole config is checked before anything
    resume = [text.split("=", 1)[1] for text in overrides if text.startswith("resume=")]
    if command == "train" and resume:  # back into the run's own dir; keep its saved .hydra/
        overrides += [f"hydra.run.dir={resume[0]}", "hydra.output_subdir=null"]
    global _argv_for_workers
    _argv_for_workers = [sys.argv[0], command, *flags, *overrides]
    register_resolvers()
    job = _Job(command)
    app = hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name=command)(job)
    argv, full_error = sys.argv, os.environ.get("HYDRA_FULL_ERROR")
    sys.argv = [sys.argv[0], *flags, *overrides]
    os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra raises instead of printing and exiting 1
    try:
        with sigterm_raises_terminated():
            app()
    except (HydraException, OmegaConfBaseException) as error:
        raise explain_hydra_error(error) from None
    except OSError as error:  # Hydra could not make the run dir or write its config or log
        raise cannot_write(error.filename or "the output dir", error) from None
    finally:
        sys.argv = argv
        _restore_environment("HYDRA_FULL_ERROR", full_error)
        GlobalHydra.instance().clear()  # so another command can run in this process
    if job.failure is not None:
        raise job.failure


def _split_flags(arguments: list[str]) -> tuple[list[str], list[str]]:
    """(Hydra's flags with their values, the overrides)."""
    flags, overrides = [], []
    pending = iter(arguments)
    for argument in pending:
        if argument.startswith("-"):
            flags.append(argument)
            if argument in _FLAGS_WITH_VALUE:
                flags.append(next(pending, ""))
        else:
            overrides.append(argument)
    return flags, overrides


class _Job:
    """The function Hydra runs once per job: check the config, then run the command.

    A single run's failure is kept and raised once Hydra has returned, so that Hydra does not
    print its own report of it; a sweep member's failure is reported and the sweep goes on.
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self.failure: Exception | None = None

    def __call__(self, cfg: DictConfig) -> Any:
        sys.argv = _argv_for_workers
        hydra_config = HydraConfig.get()
        out_dir = Path(hydra_config.runtime.output_dir)
        overrides = list(hydra_config.overrides.task)
        multirun = hydra_config.mode == RunMode.MULTIRUN
        try:
            config = validate(self.command, cfg)
            module = importlib.import_module(f"genclust.commands.{self.command}")
            result = module.run(config, out_dir)
        except Terminated as terminated:
            where = [terminated.detail]
            if multirun:  # the later members would be stopped just the same: stop the sweep
                where.append(_sweep_progress(Path(hydra_config.sweep.dir).resolve(), out_dir))
            terminated.message = _termination_message(self.command, out_dir, where)
            if is_first_process():
                _record_failure(out_dir, terminated.message, terminated, overrides)
            raise
        except Exception as error:
            if isinstance(error, OSError):  # what no write_atomic saw, e.g. TensorBoard's files
                reason = error.strerror or str(error)
                error = UserError(f"{error.filename or out_dir}: {reason}")
            reason = str(error) if isinstance(error, UserError) else traceback.format_exc()
            if not isinstance(error, RunInUse):  # that run's dir belongs to another process
                _record_failure(out_dir, reason, error, overrides)
            if multirun:
                print(f"genclust: run {hydra_config.job.num} failed: {reason}", file=sys.stderr)
            else:
                self.failure = error
            return None
        objective = getattr(config, "objective", None)
        return result.get(objective) if objective else result  # what a sweeper optimises


def _record_failure(out_dir: Path, reason: str, error: BaseException, overrides: list[str]) -> None:
    """failed.json in the run's dir: the reason (the user's message, else the traceback)."""
    try:
        write_json(
            out_dir / FAILED_FILE,
            {"error": reason, "type": type(error).__name__, "overrides": overrides},
        )
    except CannotWrite:  # the disk is full or read-only: the message on stderr must do
        pass


def _termination_message(command: str, out_dir: Path, where: list[str]) -> str:
    stopped = " ".join(["terminated by SIGTERM", *filter(None, where)])
    if command == "train":
        return f"{stopped}; continue with: genclust train resume={out_dir}"
    return f"{stopped}; {out_dir} holds no finished result"


def _sweep_progress(sweep_dir: Path, stopped: Path) -> str:
    """Where a sweep stopped: its member, and how many members had finished or failed."""
    members = [path for path in sweep_dir.iterdir() if path.is_dir() and path != stopped]
    finished = sum((path / METRICS_FILE).is_file() for path in members)
    failed = sum((path / FAILED_FILE).is_file() for path in members)
    return (
        f"of sweep member {stopped.name} ({sweep_dir}: {finished} member"
        f"{'s' if finished != 1 else ''} had finished, {failed} failed, no later one started)"
    )


def _restore_environment(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value
