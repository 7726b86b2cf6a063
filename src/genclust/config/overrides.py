"""Overrides as a user types them, made ready for Hydra before it composes.

Two things Hydra handles badly are caught here: a nested group written with a dot
(``cluster.manifold=umap``, which Hydra needs as ``cluster/manifold=umap``) and a group set to a
non-name (``model=null``), which Hydra answers with a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, Override, QuotedString
from hydra.errors import HydraException

from genclust.config.data import PATH_OPTIONS
from genclust.errors import UserError

CONF_PACKAGE = "genclust.conf"


def prepare_overrides(command: str, overrides: Sequence[str]) -> list[str]:
    """The overrides of ``genclust <command>`` as Hydra should see them; UserError if one can
    never be right (a group set to a non-name, an option the command takes from its run)."""
    spelled = spell_group_choices(overrides)
    check_overrides(spelled)
    refuse_options_the_run_decides(command, spelled)
    return absolute_data_paths(spelled)


def spell_group_choices(overrides: Sequence[str]) -> list[str]:
    """``cluster.manifold=umap`` → ``cluster/manifold=umap``; other overrides unchanged.

    >>> spell_group_choices(["cluster.manifold=umap", "cluster.manifold.n_components=5"])
    ['cluster/manifold=umap', 'cluster.manifold.n_components=5']
    """
    groups = config_groups()
    spelled = []
    for text in overrides:
        key, equals, value = text.partition("=")
        group = key.replace(".", "/")
        spelled.append(f"{group}={value}" if equals and "." in key and group in groups else text)
    return spelled


def check_overrides(overrides: Sequence[str]) -> None:
    """Refuse a config group set to a non-name (``model=null``, ``model=1``)."""
    parser = OverridesParser.create()
    groups = config_groups()
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
        except HydraException:
            continue  # a syntax error: Hydra's message says it, translated by the caller
        group = override.key_or_group
        if group not in groups or override.is_delete() or override.is_sweep_override():
            continue
        if not isinstance(override.value(), str | list):
            options = ", ".join(groups[group])
            raise UserError(f"{text}: {group} takes the name of an option: one of {options}")


# Options a command takes from the finished run it reads, not from its command line.
FOLLOW_THE_RUN = {"predict": ("data.standardize", "data.epochs")}


def refuse_options_the_run_decides(command: str, overrides: Sequence[str]) -> None:
    """``genclust predict`` prepares new data exactly as the run's training data were."""
    for text in overrides:
        if text.split("=")[0].lstrip("+~") in FOLLOW_THE_RUN.get(command, ()):
            raise UserError(
                f"{text}: genclust {command} takes this option from the run it reads; "
                "it cannot be set here"
            )


_PATH_KEYS = tuple(f"data.{name}" for name in PATH_OPTIONS)


def absolute_data_paths(overrides: Sequence[str]) -> list[str]:
    """``data.path=x.csv`` → ``data.path='<working dir>/x.csv'``, and likewise the other path
    options and each value of a sweep over them; any other override is kept as typed."""
    parser = OverridesParser.create()
    absolute = []
    for text in overrides:
        try:
            (override,) = parser.parse_overrides([text])
        except HydraException:  # a syntax error: Hydra's message says it
            absolute.append(text)
            continue
        key = override.key_or_group
        paths = _path_values(override) if key in _PATH_KEYS and not override.is_delete() else None
        if paths is None:
            absolute.append(text)
            continue
        prefix = text[: text.index(key)]  # + or ++
        resolved = (_quoted(str(Path(path).expanduser().absolute())) for path in paths)
        absolute.append(f"{prefix}{key}={','.join(resolved)}")
    return absolute


def _path_values(override: Override) -> list[str] | None:
    """The paths an override sets (several for a sweep ``a.csv,b.csv``); None when it sets
    something else: null, an interpolation, another kind of sweep."""
    value = override.value()
    values = value.list if isinstance(value, ChoiceSweep) and value.simple_form else [value]
    texts = [v.text if isinstance(v, QuotedString) else v for v in values]
    return texts if all(isinstance(t, str) and "${" not in t for t in texts) else None


def _quoted(text: str) -> str:
    """``text`` as one quoted value of Hydra's override grammar: quotes are escaped, and so are
    backslashes that precede a quote or end the text."""
    escaped = re.sub(r"(\\+)(?='|$)", lambda run: run.group(1) * 2, text)
    return "'" + escaped.replace("'", "\\'") + "'"


def name_members_by_what_varies(overrides: Sequence[str]) -> str:
    """The override that names a sweep's members by the keys it sweeps only.

    Hydra names a member by all its overrides (``hydra.job.override_dirname``); the keys set to
    one value for the whole sweep say nothing about the member, so they are left out, as is
    ``run`` (a re-analysed run's path).

    >>> name_members_by_what_varies(["model=ae,vae", "data=blobs", "+cluster.params.tol=1"])
    'hydra.job.config.override_dirname.exclude_keys=[cluster.params.tol,data,run]'
    >>> name_members_by_what_varies(["seed=0", "seed=1,2"])  # the last one counts: swept
    'hydra.job.config.override_dirname.exclude_keys=[run]'
    """
    parsed = OverridesParser.create().parse_overrides(list(overrides))
    swept = {override.key_or_group for override in parsed if override.is_sweep_override()}
    constant = {override.key_or_group for override in parsed} - swept
    keys = ",".join(sorted({key for key in constant if not key.startswith("hydra")} | {"run"}))
    return f"hydra.job.config.override_dirname.exclude_keys=[{keys}]"


@cache
def config_groups() -> dict[str, list[str]]:
    """Each config group of conf/ (``cluster/manifold`` included) → its option names."""
    groups: dict[str, list[str]] = {}
    pending = [(files(CONF_PACKAGE), "")]
    while pending:
        folder, prefix = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.name.startswith(("_", ".")):
                pending.append((entry, f"{prefix}{entry.name}/"))
            elif prefix and entry.name.endswith(".yaml"):
                groups.setdefault(prefix.rstrip("/"), []).append(entry.name.removesuffix(".yaml"))
    return {group: sorted(options) for group, options in groups.items()}
