"""Validation helpers shared by the data containers: each raises DataError with field and rows."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from bayeshcc.errors import DataError, format_rows

__all__ = [
    "arm_mapping",
    "as_cutpoints",
    "as_names",
    "distinct_roles",
    "label_column",
    "label_key",
    "require_count",
    "require_columns",
    "require_count_column",
    "require_finite",
    "require_numeric",
    "require_finite_nonnegative",
    "require_rounding",
    "require_rows",
    "require_window_column",
]


def require_columns(df: pd.DataFrame, columns: Iterable[str], *, what: str) -> None:
    """Raise DataError if ``df`` is not a DataFrame, or a column of ``columns`` is missing or repeated.

    pandas allows two columns with one label; ``df[label]`` is then a frame, so a repeated
    column the container needs is refused rather than one copy being used silently.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what}: expected a pandas DataFrame, got {type(df).__name__}")
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(
            f"{what}: missing column(s) {missing}; the frame has columns {list(df.columns)}"
        )
    labels = list(df.columns)
    dup = [c for c in dict.fromkeys(columns) if labels.count(c) > 1]
    if dup:
        counts = ", ".join(f"'{c}' x{labels.count(c)}" for c in dup)
        raise DataError(
            f"{what}: the frame has duplicate column(s) {counts}; rename or drop the extra "
            "copies so each column the data need appears once"
        )


def require_rows(df: pd.DataFrame, *, what: str, expected: str = "") -> None:
    """Raise DataError if ``df`` has no rows (``expected`` says what a row is)."""
    if len(df) == 0:
        raise DataError(f"{what}: the frame has no rows" + (f"; expected {expected}" if expected else ""))


def distinct_roles(*, what: str, **roles: object) -> None:
    """Raise DataError if one column is named for two roles (e.g. ``responders="n", n="n"``)."""
    seen: dict[object, str] = {}
    for role, col in roles.items():
        if col is None:
            continue
        if col in seen:
            raise DataError(
                f"{what}: column {col!r} is given for both {seen[col]}= and {role}=; each role "
                "needs its own column"
            )
        seen[col] = role


def as_names(names: object, *, field: str, what: str) -> tuple:
    """A tuple of names from a list of names or a single name (``"age"`` is one name, not letters).

    Raises DataError for anything else (a number, a mapping, None) and for a repeated name.
    """
    if isinstance(names, str):
        return (names,)
    if isinstance(names, Mapping) or not isinstance(names, Iterable):
        raise DataError(f"{what}: {field} must be a name or a list of names, got {names!r}")
    out = tuple(names)
    dup = [n for n in dict.fromkeys(out) if out.count(n) > 1]
    if dup:
        raise DataError(f"{what}: {field} repeats {dup}; each name must appear once")
    return out


def label_column(df: pd.DataFrame, column: str, *, what: str, noun: str = "arm") -> np.ndarray:
    """Labels of ``df[column]`` as str; DataError for missing or blank labels, two labels that
    read the same as text (``1`` and ``"1"``) or differ only in case or spacing (``"HAIC"`` and
    ``"HAIC "``, see :func:`label_key`), naming the labels and their rows."""
    col = df[column]
    values = col.to_numpy(dtype=object)
    miss = col.isna().to_numpy() | np.array([isinstance(v, str) and not v.strip() for v in values],
                                            dtype=bool)
    if miss.any():
        raise DataError(
            f"{what}: column '{column}' has missing {noun} labels (NaN, empty or blank) in "
            f"{format_rows(df.index[miss])}; every row needs one"
        )
    text = col.astype(str).to_numpy(dtype=object)
    for t in dict.fromkeys(text):
        raw = list(dict.fromkeys(repr(v) for v in values[text == t]))
        if len(raw) > 1:
            raise DataError(
                f"{what}: column '{column}' has labels {', '.join(raw)} that all read as "
                f"{t!r} ({format_rows(df.index[text == t])}); use one spelling per label"
            )
    groups: dict[str, list[str]] = {}
    for t in dict.fromkeys(text):
        groups.setdefault(label_key(t), []).append(t)
    for spellings in groups.values():
        if len(spellings) > 1:
            where = " and ".join(f"{t!r} ({format_rows(df.index[text == t])})" for t in spellings)
            raise DataError(
                f"{what}: column '{column}' has {noun} labels {where} that differ only in case or "
                f"spacing; they would be taken as different {noun}s. Use one spelling per {noun}"
            )
    return text


