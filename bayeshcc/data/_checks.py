"""Validation helpers shared by the data containers: each raises DataError with field and rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from bayeshcc.errors import DataError, format_rows

__all__ = [
    "as_cutpoints",
    "require_columns",
    "require_count_column",
    "require_finite_nonnegative",
]


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise DataError if any of ``columns`` is missing from ``df``."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{what}: missing column(s) {missing}; the frame has columns {list(df.columns)}"
        )


def _numeric(df: pd.DataFrame, column: str, *, what: str) -> np.ndarray:
    col = df[column]
    if col.dtype == bool or not pd.api.types.is_numeric_dtype(col):
        bad = [i for i, v in zip(df.index, col, strict=True) if not _is_number(v)]
        raise DataError(
            f"{what}: column '{column}' must be numeric; non-numeric values in "
            f"{format_rows(bad)} (e.g. {col.loc[bad[0]]!r})"
            if bad
            else f"{what}: column '{column}' must be numeric, got dtype {col.dtype}"
        )
    return col.to_numpy(dtype=float)


def _is_number(v: object) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def require_finite_nonnegative(
    df: pd.DataFrame, column: str, *, what: str, allow_inf: bool = False
) -> np.ndarray:
    """Return ``df[column]`` as floats; raise DataError naming rows with NaN, inf or negatives."""
    x = _numeric(df, column, what=what)
    idx = df.index.to_numpy()
    nan = np.isnan(x)
    if nan.any():
        raise DataError(
            f"{what}: column '{column}' has {nan.sum()} missing (NaN) value(s) "
            f"({format_rows(idx[nan])}); every row needs a value"
        )
    inf = np.isinf(x)
    if inf.any() and not allow_inf:
        raise DataError(
            f"{what}: column '{column}' has {inf.sum()} infinite value(s) "
            f"({format_rows(idx[inf])}); values must be finite"
        )
    neg = x < 0
    if neg.any():
        raise DataError(
            f"{what}: column '{column}' has {neg.sum()} negative value(s) "
            f"({format_rows(idx[neg])}); values must be >= 0"
        )
    return x


def require_count_column(df: pd.DataFrame, column: str, *, what: str) -> np.ndarray:
    """Return ``df[column]`` as int64; raise DataError for NaN, negative or non-integer counts."""
    x = require_finite_nonnegative(df, column, what=what)
    frac = x != np.round(x)
    if frac.any():
        raise DataError(
            f"{what}: column '{column}' must hold whole counts; non-integer values in "
            f"{format_rows(df.index.to_numpy()[frac])} (e.g. {x[frac][0]})"
        )
    return x.astype(np.int64)


def as_cutpoints(
    cutpoints: Sequence[float] | np.ndarray, *, error: type[ValueError] = DataError
) -> np.ndarray:
    """Validate interval start times: finite, start at 0, strictly increasing.

    The last interval is open: ``[cutpoints[-1], inf)``.
    """
    try:
        c = np.asarray(cutpoints, dtype=float)
    except (TypeError, ValueError):
        raise error(f"cutpoints must be a list of numbers, got {cutpoints!r}") from None
    if c.ndim != 1 or c.size == 0:
        raise error(f"cutpoints must be a non-empty 1-D list of times, got {cutpoints!r}")
    if not np.all(np.isfinite(c)):
        raise error(f"cutpoints must be finite, got {c.tolist()}")
    if np.any(c < 0):
        raise error(f"cutpoints must be >= 0, got negative values {c[c < 0].tolist()}")
    if c[0] != 0:
        raise error(
            f"cutpoints must start at 0 (the time origin) and list interval starts; got "
            f"{c.tolist()} (did you mean {[0.0, *c.tolist()]}?)"
        )
    d = np.diff(c)
    if np.any(d <= 0):
        i = int(np.argmax(d <= 0))
        raise error(
            f"cutpoints must be strictly increasing; got {c.tolist()} "
            f"({c[i]} is followed by {c[i + 1]})"
        )
    return c


class NamedControl:
    """Mixin for data containers that may name their control arm (``control`` field).

    A model's ``control`` defaults to the data's, then to the first arm; bundled studies name theirs,
    so a comparison never depends on the order of rows in a file.
    """

    def with_control(self, arm: str):
        """A copy of the data naming ``arm`` as the control arm (DataError for an unknown arm)."""
        import dataclasses

        if arm not in self.arms:
            raise DataError(f"control: unknown arm {arm!r}; the data have arms {list(self.arms)}")
        return dataclasses.replace(self, control=arm)
