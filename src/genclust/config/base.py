"""The base of every config schema: unknown keys are errors, and a checked config is read-only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Options(BaseModel):
    """A section of a config, checked once; later code reads its attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True)
