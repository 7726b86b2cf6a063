"""Find run dirs (and their re-analyses) below some folders and read each into one flat record.

A damaged file never stops the report: a run whose config or metrics cannot be read counts as
failed, with the reason.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from genclust.config.flat import flatten
from genclust.config.load import validate
from genclust.config.metrics import (
    LABEL_FREE_METRICS,
    LABEL_METRICS,
    N_CLUSTERS,
    NOISE_FRACTION,
    SILHOUETTE,
)
from genclust.errors import UserError
from genclust.rundir.names import CLUSTER_DIR, CONFIG_FILE, FAILED_FILE, METRICS_FILE

REANALYSED_SECTIONS = ("cluster", "embed")  # what `genclust cluster` may change in a run's config
OK, FAILED, UNFINISHED = "ok", "failed", "unfinished"  # unfinished: still running, or killed
# metrics.json: each a number or null (runs from before a score existed lack it)
SCORES = (*LABEL_METRICS, *LABEL_FREE_METRICS, SILHOUETTE, N_CLUSTERS, NOISE_FRACTION)
SECONDS = "seconds"  # metrics.json: wall time of each stage, a mapping of numbers


@dataclass(frozen=True)
class RunRecord:
    """One run or re-analysis: where it is, its flat config, and how it ended."""

    path: Path
    config: dict[str, Any] | None  # dotted keys ("model.latent_dim"); None when unreadable
    status: str  # OK, FAILED or UNFINISHED
    metrics: dict[str, Any]  # dotted keys ("seconds.train"); empty unless OK
    error: str | None = None  # why it failed
    reanalysis: bool = False  # a `genclust cluster` result
    seed: Any = None  # which repetition: the run's seed; a re-analysis's (run's seed, own seed)


class _Unreadable(Exception):
    """A file of a run that cannot be used; the message says why."""


def find_runs(dirs: Iterable[str | os.PathLike]) -> list[RunRecord]:
    """Every run below ``dirs`` and each of its re-analyses, sorted by path.

    A folder is a run when it holds ``.hydra/config.yaml``; the walk does not descend into a run
    except for ``cluster/``, so stray configs inside one never count as runs. A re-analysis
    (``genclust cluster``) is a folder below ``cluster/`` holding its own config, or anywhere
    else with a config that names its run (a sweep over several runs); its config is the run's
    with REANALYSED_SECTIONS replaced by the re-analysis's own.
    A folder given that holds no run is a ``UserError``: a typo should not give an empty report.
    """
    records: dict[Path, RunRecord] = {}
    for directory in map(Path, dirs):
        if not directory.is_dir():
            raise UserError(f"{directory} is not a directory")
        runs = _dirs_holding(directory, CONFIG_FILE)
        found = [record for run in runs for record in _read_run(run)]
        if not found:
            raise UserError(f"{directory} holds no runs (no {CONFIG_FILE} below it)")
        records.update((record.path.resolve(), record) for record in found)
    return sorted(records.values(), key=lambda record: str(record.path))


def _dirs_holding(top: Path, *markers: Path | str) -> Iterator[Path]:
    """Folders below ``top`` (itself included) that hold a marker file; none inside another."""
    for root, subdirs, _ in os.walk(top):
        if any((Path(root) / marker).is_file() for marker in markers):
            subdirs.clear()  # a run's own files are not further runs
            yield Path(root)
        else:
            subdirs[:] = sorted(name for name in subdirs if not name.startswith("."))


def _read_run(run: Path) -> Iterator[RunRecord]:
    try:
        config: dict[str, Any] | None = _load_yaml(run / CONFIG_FILE)
        config_error = None
    except _Unreadable as error:
        config, config_error = None, str(error)
    if config is not None and _is_clustering(config):  # `genclust cluster -m run=a,b` members
        yield _clustering_elsewhere(run, config)
        return
    yield _record(run, config, config_error, seed=None if config is None else _seed(config))
    for entry in _dirs_holding(run / CLUSTER_DIR, CONFIG_FILE):
        if config is None:
            yield _record(entry, None, f"the run's config: {config_error}", reanalysis=True)
            continue
        try:
            own = _load_yaml(entry / CONFIG_FILE)
        except _Unreadable as error:
            yield _record(entry, None, str(error), reanalysis=True)
            continue
        yield _reanalysis(entry, config, own)


def _is_clustering(config: Mapping[str, Any]) -> bool:
    """The config of a `genclust cluster` result: it names its run instead of a model."""
    return "run" in config and "model" not in config


def _clustering_elsewhere(folder: Path, own: Mapping[str, Any]) -> RunRecord:
    """A `genclust cluster` result outside its run's folder, read with its run's config."""
    try:
        config = _load_yaml(Path(str(own["run"])) / CONFIG_FILE)
    except _Unreadable as error:
        return _record(folder, None, f"the run's config: {error}", reanalysis=True)
    return _reanalysis(folder, config, own)


def _reanalysis(folder: Path, config: Mapping[str, Any], own: Mapping[str, Any]) -> RunRecord:
    """A re-analysis: the run's config with the sections `genclust cluster` changed."""
    changed = {key: own[key] for key in REANALYSED_SECTIONS if key in own}
    run_seed = _seed(config)
    seed = (run_seed, run_seed if own.get("seed") is None else _seed(own))  # null: the run's
    return _record(folder, {**config, **changed}, None, reanalysis=True, seed=seed)


