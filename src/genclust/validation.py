"""Check config sections against the signatures of the code they configure, before any work.

A config section such as ``model`` or ``data`` becomes keyword arguments of a function or class.
Its signature (names, type hints, pydantic constraints such as ``PositiveInt``) is the schema, so
a typo or a value of the wrong type or range fails at start with a message naming the key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import pydantic

from genclust.errors import UserError

# Numbers a user types for rates and weights: pydantic's PositiveFloat would let inf through.
PositiveNumber = Annotated[float, pydantic.Field(gt=0, allow_inf_nan=False)]
NonNegativeNumber = Annotated[float, pydantic.Field(ge=0, allow_inf_nan=False)]

_SKIPPED_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def check_arguments(
    target: Callable[..., Any], kwargs: Mapping[str, Any], section: str
) -> dict[str, Any]:
    """Raise UserError unless ``target(**kwargs)`` matches target's signature and type hints.

    Returns the kwargs as validated: a lossless conversion such as ``2.0`` for an int becomes
    ``2``, so pass these on (a float where an int is due would fail deep inside the target).

    >>> def f(n: pydantic.PositiveInt = 1): ...
    >>> check_arguments(f, {"n": 2.0}, "demo")
    {'n': 2}
    >>> check_arguments(f, {"m": 2}, "demo")
    Traceback (most recent call last):
    genclust.errors.UserError: demo: unknown option 'm' (valid: n)
    """
    signature = inspect.signature(target)
    hints = _type_hints(target)
    fields = {}
    for name, parameter in signature.parameters.items():
        if name == "self" or parameter.kind in _SKIPPED_KINDS:
            continue
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[name] = (hints.get(name, Any), default)
    unknown = sorted(set(kwargs) - set(fields))
    if unknown:
        options = ", ".join(sorted(fields))
        names = ", ".join(repr(u) for u in unknown)
        raise UserError(f"{section}: unknown option {names} (valid: {options})")
    schema = pydantic.create_model(
        f"{section}_options",
        __config__=pydantic.ConfigDict(arbitrary_types_allowed=True),
        **fields,
    )
    try:
        validated = schema(**kwargs)
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{section}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})"
            for e in error.errors()
        )
        raise UserError(problems) from None
    return {name: getattr(validated, name) for name in kwargs}


def _type_hints(target: Callable[..., Any]) -> dict[str, Any]:
    function = target.__init__ if inspect.isclass(target) else target
    try:
        return inspect.get_annotations(function, eval_str=True)
    except NameError:  # an annotation names a type only imported for type checkers
        return {}
