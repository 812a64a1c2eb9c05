"""Validation helpers shared by the design objects: each raises SpecError naming the field."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from bayeshcc.errors import SpecError

ARMS = ("control", "treatment")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(f"{name}: expected a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise SpecError(f"{name}: expected a finite number, got {value!r}")
    return value


def _positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    value = _number(name, value)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise SpecError(f"{name}: expected a number {bound}, got {value!r}")
    return value


def _int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SpecError(f"{name}: expected an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise SpecError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _vector(name: str, value: object, *, allow_zero: bool = True) -> tuple[float, ...]:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, np.ndarray)):
        raise SpecError(f"{name}: expected a number or a sequence of numbers, got {value!r}")
    if len(value) == 0:
        raise SpecError(f"{name}: expected at least one value, got an empty sequence")
    return tuple(_positive(f"{name}[{i}]", v, allow_zero=allow_zero) for i, v in enumerate(value))


def _cutpoints(name: str, value: object) -> tuple[float, ...]:
    cuts = _vector(name, value, allow_zero=True)
    if cuts[0] != 0:
        raise SpecError(f"{name}: expected the first cutpoint to be 0, got {cuts[0]!r}")
    if any(b <= a for a, b in zip(cuts[:-1], cuts[1:], strict=False)):
        raise SpecError(f"{name}: expected strictly increasing cutpoints, got {list(cuts)}")
    return cuts


def _per_arm(name: str, value: object, *, allow_zero: bool = True) -> tuple[float, float]:
    """A scalar (same in both arms) or a mapping ``{"control": x, "treatment": y}``."""
    if isinstance(value, Mapping):
        unknown = set(value) - set(ARMS)
        missing = set(ARMS) - set(value)
        if unknown or missing:
            raise SpecError(
                f"{name}: expected keys 'control' and 'treatment', got {sorted(map(str, value))}"
            )
        return tuple(_positive(f"{name}['{a}']", value[a], allow_zero=allow_zero) for a in ARMS)
    v = _positive(name, value, allow_zero=allow_zero)
    return (v, v)