def _record(
    path: Path,
    config: dict[str, Any] | None,
    config_error: str | None,
    reanalysis: bool = False,
    seed: Any = None,
) -> RunRecord:
    if config is None:
        return RunRecord(path, None, FAILED, {}, config_error, reanalysis)
    status, metrics, error = _outcome(path)
    return RunRecord(path, _with_defaults(config), status, metrics, error, reanalysis, seed)


def _with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """The flat config as saved, and each key it lacks (a run saved before the key existed) at
    the schema's default, which is what such a run did; so it pools with newer runs of the same
    settings. A config that no longer validates is taken as saved."""
    flat = flatten(config)
    try:
        typed = validate("train", config)
    except UserError:
        return flat
    return flatten(typed.model_dump(mode="json")) | flat


def _seed(config: Mapping[str, Any]) -> int | str:
    """The config's seed, hashable whatever the file holds."""
    seed = config.get("seed")
    return seed if isinstance(seed, int) else str(seed)


def _outcome(path: Path) -> tuple[str, dict[str, Any], str | None]:
    """How the run in ``path`` ended: its status, its flat metrics and why it failed.

    metrics.json wins over an older failed.json: a run that failed and was finished with
    ``resume=`` keeps the failure's file beside its metrics.
    """
    metrics_time, failed_time = _modified(path / METRICS_FILE), _modified(path / FAILED_FILE)
    if metrics_time is not None and (failed_time is None or metrics_time >= failed_time):
        try:
            return OK, _read_metrics(path / METRICS_FILE), None
        except _Unreadable as error:
            return FAILED, {}, str(error)
    if failed_time is not None:
        return FAILED, {}, _failure_reason(path / FAILED_FILE)
    return UNFINISHED, {}, None


def _modified(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns if path.is_file() else None
    except OSError:
        return None


def _read_metrics(path: Path) -> dict[str, Any]:
    """The flat metrics of ``path``; _Unreadable unless every score and time is a number or null."""
    data = _load_json(path)
    if not isinstance(data.get(SECONDS, {}), Mapping):
        raise _Unreadable(f"{METRICS_FILE}: {SECONDS} is {data[SECONDS]!r}, not a mapping")
    metrics = flatten(data)
    for name, value in metrics.items():
        if (name in SCORES or name.startswith(f"{SECONDS}.")) and not _is_number_or_null(value):
            raise _Unreadable(f"{METRICS_FILE}: {name} is {value!r}, not a number")
    return metrics


def _is_number_or_null(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _failure_reason(path: Path) -> str:
    try:
        return str(_load_json(path).get("error", f"{FAILED_FILE} gives no message"))
    except _Unreadable as error:
        return str(error)


def _load_yaml(path: Path) -> dict[str, Any]:
    """The YAML file as plain containers, interpolations such as ``${data.epochs}`` resolved.

    An interpolation that cannot be resolved here (a resolver only the run had) stays as text.
    """
    try:
        config = OmegaConf.load(path)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, OmegaConfBaseException) as error:
        raise _Unreadable(f"cannot read {path}: {error}") from None
    if not isinstance(config, DictConfig):
        raise _Unreadable(f"{path} holds no mapping of config keys")
    try:
        return OmegaConf.to_container(config, resolve=True)
    except OmegaConfBaseException:
        return OmegaConf.to_container(config, resolve=False)


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as error:
        raise _Unreadable(f"cannot read {path.name}: {error}") from None
    if not isinstance(data, dict):
        raise _Unreadable(f"{path.name} holds no JSON object")
    return data
