"""Value types shared by the config schemas: what a user may type for a rate, a seed, a size."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

# pydantic's PositiveFloat would let inf through; a rate or weight must be a finite number.
PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeNumber = Annotated[float, Field(ge=0, allow_inf_nan=False)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
# What numpy, scikit-learn and Lightning accept as a seed: an unsigned 32-bit integer.
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
