"""Hydra's, OmegaConf's and pydantic's errors about a config, as one line that names the key.

A mistyped key gets the closest valid keys ("did you mean"), never Hydra's advice to append it
with ``+``; an unknown group option gets the group's options.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from hydra.errors import (
    ConfigCompositionException,
    MissingConfigException,
    OverrideParseException,
)
from omegaconf.errors import OmegaConfBaseException
from pydantic import ValidationError

from genclust.errors import UserError

UNION_SECTIONS = ("model", "data", "cluster")  # pydantic puts the chosen name into their paths
_ALREADY_THERE = re.compile(r"An item is already at '([^']+)'")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``; did you mean a or b?`` for the closest choices, else the list of every choice.

    >>> did_you_mean("max_epoch", ["max_epochs", "precision"])
    '; did you mean max_epochs?'
    >>> did_you_mean("zzz", ["b", "a"])
    ' (valid: a, b)'
    """
    choices = sorted(set(choices))
    close = difflib.get_close_matches(word, choices, n=3, cutoff=0.6)
    if close:
        return f"; did you mean {' or '.join(close)}?"
    return f" (valid: {', '.join(choices)})" if choices else ""


def explain_hydra_error(error: Exception) -> UserError:
    """One line for an error Hydra or OmegaConf raised while composing or running."""
    if isinstance(error, MissingConfigException) and error.missing_cfg_file:
        group, _, option = error.missing_cfg_file.rpartition("/")
        if group:
            return UserError(
                f"{group}={option}: no such option of {group}"
                + did_you_mean(option, error.options or [])
            )
    if isinstance(error, OverrideParseException):
        reason = error.message.splitlines()[0]
        return UserError(f"cannot read the override {error.override!r}: {reason}")
    cause = error.__cause__ if isinstance(error, ConfigCompositionException) else error
    key = getattr(cause, "full_key", None)
    if isinstance(cause, OmegaConfBaseException) and key and _is_missing_key(cause):
        parent = cause.parent_node
        siblings = [k for k in (parent.keys() if parent is not None else []) if k != "hydra"]
        name = key.rpartition(".")[2]
        return UserError(f"{key}: no such option" + did_you_mean(name, map(str, siblings)))
    already = _ALREADY_THERE.search(str(error))
    if already:
        key = already.group(1)
        return UserError(f"+{key}: {key} is an option already; set it without the +")
    return UserError(_first_line(cause if cause is not None else error))


def explain_validation_error(error: ValidationError, options: Mapping[str, Any]) -> UserError:
    """One line for every problem pydantic found in a resolved config ``options``."""
    return UserError("; ".join(_problem(problem, options) for problem in error.errors()))


def _problem(problem: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    path = [str(part) for part in problem["loc"]]
    if len(path) > 1 and path[0] in UNION_SECTIONS and problem["type"] != "union_tag_invalid":
        del path[1]  # the chosen option's name, e.g. model.vae.latent_dim
    key = ".".join(path)
    kind = problem["type"]
    if kind == "extra_forbidden":
        section = _section(options, path[:-1])
        valid = [k for k in section if k != path[-1]] if isinstance(section, Mapping) else []
        return f"{key}: no such option" + did_you_mean(path[-1], valid)
    if kind == "union_tag_invalid":
        tags = problem["ctx"]["expected_tags"].replace("'", "")
        return f"{key}.name: {problem['ctx']['tag']!r} is not one of {tags}"
    if kind == "missing":
        return f"{key}: missing (the shipped config sets it; was it deleted?)"
    message = problem["msg"].removeprefix("Value error, ")
    return f"{key}: {message} (got {problem.get('input')!r})"


def _section(options: Mapping[str, Any], path: list[str]) -> Any:
    for part in path:
        options = options.get(part, {}) if isinstance(options, Mapping) else {}
    return options


def _is_missing_key(error: OmegaConfBaseException) -> bool:
    return type(error).__name__ in ("ConfigAttributeError", "ConfigKeyError")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
