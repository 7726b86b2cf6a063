"""Group runs that repeat one experiment, summarise each metric over them, rank the groups."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from genclust.config.metrics import ACC, LABEL_METRICS, N_CLUSTERS, NOISE_FRACTION, SILHOUETTE
from genclust.report.runs import FAILED, OK, RunRecord

# Config keys that do not change a run's scores: runs differing only in these are repetitions of
# one experiment. fnmatch patterns over dotted keys.
IGNORED_KEYS = (
    "seed",  # the repetition itself
    "logger.*",  # where logs go
    "encode_batch_size",  # batching of the encoder at inference
    "trainer.enable_model_summary",  # console output only
    "trainer.enable_progress_bar",
    "trainer.log_every_n_steps",  # how often losses reach the logger
    "data.root",  # where the same data files are found
    "*.n_jobs",  # how many cores compute the same thing
    "embed.*",  # the 2-D map feeds the figure only; the scores are computed before it
)
SECONDS_PREFIX = "seconds."
TRAIN_SECONDS = f"{SECONDS_PREFIX}train"
TOTAL_SECONDS = f"{SECONDS_PREFIX}total"  # from metrics.json if there, else the sum of the stages
REPORT_METRICS = (
    *LABEL_METRICS,
    SILHOUETTE,
    N_CLUSTERS,
    NOISE_FRACTION,
    TRAIN_SECONDS,
    TOTAL_SECONDS,
)
LOWER_IS_BETTER = (NOISE_FRACTION, TRAIN_SECONDS, TOTAL_SECONDS)
RANKING_METRICS = tuple(name for name in REPORT_METRICS if name != N_CLUSTERS)  # no "better"
ALL_RUNS = "all runs"  # the label when every run belongs to one group
UNSET = "(unset)"


@dataclass(frozen=True)
class Stat:
    """Mean, sample standard deviation (ddof=1) and count of one metric over a group's runs."""

    mean: float | None  # None when no run has the metric
    std: float | None  # None below two values
    n: int


@dataclass(frozen=True)
class Group:
    """Runs with the same config but for IGNORED_KEYS, and their metrics summarised."""

    label: str  # only the config keys needed to tell the groups apart, e.g. "model.name=vae"
    config: dict[str, Any]  # the shared config, IGNORED_KEYS left out
    runs: tuple[RunRecord, ...]
    stats: dict[str, Stat]  # per name in REPORT_METRICS, over the runs that succeeded

    @property
    def n_ok(self) -> int:
        return sum(run.status == OK for run in self.runs)

    @property
    def n_failed(self) -> int:
        return sum(run.status == FAILED for run in self.runs)


def group_runs(records: Iterable[RunRecord], metric: str | None = None) -> list[Group]:
    """Group ``records`` by every config key except IGNORED_KEYS; best group first by ``metric``.

    The default metric is ``ranking_metric`` of the groups: ACC when any run has labels, else
    silhouette. Groups without the metric come last; ties go by label.
    """
    buckets: dict[tuple, list[RunRecord]] = {}
    for record in records:
        config = _relevant(record.config)
        buckets.setdefault(tuple(sorted(config.items())), []).append(record)
    configs = [_relevant(runs[0].config) for runs in buckets.values()]
    groups = [
        Group(label, config, tuple(runs), _stats(runs))
        for label, config, runs in zip(_labels(configs), configs, buckets.values(), strict=True)
    ]
    return rank_groups(groups, metric or ranking_metric(groups))


def ranking_metric(groups: Sequence[Group]) -> str:
    """ACC when any group has it (the data had labels), else silhouette."""
    return ACC if any(group.stats[ACC].n for group in groups) else SILHOUETTE


def rank_groups(groups: Iterable[Group], metric: str) -> list[Group]:
    """Best mean of ``metric`` first (lowest for LOWER_IS_BETTER); no value last; ties by label."""

    def key(group: Group) -> tuple[bool, float, str]:
        mean = group.stats[metric].mean
        if mean is None:
            return True, 0.0, group.label
        return False, mean if metric in LOWER_IS_BETTER else -mean, group.label

    return sorted(groups, key=key)


def _relevant(config: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in config.items()
        if not any(fnmatchcase(key, pattern) for pattern in IGNORED_KEYS)
    }


def _labels(configs: Sequence[dict[str, Any]]) -> list[str]:
    """Per config, the fewest differing keys that still tell every config apart.

    Starts from the keys whose value (or presence) differs and drops keys from the end of the
    config order while the labels stay distinct, so each section's leading ``name`` is kept and
    keys that merely follow from it (a model's default learning rate) are not shown.
    """
    shown = varying_keys(configs)
    for key in reversed(shown.copy()):
        rest = [k for k in shown if k != key]
        if len({_label(config, rest) for config in configs}) == len(configs):
            shown = rest
    return [_label(config, shown) or ALL_RUNS for config in configs]


def varying_keys(configs: Sequence[dict[str, Any]]) -> list[str]:
    """Keys whose value or presence differs between ``configs``, in config order."""
    keys = dict.fromkeys(key for config in configs for key in config)
    return [key for key in keys if len({str(c.get(key, UNSET)) for c in configs}) > 1]


def _label(config: dict[str, Any], keys: Sequence[str]) -> str:
    return " ".join(f"{key}={config.get(key, UNSET)}" for key in keys)


def _stats(runs: Sequence[RunRecord]) -> dict[str, Stat]:
    values = [_run_values(run.metrics) for run in runs if run.status == OK]
    return {
        name: _summarise([v[name] for v in values if v[name] is not None])
        for name in REPORT_METRICS
    }


def _run_values(metrics: dict[str, Any]) -> dict[str, float | None]:
    values = {name: _number(metrics.get(name)) for name in REPORT_METRICS}
    if TOTAL_SECONDS not in metrics:
        stages = [_number(v) for k, v in metrics.items() if k.startswith(SECONDS_PREFIX)]
        values[TOTAL_SECONDS] = sum(stages) if stages and None not in stages else None
    return values


def _summarise(values: Sequence[float]) -> Stat:
    return Stat(
        mean=statistics.mean(values) if values else None,
        std=statistics.stdev(values) if len(values) > 1 else None,
        n=len(values),
    )


def _number(value: Any) -> float | None:
    """``value`` as a finite float; None for what cannot be averaged (None, text, NaN, bools)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
