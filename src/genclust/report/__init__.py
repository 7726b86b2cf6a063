"""``genclust report``: many run dirs → one table of mean ± std per experiment, best first.

``find_runs`` reads run dirs (and their re-analyses) into flat records, ``group_runs`` groups
the repetitions of each experiment and ranks the groups, ``write_report`` writes report.md,
report.csv and report.png, and ``main`` is the command line.
"""

from genclust.report.command import main
from genclust.report.groups import (
    IGNORED_KEYS,
    RANKING_METRICS,
    REPORT_METRICS,
    Group,
    Stat,
    group_runs,
    rank_groups,
    ranking_metric,
)
from genclust.report.output import REPORT_CSV, REPORT_FIGURE, REPORT_MARKDOWN, write_report
from genclust.report.runs import FAILED, FAILED_FILE, OK, RunRecord, find_runs

__all__ = [
    "FAILED",
    "FAILED_FILE",
    "IGNORED_KEYS",
    "OK",
    "RANKING_METRICS",
    "REPORT_CSV",
    "REPORT_FIGURE",
    "REPORT_MARKDOWN",
    "REPORT_METRICS",
    "Group",
    "RunRecord",
    "Stat",
    "find_runs",
    "group_runs",
    "main",
    "rank_groups",
    "ranking_metric",
    "write_report",
]
