"""The report's three files: a Markdown table to read, a CSV to compute with, a bar chart to see."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from genclust.analysis.plots import PALETTE, save_figure
from genclust.config.metrics import N_CLUSTERS, TOTAL_SECONDS, TRAIN_SECONDS
from genclust.report.groups import MIN_REPETITIONS, REPORT_METRICS, Group, Stat, varying_keys
from genclust.report.names import REPORT_CSV, REPORT_FIGURE, REPORT_MARKDOWN
from genclust.report.runs import FAILED, UNFINISHED
from genclust.rundir.files import write_atomic
from genclust.rundir.names import FAILED_FILE, METRICS_FILE

DECIMALS = {N_CLUSTERS: 1, TRAIN_SECONDS: 1, TOTAL_SECONDS: 1}  # every other metric: 3
AGREEMENT = "seed_agreement"  # report.csv's column prefix for the mean pairwise ARI
AGREEMENT_HEADER = "seed agreement (ARI)"
INCOMPLETE_MARK = "†"


def write_report(groups: Sequence[Group], metric: str, out_dir: Path) -> list[Path]:
    """Write report.md, report.csv and (when any group has ``metric``) report.png atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    markdown = markdown_report(groups, metric)
    write_atomic(out_dir / REPORT_MARKDOWN, lambda stream: stream.write(markdown))
    write_atomic(out_dir / REPORT_CSV, lambda stream: write_csv(groups, stream))
    written = [out_dir / REPORT_MARKDOWN, out_dir / REPORT_CSV]
    figure = bar_chart(groups, metric)
    if figure is not None:
        save_figure(figure, out_dir / REPORT_FIGURE)
        written.append(out_dir / REPORT_FIGURE)
    return written


def markdown_report(groups: Sequence[Group], metric: str) -> str:
    """A heading, what is compared, the table of groups best first, and the runs that failed
    or did not finish."""
    columns = _columns(groups)
    runs = [run for group in groups for run in group.runs]
    failed = [run for run in runs if run.status == FAILED]
    unfinished = [run for run in runs if run.status == UNFINISHED]
    lines = [
        "# genclust report",
        "",
        f"{len(runs)} runs ({len(failed)} failed, {len(unfinished)} unfinished) in "
        f"{len(groups)} group{'s' if len(groups) > 1 else ''}, best {metric} first; each cell "
        "is the mean ± sample std over a group's successful runs (n=… where fewer runs have "
        "the metric). Seed agreement: the mean adjusted Rand index between the clusters of "
        "every two successful runs of a group (1: every seed gives the same clusters; 0: as "
        "alike as chance).",
    ]
    shared = _shared_names(groups)
    if shared:
        lines += ["", f"All groups: {_escape(shared)}"]
    header = ["group", "runs ok/failed/unfinished", *(name for name, _ in columns)]
    lines += ["", _row(header), _row(["---"] * len(header))]
    for group in groups:
        cells = [cell(group) for _, cell in columns]
        lines.append(_row([_escape(group.label), _counts(group), *cells]))
    if any(not group.complete for group in groups):
        lines += [
            "",
            f"{INCOMPLETE_MARK} incomplete: fewer than {MIN_REPETITIONS} runs, runs that "
            "failed or did not finish, or runs that share a seed (not independent repetitions). "
            "Ranked below every complete group whatever its mean, which is over its successful "
            "runs only.",
        ]
    if failed:
        lines += ["", "## Failed runs", ""]
        lines += [f"- `{run.path}`: {_escape(run.error or '')}" for run in failed]
    if unfinished:
        lines += [
            "",
            "## Unfinished runs",
            "",
            f"Neither {METRICS_FILE} nor {FAILED_FILE}: still running, or killed.",
            "",
        ]
        lines += [f"- `{run.path}`" for run in unfinished]
    return "\n".join(lines) + "\n"


