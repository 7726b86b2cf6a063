"""The ``trainer`` section: the Lightning Trainer arguments genclust offers (conf/trainer/).

Every field is an argument of ``pytorch_lightning.Trainer`` under the same name (a test checks
it), typed here so that a bad value fails before Lightning is imported. Arguments genclust sets
itself (logger, callbacks, the run dir) are not offered.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from genclust.config.base import Options
from genclust.config.types import NonNegativeNumber, PositiveInt

Accelerator = Literal["auto", "cpu", "gpu", "cuda", "mps", "tpu"]
Precision = Literal[
    "64-true",
    "32-true",
    "16-true",
    "bf16-true",
    "16-mixed",
    "bf16-mixed",
    "64",
    "32",
    "16",
    "bf16",
    64,
    32,
    16,
]
Steps = Annotated[int, Field(ge=-1)]  # -1: no limit


class TrainerOptions(Options):
    accelerator: Accelerator
    devices: int | str | list[int]  # a count, -1 / "auto", or device indices
    strategy: str  # auto | ddp | ddp_spawn | ... (Lightning's strategy names)
    num_nodes: PositiveInt
    precision: Precision
    max_epochs: Steps
    max_steps: Steps
    max_time: str | None  # "DD:HH:MM:SS"
    log_every_n_steps: PositiveInt
    accumulate_grad_batches: PositiveInt
    gradient_clip_val: NonNegativeNumber | None
    deterministic: bool | Literal["warn"]
    benchmark: bool | None
    detect_anomaly: bool
    enable_progress_bar: bool
    enable_model_summary: bool

    @field_validator("max_epochs")
    @classmethod
    def _at_least_one_epoch(cls, value: int) -> int:
        if value == 0:  # Lightning would "finish" at once and leave no checkpoint to use
            raise ValueError("must be at least 1, or -1 for no limit")
        return value
