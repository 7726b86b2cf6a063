"""SIGTERM: what batch schedulers (SLURM) send on pre-emption and at a job's time limit.

A command stops as on Ctrl-C, but with exit status 143 (128 + SIGTERM, what a shell reports
for a process the signal ended), a failed.json that says so and, for ``train``, the resume
command. While Lightning trains, its own handler notices the signal and stops the run after the
current batch, on every DDP process (train.py turns its SIGTERMException into Terminated); at any
other moment the handler installed here raises Terminated where the command is.
Light imports only: the command line installs the handler before torch is loaded.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(SystemExit):
    """The command was stopped by SIGTERM. ``detail`` says where (e.g. "in epoch 3");
    ``message`` is what the user is told (the command line fills in the rest)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(EXIT_TERMINATED)
        self.detail = detail
        self.message = "terminated by SIGTERM" + (f" {detail}" if detail else "")


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    # Lightning's handler, installed while it trains, calls this one as well: leave the stop to
    # Lightning then, which ends the batch first and tells the other DDP processes.
    if signal.getsignal(signal.SIGTERM) is _raise_terminated:
        raise Terminated()


@contextmanager
def sigterm_raises_terminated() -> Iterator[None]:
    """While the block runs, SIGTERM raises Terminated (in the main thread, as Python's signal
    handlers run there only; elsewhere the block runs unchanged)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
