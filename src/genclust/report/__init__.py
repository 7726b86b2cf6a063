"""``genclust report``: many run dirs → one table of mean ± std per experiment, best first.

``runs.find_runs`` reads run dirs (and their re-analyses) into flat records,
``groups.group_runs`` groups the repetitions of each experiment and ranks the groups (with
``stability.seed_agreement``: how alike the seeds' clusters are), ``output.write_report``
writes report.md, report.csv and report.png, and ``command.main`` is the command line.
Only ``main`` is imported here, so that the command line stays quick to start.
"""

from genclust.report.command import main

__all__ = ["main"]
