"""A model's losses between two looks at them: kept per step, checked and summed at once.

Checking each step's losses for NaN on its own costs a few small tensor operations and, on a
GPU, a wait for the device every step. So steps only keep their (detached) losses; every
``log_every_n_steps`` steps and at the end of each epoch the kept ones are checked together,
added to the epoch's sums, and the last step's values come back as numbers for the logger.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from genclust.errors import UserError


class NonFiniteLossError(UserError):
    """A loss became NaN or infinite: training stops; what was logged so far stays."""


class LossRecord:
    """One epoch's losses of one model."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._steps: list[int] = []
        self._values: list[torch.Tensor] = []
        self._sums: torch.Tensor | None = None
        self._count = 0

    def add(self, step: int, losses: Mapping[str, torch.Tensor]) -> None:
        self.names = list(losses)
        self._steps.append(step)
        self._values.extend(value.detach() for value in losses.values())

    def settle(self, epoch: int) -> dict[str, float]:
        """Check and sum the kept steps; the last one's losses (empty if none were kept).

        Raises NonFiniteLossError naming the first step with a loss that is not finite.
        """
        if not self._steps:
            return {}
        values = torch.stack(self._values).view(len(self._steps), len(self.names))
        finite = torch.isfinite(values)
        if not finite.all():
            row, column = (~finite).nonzero()[0].tolist()
            raise NonFiniteLossError(
                f"{self.names[column]} became {values[row, column].item()} at step "
                f"{self._steps[row]} (epoch {epoch}); try a lower model.lr. Logs so far are kept."
            )
        self._sums = values.sum(0) if self._sums is None else self._sums + values.sum(0)
        self._count += len(self._steps)
        self._steps, self._values = [], []
        return dict(zip(self.names, values[-1].tolist(), strict=True))

    def epoch_means(self, epoch: int) -> dict[str, float]:
        """Each loss's mean over the epoch's steps (empty if no step recorded losses)."""
        self.settle(epoch)
        if self._sums is None:
            return {}
        return dict(zip(self.names, (self._sums / self._count).tolist(), strict=True))