def write_csv(groups: Sequence[Group], stream: IO[str]) -> None:
    """One row per group: its label, each differing config key, whether it re-analyses runs,
    run counts, distinct seeds among the successful runs, whether the group is complete,
    mean/std/n per metric, and the seed agreement.

    Numbers are written in full precision; a missing value is an empty cell.
    """
    keys = varying_keys([group.config for group in groups if group.config is not None])
    stat_columns = [f"{name}.{part}" for name in REPORT_METRICS for part in ("mean", "std", "n")]
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(
        [
            "group",
            *keys,
            "reanalysis",
            "runs_ok",
            "runs_failed",
            "runs_unfinished",
            "seeds",
            "complete",
            *stat_columns,
            f"{AGREEMENT}.mean",
            f"{AGREEMENT}.n",
        ]
    )
    for group in groups:
        stats = [group.stats[name] for name in REPORT_METRICS]
        writer.writerow(
            [
                group.label,
                *((group.config or {}).get(key, "") for key in keys),
                group.reanalysis,
                group.n_ok,
                group.n_failed,
                group.n_unfinished,
                group.n_seeds,
                group.complete,
                *(_blank(value) for stat in stats for value in (stat.mean, stat.std, stat.n)),
                _blank(group.agreement.mean),
                group.agreement.n,
            ]
        )


def bar_chart(groups: Sequence[Group], metric: str) -> Figure | None:
    """Horizontal bars of the mean ± std of ``metric``, best on top; None when no group has it.

    Incomplete groups carry the table's mark after their label."""
    shown = [group for group in groups if group.stats[metric].mean is not None]
    if not shown:
        return None
    means = [group.stats[metric].mean for group in shown]
    stds = [group.stats[metric].std or 0.0 for group in shown]
    rows = range(len(shown))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.45 * len(shown)))
    ax.barh(rows, means, xerr=stds, capsize=3, color=PALETTE[0])
    ax.set_yticks(rows, [group.label + _mark(group) for group in shown], fontsize=9)
    ax.invert_yaxis()  # best first reads top-down, as in the table
    for row, group, mean, std in zip(rows, shown, means, stds, strict=True):
        text = " " + _cell(group.stats[metric], metric, group.n_ok)
        ax.text(mean + std, row, text, va="center", fontsize=8)
    ax.margins(x=0.2)  # room for the value written beside the longest bar
    ax.set_xlabel(f"{metric} (mean ± sample std over runs)")
    if any(not group.complete for group in shown):
        ax.set_title(f"{INCOMPLETE_MARK} incomplete: see the table", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _columns(groups: Sequence[Group]) -> list[tuple[str, Callable[[Group], str]]]:
    """The table's value columns, each only when some group has a value: the scores, the seed
    agreement, then the times."""

    def metric_column(name: str) -> tuple[str, Callable[[Group], str]]:
        return name, lambda group: _cell(group.stats[name], name, group.n_ok)

    present = [name for name in REPORT_METRICS if any(g.stats[name].n for g in groups)]
    scores = [metric_column(name) for name in present if not name.startswith("seconds.")]
    times = [metric_column(name) for name in present if name.startswith("seconds.")]
    agreement = [(AGREEMENT_HEADER, lambda group: _cell(group.agreement, AGREEMENT, group.n_ok))]
    return scores + (agreement if any(g.agreement.n for g in groups) else []) + times


def _counts(group: Group) -> str:
    return f"{group.n_ok}/{group.n_failed}/{group.n_unfinished}{_mark(group)}"


def _mark(group: Group) -> str:
    return "" if group.complete else f" {INCOMPLETE_MARK}"


def _cell(stat: Stat, metric: str, n_ok: int) -> str:
    """``0.812 ± 0.013``; the mean alone for one value; ``(n=2)`` when not every run has it."""
    if stat.mean is None:
        return ""
    decimals = DECIMALS.get(metric, 3)
    text = f"{stat.mean:.{decimals}f}"
    if stat.std is not None:
        text += f" ± {stat.std:.{decimals}f}"
    return text + (f" (n={stat.n})" if stat.n < n_ok else "")


def _shared_names(groups: Sequence[Group]) -> str:
    """The ``*.name`` choices every group shares, e.g. ``data.name=digits``, for the heading."""
    configs = [group.config for group in groups if group.config is not None]
    if not configs:
        return ""
    first, *others = configs
    return " ".join(
        f"{key}={value}"
        for key, value in first.items()
        if key.endswith(".name") and all(config.get(key) == value for config in others)
    )


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _escape(text: str) -> str:
    """One line of table-safe text: newlines (a multi-line error) become spaces, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _blank(value: float | int | None) -> float | int | str:
    return "" if value is None else value
