"""After a sweep: say where it is and print the `genclust report` table of its runs.

A Hydra callback, so it is imported when any genclust command starts: the report's modules
(numpy, matplotlib) are imported only once a sweep has ended.
"""

from __future__ import annotations

import sys
from typing import Any

from omegaconf import DictConfig

from genclust.errors import UserError
from genclust.rundir.hydra_callbacks import SweepMembers


class PrintSweepReport(SweepMembers):
    """Print the sweep dir and its report (report.md, .csv, .png written there too)."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        from genclust.commands.report import main as report

        sweep_dirs = self.sweep_dirs(config)
        if not sweep_dirs:
            return
        print("\n" + "\n".join(f"sweep dir: {directory}" for directory in sweep_dirs) + "\n")
        try:
            report([str(directory) for directory in sweep_dirs])
        except UserError as error:
            print(f"genclust: no report of the sweep: {error}", file=sys.stderr)
