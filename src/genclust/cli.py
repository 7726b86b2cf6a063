"""``genclust <command> [overrides]``: each command is a Hydra app over the shipped conf/."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import hydra
from omegaconf import DictConfig

from genclust.errors import EXIT_USER_ERROR, UserError, exit_with_user_error
from genclust.run_dir import register_resolvers

CONFIG_PATH = "pkg://genclust.conf"

USAGE = """usage: genclust <command> [key=value ...] [-m] [--help]

commands:
  train     train a model, cluster its latent codes, score and map them
            e.g. genclust train model=vae data=fashion_mnist cluster=gmm

Overrides use Hydra's syntax; `genclust train --help` lists every option.
"""


def _run_reporting_user_errors(task: Callable[[DictConfig], object], cfg: DictConfig) -> None:
    """Run a command; a UserError ends it with its message alone and exit status 2."""
    try:
        task(cfg)
    except UserError as error:
        exit_with_user_error(error)


@hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name="train")
def _train_app(cfg: DictConfig) -> None:
    from genclust.train import train  # heavy imports only once the config is composed

    _run_reporting_user_errors(train, cfg)


COMMANDS: dict[str, Callable[[], None]] = {"train": _train_app}


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help"):
        print(USAGE, end="")
        sys.exit(0 if arguments else EXIT_USER_ERROR)
    command, *overrides = arguments
    if command not in COMMANDS:
        print(f"genclust: error: unknown command {command!r}\n\n{USAGE}", file=sys.stderr, end="")
        sys.exit(EXIT_USER_ERROR)
    register_resolvers()
    sys.argv = [f"genclust {command}", *overrides]  # Hydra parses sys.argv and names the app
    COMMANDS[command]()