def label_key(label: object) -> str:
    """What two labels must share to be refused as one label spelt two ways: the text with
    surrounding whitespace removed, inner runs of whitespace as one space, case folded.

    ``"HAIC"``, ``"HAIC "``, ``"haic"`` and ``"FOLFOX  HAIC"`` / ``"FOLFOX HAIC"`` pair up this way.
    """
    return " ".join(str(label).split()).casefold()


def require_numeric(df: pd.DataFrame, column: str, *, what: str, allow_bool: bool = False) -> np.ndarray:
    """``df[column]`` as float (NaN for missing); DataError naming only the offending cells.

    Refused: text that is not a number (only those cells are named), numbers stored as text,
    True/False (unless ``allow_bool``) and complex values.
    """
    col = df[column]
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype):
        if allow_bool:
            return col.to_numpy(dtype=float, na_value=np.nan)
        raise DataError(
            f"{what}: column '{column}' holds True/False values (dtype {dtype}); expected numbers"
        )
    if pd.api.types.is_complex_dtype(dtype):
        z = col.to_numpy()
        rows = df.index[np.imag(z) != 0] if np.any(np.imag(z) != 0) else df.index
        i = int(np.argmax(np.imag(z) != 0))
        raise DataError(
            f"{what}: column '{column}' holds complex numbers (dtype {dtype}; e.g. {complex(z[i])} in "
            f"{format_rows(rows)}); expected real numbers"
        )
    if pd.api.types.is_numeric_dtype(dtype):
        return col.to_numpy(dtype=float, na_value=np.nan)
    values = col.to_numpy(dtype=object)
    kinds = [_cell_kind(v) for v in values]
    for kind, why in (
        ("bad", "must be numeric; non-numeric value(s)"),
        ("text", "must be numeric; it holds numbers stored as text, e.g."),
    ):
        sel = np.array([k == kind for k in kinds], dtype=bool)
        if sel.any():
            examples = ", ".join(list(dict.fromkeys(repr(v) for v in values[sel]))[:3])
            hint = "" if kind == "bad" else "; convert the column with pandas.to_numeric first"
            raise DataError(
                f"{what}: column '{column}' {why} {examples} in {format_rows(df.index[sel])}{hint}"
            )
    return np.array([np.nan if k == "missing" else float(v) for v, k in zip(values, kinds,
                                                                             strict=True)])


def require_window_column(df: pd.DataFrame, column: str, *, what: str) -> np.ndarray:
    """A follow-up window column as float: NaN where a row has no window, else finite and >= 0.

    The rules of :func:`require_numeric` (text, numbers stored as text, True/False and complex
    refused, never converted), with a message that says NaN is how a row goes without a window.
    """
    col = df[column]
    if not pd.api.types.is_numeric_dtype(col.dtype):  # object, string, categorical
        values = col.to_numpy(dtype=object)
        kinds = np.array([_cell_kind(v) for v in values], dtype=object)
        for kind, found, hint in (
            ("bad", "non-numeric value(s)", ""),
            ("text", "numbers stored as text", "; convert the column with pandas.to_numeric first"),
        ):
            sel = kinds == kind
            if sel.any():
                examples = ", ".join(list(dict.fromkeys(repr(v) for v in values[sel]))[:3])
                raise DataError(
                    f"{what}: column '{column}' must be numeric (NaN where a row has no follow-up "
                    f"window); {found} in {format_rows(df.index[sel])} (e.g. {examples}){hint}"
                )
    x = require_numeric(df, column, what=what)
    bad = np.isinf(x) | (x < 0)
    if bad.any():
        examples = ", ".join(list(dict.fromkeys(repr(float(v)) for v in x[bad]))[:3])
        raise DataError(
            f"{what}: column '{column}' must be finite and >= 0 (NaN where a row has no follow-up "
            f"window); found {examples} in {format_rows(df.index[bad])}"
        )
    return x


