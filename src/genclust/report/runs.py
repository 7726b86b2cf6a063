"""Find run dirs (and their re-analyses) below some folders and read each into one flat record."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from genclust.errors import UserError
from genclust.rundir.names import CLUSTER_DIR, CONFIG_FILE, FAILED_FILE, METRICS_FILE

REANALYSED_SECTIONS = ("cluster", "embed")  # what `genclust cluster` may change in a run's config
OK, FAILED = "ok", "failed"
NO_METRICS_ERROR = f"no {METRICS_FILE} (still running, or killed before the end)"


@dataclass(frozen=True)
class RunRecord:
    """One run or re-analysis: where it is, its flat config, and how it ended."""

    path: Path
    config: dict[str, Any]  # dotted keys ("model.latent_dim"); lists as strings
    status: str  # OK or FAILED
    metrics: dict[str, Any]  # dotted keys ("seconds.train"); empty when failed
    error: str | None = None  # why it failed


def find_runs(dirs: Iterable[str | os.PathLike]) -> list[RunRecord]:
    """Every run below ``dirs`` and each of its re-analyses, sorted by path.

    A folder is a run when it holds ``.hydra/config.yaml``; the walk does not descend into a run
    except for ``analysis/``, so stray configs inside one never count as runs. A re-analysis is a
    folder below ``analysis/`` holding its own ``.hydra/config.yaml``; its config is the run's
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
    config = _load_yaml(run / CONFIG_FILE)
    yield _record(run, config)
    for entry in _dirs_holding(run / CLUSTER_DIR, CONFIG_FILE):
        yield _record(entry, {**config, **_reanalysed_sections(entry)})


def _reanalysed_sections(entry: Path) -> dict[str, Any]:
    """What a re-analysis changed: the sections of its own Hydra config."""
    config = _load_yaml(entry / CONFIG_FILE)
    return {key: config[key] for key in REANALYSED_SECTIONS if key in config}


def _record(path: Path, config: Mapping[str, Any]) -> RunRecord:
    flat_config = flatten(config)
    if (path / FAILED_FILE).is_file():
        error = _load_json(path / FAILED_FILE).get("error", f"{FAILED_FILE} gives no message")
        return RunRecord(path, flat_config, FAILED, {}, str(error))
    if not (path / METRICS_FILE).is_file():
        return RunRecord(path, flat_config, FAILED, {}, NO_METRICS_ERROR)
    return RunRecord(path, flat_config, OK, flatten(_load_json(path / METRICS_FILE)))


def _load_yaml(path: Path) -> dict[str, Any]:
    """The YAML file as plain containers, interpolations such as ``${data.epochs}`` resolved.

    An interpolation that cannot be resolved here (a resolver only the run had) stays as text.
    """
    try:
        config = OmegaConf.load(path)
    except (OSError, yaml.YAMLError, OmegaConfBaseException) as error:
        raise UserError(f"cannot read {path}: {error}") from None
    if not isinstance(config, DictConfig):
        raise UserError(f"{path} holds no mapping of config keys")
    try:
        return OmegaConf.to_container(config, resolve=True)
    except OmegaConfBaseException:
        return OmegaConf.to_container(config, resolve=False)


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path} holds no JSON object")
    return data


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings → one level with dotted keys; lists → strings, so every value hashes.

    >>> flatten({"model": {"name": "vae", "hidden_dims": [256, 128]}, "seed": 0})
    {'model.name': 'vae', 'model.hidden_dims': '[256, 128]', 'seed': 0}
    """
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list | Mapping):
            flat[name] = str(value)
        else:
            flat[name] = value
    return flat
