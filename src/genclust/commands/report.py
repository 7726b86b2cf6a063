"""``genclust report DIR [DIR ...] [--out DIR] [--metric NAME]``: one table over many runs.

Only light modules load at import: ``--help`` and a mistyped folder answer at once, and the
heavy ones (numpy, scikit-learn, matplotlib) load once there are runs to report on.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from genclust.config.metrics import DEFAULT_LABEL_FREE
from genclust.errors import UserError
from genclust.report.groups import RANKING_METRICS, group_runs, ranking_metric
from genclust.report.names import REPORT_CSV, REPORT_FIGURE, REPORT_MARKDOWN
from genclust.report.runs import find_runs


def main(argv: list[str]) -> int:
    """Find the runs below the given dirs, write report.md/.csv/.png and print the table."""
    arguments = _parser().parse_args(argv)
    groups = group_runs(find_runs(arguments.dirs), arguments.metric)
    metric = arguments.metric or ranking_metric(groups)
    out_dir = arguments.out or arguments.dirs[0]
    from genclust.report.output import write_report  # matplotlib: only to write the report

    try:
        written = write_report(groups, metric, out_dir)
    except OSError as error:
        raise UserError(f"cannot write the report to {out_dir}: {error}") from None
    print(written[0].read_text(), end="")
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genclust report",
        description="Group runs that differ only in their seed and tabulate the mean ± std of "
        "each metric per group, best first; a re-analysis is its own group, and groups with "
        "too few runs or with failed ones rank below the complete ones. "
        f"Writes {REPORT_MARKDOWN}, {REPORT_CSV} and {REPORT_FIGURE}.",
    )
    parser.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="searched recursively")
    parser.add_argument("--out", type=Path, help="where the report goes (default: the first DIR)")
    parser.add_argument(
        "--metric",
        choices=RANKING_METRICS,
        help="rank groups by this metric (default: acc when runs have labels, else "
        f"{DEFAULT_LABEL_FREE})",
    )
    return parser