def _cell_kind(v: object) -> str:
    """'number', 'missing', 'text' (a string that reads as a number) or 'bad'."""
    if isinstance(v, bool | np.bool_):
        return "bad"
    if isinstance(v, numbers.Real):
        return "missing" if np.isnan(float(v)) else "number"
    if v is None or v is pd.NA or v is pd.NaT:
        return "missing"
    if isinstance(v, str):
        try:
            float(v)
        except ValueError:
            return "bad"
        return "text"
    return "bad"


def require_finite_nonnegative(
    df: pd.DataFrame, column: str, *, what: str, allow_inf: bool = False
) -> np.ndarray:
    """Return ``df[column]`` as floats; raise DataError naming rows with NaN, inf or negatives."""
    x = require_numeric(df, column, what=what)
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


def require_finite(df: pd.DataFrame, column: str, *, what: str, allow_bool: bool = False) -> np.ndarray:
    """Return ``df[column]`` as floats (any sign); raise DataError naming missing or infinite rows."""
    x = require_numeric(df, column, what=what, allow_bool=allow_bool)
    bad = ~np.isfinite(x)
    if bad.any():
        raise DataError(
            f"{what}: column '{column}' has {bad.sum()} missing or infinite value(s) "
            f"({format_rows(df.index[bad])}); every row needs a finite value"
        )
    return x


def arm_mapping(mapping: object, arms: Sequence[str], *, field: str, what: str) -> dict:
    """``mapping`` (arm -> value) keyed by the arms' text labels; DataError naming ``field`` when it
    is not a mapping, lacks an arm, or has two keys that read the same (``1`` and ``"1"``)."""
    if not isinstance(mapping, Mapping):
        raise DataError(
            f"{what}: {field} must be a mapping of arm -> number (e.g. {{{arms[0]!r}: 50}}), "
            f"got {mapping!r}"
        )
    out: dict = {}
    for k, v in mapping.items():
        if str(k) in out:
            raise DataError(f"{what}: {field} has two keys that read as {str(k)!r}")
        out[str(k)] = v
    missing = [a for a in arms if a not in out]
    if missing:
        raise DataError(
            f"{what}: {field} has no entry for arm(s) {missing}; it has {list(mapping)}"
        )
    extra = [k for k in mapping if str(k) not in arms]
    if extra:
        raise DataError(
            f"{what}: {field} has key(s) {extra} that are not arms of the data (arms: "
            f"{list(arms)}); each key must be an arm, spelt as in the data"
        )
    return out


def require_count(x: object, *, name: str, what: str, zero: bool = True) -> int:
    """A whole number (an int, not True/False, a float or text) >= 0, or > 0 unless ``zero``."""
    ok = isinstance(x, int | np.integer) and not isinstance(x, bool) and (x >= 0 if zero else x > 0)
    if not ok:
        need = "a whole number >= 0" if zero else "a whole number > 0"
        raise DataError(f"{what}: {name} must be {need} (an int), got {x!r}")
    return int(x)


def require_rounding(rounding: object, *, what: str) -> float:
    """The precision of published proportions: a number in (0, 1); DataError otherwise."""
    if not isinstance(rounding, numbers.Real) or isinstance(rounding, bool | np.bool_) or not (
        0 < float(rounding) < 1
    ):
        raise DataError(
            f"{what}: rounding must be a number in (0, 1), the precision of the published "
            f"proportions (0.001 for percentages with one decimal), got {rounding!r}"
        )
    return float(rounding)


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
    if not (isinstance(cutpoints, np.ndarray) and cutpoints.dtype.kind in "iuf"):
        if isinstance(cutpoints, str | bytes | Mapping) or not isinstance(cutpoints, Iterable):
            raise error(f"cutpoints must be a list of numbers, got {cutpoints!r}")
        cutpoints = list(cutpoints)
        # text, True/False and complex are refused, not converted ("6" -> 6.0, True -> 1.0)
        bad = [v for v in cutpoints
               if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real)]
        if bad:
            raise error(
                f"cutpoints must be a list of numbers; {', '.join(repr(v) for v in bad[:3])} "
                f"in {cutpoints!r} {'is' if len(bad) == 1 else 'are'} not"
            )
    c = np.asarray(cutpoints, dtype=float)
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
