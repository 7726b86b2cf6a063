"""Group runs that repeat one experiment, summarise each metric over them, rank the groups."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from genclust.config.metrics import (
    ACC,
    DEFAULT_LABEL_FREE,
    N_CLUSTERS,
    TOTAL_SECONDS,
    TRAIN_SECONDS,
    direction,
)
from genclust.report.runs import FAILED, OK, SCORES, SECONDS, UNFINISHED, RunRecord
from genclust.report.stability import seed_agreement

# Config keys that cannot change any score: runs differing only in these (and the seed) are
# repetitions of one experiment. fnmatch patterns over dotted keys. Not here, as they do change
# scores: thread counts (*.n_jobs: the order of t-SNE's parallel sums) and encode_batch_size
# (the codes' last bits); a t-SNE map then ends elsewhere, with other clusters.
IGNORED_KEYS = (
    "seed",  # the repetition itself
    "logger.*",  # where logs go; image grids draw from their own generator
    "trainer.enable_model_summary",  # console output only
    "trainer.enable_progress_bar",
    "trainer.log_every_n_steps",  # how often losses reach the logger
    "data.root",  # where the same data files are found
    "embed.*",  # the 2-D figure: analyse_codes computes every score before it (only the
    # figure's own time, seconds.embed, differs)
)
REPORT_METRICS = (*SCORES, TRAIN_SECONDS, TOTAL_SECONDS)
RANKING_METRICS = tuple(name for name in REPORT_METRICS if name != N_CLUSTERS)  # no "better"
MIN_REPETITIONS = 2  # fewer runs give no spread: such a group is incomplete
ALL_RUNS = "all runs"  # the label when every run (with a readable config) is in one group
TRAINING_RUNS = "training runs"  # ... when the only other groups are re-analyses of them
REANALYSIS = "re-analysis"  # what starts the label of a group of re-analyses
UNREADABLE = "(config unreadable)"  # the label of the runs whose config could not be read
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
    config: dict[str, Any] | None  # the shared config, IGNORED_KEYS left out; None: unreadable
    reanalysis: bool  # re-analyses (`genclust cluster`) of runs, not the runs themselves
    runs: tuple[RunRecord, ...]
    stats: dict[str, Stat]  # per name in REPORT_METRICS, over the runs that succeeded
    agreement: Stat  # mean pairwise ARI of the succeeded runs' clusters; n: runs compared

    @property
    def n_ok(self) -> int:
        return sum(run.status == OK for run in self.runs)

    @property
    def n_failed(self) -> int:
        return sum(run.status == FAILED for run in self.runs)

    @property
    def n_unfinished(self) -> int:
        return sum(run.status == UNFINISHED for run in self.runs)

    @property
    def n_seeds(self) -> int:
        """Distinct seeds among the runs that succeeded: how many independent repetitions."""
        return len({run.seed for run in self.runs if run.status == OK})

    @property
    def complete(self) -> bool:
        """At least MIN_REPETITIONS runs, every one succeeded, each with its own seed: its mean
        and spread can be trusted."""
        n_runs = len(self.runs)
        return self.n_ok == n_runs == self.n_seeds and n_runs >= MIN_REPETITIONS


def group_runs(records: Iterable[RunRecord], metric: str | None = None) -> list[Group]:
    """Group ``records`` by every config key except IGNORED_KEYS; best group first by ``metric``.

    A re-analysis never joins its training run's group: re-analyses group among themselves.
    The default metric is ``ranking_metric`` of the groups: ACC when any run has labels, else
    DEFAULT_LABEL_FREE. See ``rank_groups`` for the order.
    """
    buckets: dict[tuple, list[RunRecord]] = {}
    for record in records:
        buckets.setdefault(_group_key(record), []).append(record)
    unreadable = buckets.pop((UNREADABLE,), [])
    readable = list(buckets.values())
    configs = [_relevant(runs[0].config) for runs in readable]
    kinds = [runs[0].reanalysis for runs in readable]
    labels = _labels(configs, kinds)
    groups = [
        _group(label, config, runs)
        for label, config, runs in zip(labels, configs, readable, strict=True)
    ]
    if unreadable:
        groups.append(_group(UNREADABLE, None, unreadable))
    return rank_groups(groups, metric or ranking_metric(groups))


def ranking_metric(groups: Sequence[Group]) -> str:
    """ACC when any group has it (the data had labels), else the default label-free score."""
    return ACC if any(group.stats[ACC].n for group in groups) else DEFAULT_LABEL_FREE


def rank_groups(groups: Iterable[Group], metric: str) -> list[Group]:
    """Complete groups first, then incomplete ones, then those without ``metric``; each part
    best mean first (lowest for a metric whose ``direction`` is minimize), ties by label.

    An incomplete group (see ``Group.complete``) never outranks a complete one on the mean of
    the runs that happened to survive."""
    lower_is_better = direction(metric) == "minimize"

    def key(group: Group) -> tuple[int, float, str]:
        mean = group.stats[metric].mean
        if mean is None:
            return 2, 0.0, group.label
        return (0 if group.complete else 1), mean if lower_is_better else -mean, group.label

    return sorted(groups, key=key)


def _group_key(record: RunRecord) -> tuple:
    if record.config is None:
        return (UNREADABLE,)
    return record.reanalysis, tuple(sorted(_relevant(record.config).items()))


def _group(label: str, config: dict[str, Any] | None, runs: Sequence[RunRecord]) -> Group:
    ok = [run for run in runs if run.status == OK]
    agreement = Stat(None, None, 0)
    if len(ok) >= MIN_REPETITIONS:  # latents.npz is read only here
        mean, compared = seed_agreement([run.path for run in ok])
        agreement = Stat(mean, None, compared if mean is not None else 0)
    return Group(label, config, runs[0].reanalysis, tuple(runs), _stats(ok), agreement)


def _relevant(config: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in config.items()
        if not any(fnmatchcase(key, pattern) for pattern in IGNORED_KEYS)
    }


def _labels(configs: Sequence[dict[str, Any]], reanalyses: Sequence[bool]) -> list[str]:
    """Per config, the fewest differing keys that still tell every group apart.

    Starts from the keys whose value (or presence) differs and drops keys from the end of the
    config order while the labels stay distinct, so each section's leading ``name`` is kept and
    keys that merely follow from it (a model's default learning rate) are not shown. A group of
    re-analyses always says so, so it can never be mistaken for its training runs; the keys
    alone still tell apart every two configs that differ (a re-analysis with another clusterer
    shows that clusterer).
    """
    shown = varying_keys(configs)
    n_configs = len({tuple(sorted(config.items())) for config in configs})

    def distinct(keys: Sequence[str]) -> bool:
        return len({_label(config, keys) for config in configs}) == n_configs

    for key in reversed(shown.copy()):
        rest = [k for k in shown if k != key]
        if distinct(rest):
            shown = rest
    labels = []
    for config, reanalysis in zip(configs, reanalyses, strict=True):
        text = _label(config, shown)
        if reanalysis:
            labels.append(f"{REANALYSIS}: {text}" if text else REANALYSIS)
        else:
            labels.append(text or (ALL_RUNS if len(configs) == 1 else TRAINING_RUNS))
    return labels


def varying_keys(configs: Sequence[dict[str, Any]]) -> list[str]:
    """Keys whose value or presence differs between ``configs``, in config order."""
    keys = dict.fromkeys(key for config in configs for key in config)
    return [key for key in keys if len({str(c.get(key, UNSET)) for c in configs}) > 1]


def _label(config: dict[str, Any], keys: Sequence[str]) -> str:
    return " ".join(f"{key}={config.get(key, UNSET)}" for key in keys)


def _stats(ok_runs: Sequence[RunRecord]) -> dict[str, Stat]:
    values = [_run_values(run.metrics) for run in ok_runs]
    return {
        name: _summarise([v[name] for v in values if v[name] is not None])
        for name in REPORT_METRICS
    }


def _run_values(metrics: dict[str, Any]) -> dict[str, float | None]:
    """The run's REPORT_METRICS (find_runs checked they are numbers or null)."""
    values = {name: metrics.get(name) for name in REPORT_METRICS}
    if TOTAL_SECONDS not in metrics:
        stages = [value for key, value in metrics.items() if key.startswith(f"{SECONDS}.")]
        values[TOTAL_SECONDS] = sum(stages) if stages and None not in stages else None
    return values


def _summarise(values: Sequence[float]) -> Stat:
    return Stat(
        mean=statistics.mean(values) if values else None,
        std=statistics.stdev(values) if len(values) > 1 else None,
        n=len(values),
    )
