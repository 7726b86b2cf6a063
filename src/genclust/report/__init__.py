"""Many run dirs → one table of mean ± std per experiment, best first (``genclust report``).

``runs.find_runs`` reads run dirs (and the results of ``genclust cluster`` inside them) into
flat records, ``groups.group_runs`` groups the repetitions of each experiment and ranks the
groups (with ``stability.seed_agreement``: how alike the seeds' clusters are), and
``output.write_report`` writes report.md, report.csv and report.png. The command line is
genclust.commands.report. Nothing is imported here, so the command line stays quick to start.
"""
