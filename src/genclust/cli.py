"""``genclust <command> [overrides]``: each command is a Hydra app over the shipped conf/."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

from genclust.errors import EXIT_USER_ERROR, UserError, exit_with_user_error
from genclust.files import write_json
from genclust.layout import FAILED_FILE
from genclust.run_dir import register_resolvers

CONFIG_PATH = "pkg://genclust.conf"

USAGE = """usage: genclust <command> [key=value ...] [-m] [--help]

commands:
  train     train a model, cluster its latent codes, score and map them
            e.g. genclust train model=vae data=fashion_mnist cluster=gmm
  cluster   re-run the analysis of a finished run with another clusterer, no retraining
            e.g. genclust cluster run=outputs/2026-11-27/07-28-40_07a2cf cluster=hdbscan
  predict   assign clusters to new data with a finished run's encoder and clusterer
            e.g. genclust predict run=outputs/2026-11-27/07-28-40_07a2cf data.path=new.csv
  report    one table of every run below some folders: mean ± std over seeds per setting
            e.g. genclust report outputs/multirun

Overrides use Hydra's syntax; `genclust train --help` lists every option,
`genclust report --help` the report's.
"""


_ARGV_FOR_WORKERS: list[str] = []


def _run_job(task: Callable[[DictConfig], object], cfg: DictConfig) -> object:
    """Run one job of a command; a failure leaves ``failed.json`` with the reason in its dir.

    Alone, a UserError ends the program with its message and status 2 (other errors keep
    their traceback). In a sweep the failure is reported and the other members go on; the
    sweep's exit status then counts the failures (run_dir.CountFailedRuns).
    """
    sys.argv = _ARGV_FOR_WORKERS
    try:
        return task(cfg)
    except Exception as error:
        hydra_cfg = HydraConfig.get()
        reason = str(error) if isinstance(error, UserError) else traceback.format_exc()
        write_json(
            Path(hydra_cfg.runtime.output_dir) / FAILED_FILE,
            {
                "error": reason,
                "type": type(error).__name__,
                "overrides": list(hydra_cfg.overrides.task),
            },
        )
        if hydra_cfg.mode != RunMode.MULTIRUN:
            if isinstance(error, UserError):
                exit_with_user_error(error)
            raise
        print(f"genclust: run {hydra_cfg.job.num} failed: {reason}", file=sys.stderr)
        return None


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="train")
def _train_app(cfg: DictConfig) -> object:
    from genclust.train import train  # heavy imports only once the config is composed

    metrics = _run_job(train, cfg)
    if cfg.objective is None:
        return metrics
    return None if metrics is None else metrics.get(cfg.objective)  # what a sweeper optimises


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="analysis")
def _cluster_app(cfg: DictConfig) -> object:
    from genclust.reanalyse import reanalyse

    return _run_job(reanalyse, cfg)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="predict")
def _predict_app(cfg: DictConfig) -> object:
    from genclust.predict import predict

    return _run_job(predict, cfg)


COMMANDS: dict[str, Callable[[], None]] = {
    "train": _train_app,
    "cluster": _cluster_app,
    "predict": _predict_app,
}


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help"):
        print(USAGE, end="")
        sys.exit(0 if arguments else EXIT_USER_ERROR)
    command, *overrides = arguments
    if command == "report":  # reads finished runs: a plain command, no Hydra config
        from genclust.report import main as report_main

        try:
            sys.exit(report_main(overrides))
        except UserError as error:
            exit_with_user_error(error)
    if command not in COMMANDS:
        print(f"genclust: error: unknown command {command!r}\n\n{USAGE}", file=sys.stderr, end="")
        sys.exit(EXIT_USER_ERROR)
    register_resolvers()
    from genclust.preflight import check_overrides, spell_group_choices

    overrides = spell_group_choices(overrides)
    try:  # Hydra itself answers a non-name group choice (model=null) with a traceback
        check_overrides(overrides)
    except UserError as error:
        exit_with_user_error(error)
    resume = [o.split("=", 1)[1] for o in overrides if o.startswith("resume=")]
    if command == "train" and resume:  # back into the run's own dir; keep its saved .hydra/
        overrides += [f"hydra.run.dir={resume[0]}", "hydra.output_subdir=null"]
    # Hydra parses the overrides from sys.argv; once it has, the command goes back in, since
    # Lightning's DDP starts each further process with this process's sys.argv.
    global _ARGV_FOR_WORKERS
    _ARGV_FOR_WORKERS = [sys.argv[0], command, *overrides]
    sys.argv = [sys.argv[0], *overrides]
    COMMANDS[command]()
