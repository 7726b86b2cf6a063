"""A config as one level of dotted keys: how the report groups runs and TensorBoard names
settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings → one level with dotted keys; lists → strings, so every value hashes.

    >>> flatten({"model": {"name": "vae", "hidden_dims": [256, 128]}, "seed": 0})
    {'model.name': 'vae', 'model.hidden_dims': '[256, 128]', 'seed': 0}
    """
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list | Mapping):
            flat[name] = str(value)
        else:
            flat[name] = value
    return flat
