"""Wall time of the analysis stages, for metrics.json's ``seconds`` and the log."""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)


class timed:
    """Context manager that logs a stage and stores its wall time in ``seconds[name]``."""

    def __init__(self, seconds: dict[str, float], name: str) -> None:
        self.seconds, self.name = seconds, name

    def __enter__(self) -> None:
        log.info("analysis: %s ...", self.name)
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds[self.name] = round(time.perf_counter() - self.start, 3)
