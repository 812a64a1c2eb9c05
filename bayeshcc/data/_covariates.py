"""Columns of patient-level survival data beyond time: the event, covariates (numeric or
categorical, missing values) and dropped rows named by the caller's row labels."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayeshcc.data._checks import label_column
from bayeshcc.errors import DataError, format_rows

if TYPE_CHECKING:
    from bayeshcc.data.survival import SurvivalData

__all__ = ["check_covariate_names", "covariate_column", "event_column", "frame_labels", "row_labels", "without_rows"]

_RESERVED = ("time", "event", "arm", "entry", "upper")


def check_covariate_names(covariates: tuple[str, ...], roles: Sequence[str], *, what: str) -> None:
    """DataError when a covariate repeats a name, or is a reserved or role column."""
    clash = [c for c in covariates if c in _RESERVED or c in roles]
    if clash or len(set(covariates)) != len(covariates):
        raise DataError(
            f"{what}: covariates {list(covariates)} repeat a name or use a reserved one "
            f"({clash or 'duplicates'}); time, event and arm columns cannot be covariates"
        )


def row_labels(data: SurvivalData, positions: Sequence[int]) -> list:
    """The labels of the rows at ``positions`` of ``data.frame``: the index labels of the frame given
    to :meth:`SurvivalData.from_frame` (``data.row_labels``), or the positions where it kept none."""
    positions = [int(p) for p in np.asarray(positions, dtype=int).ravel()]
    labels = getattr(data, "row_labels", None)
    return positions if labels is None else [labels[p] for p in positions]


def frame_labels(df: pd.DataFrame) -> tuple | None:
    """The row labels of a frame worth keeping: None for the default ``RangeIndex`` (labels are positions)."""
    return None if df.index.equals(pd.RangeIndex(len(df))) else tuple(df.index.tolist())


def _kind(v: object) -> str:
    """'missing', 'bool', 'number', 'numeric text' (a string that reads as a number), 'text' or 'odd'."""
    if v is None or v is pd.NA or v is pd.NaT:
        return "missing"
    if isinstance(v, bool | np.bool_):
        return "bool"
    if isinstance(v, numbers.Real):
        return "missing" if np.isnan(float(v)) else "number"
    if isinstance(v, str):
        if not v.strip():
            return "missing"
        try:
            float(v)
        except ValueError:
            return "text"
        return "numeric text"
    return "odd"


def _object_numbers(df: pd.DataFrame, column: str, *, what: str) -> np.ndarray | None:
    """A non-categorical, non-numeric column as floats when it holds numbers or True/False only
    (NaN where missing), None when it holds text labels (a factor); DataError for numbers stored
    as text, numbers mixed with text, True/False mixed with numbers or text, and other objects."""
    values = df[column].to_numpy(dtype=object)
    kinds = np.array([_kind(v) for v in values], dtype=object)
    found = set(kinds) - {"missing"}

    def rows(*which: str) -> str:
        return format_rows(df.index[np.isin(kinds, which)])

    def examples(*which: str) -> str:
        return ", ".join(list(dict.fromkeys(repr(v) for v in values[np.isin(kinds, which)]))[:3])

    if "odd" in found:
        raise DataError(f"{what}: column '{column}' holds values that are neither numbers nor text "
                        f"({examples('odd')} in {rows('odd')}); expected numbers, True/False, or text labels")
    if "bool" in found and found != {"bool"}:
        other = sorted(found - {"bool"})
        noun = "text" if {"text", "numeric text"} & found else "numbers"
        raise DataError(f"{what}: column '{column}' mixes {noun} with True/False values ({rows('bool')}); "
                        f"expected numbers, True/False, or text labels only (its {noun}: {examples(*other)})")
    if found <= {"bool"} or found == {"number"}:
        return np.array([np.nan if k == "missing" else float(v) for v, k in zip(values, kinds, strict=True)])
    if "number" in found:
        text = [k for k in ("text", "numeric text") if k in found]
        raise DataError(
            f"{what}: column '{column}' mixes numbers with text ({examples(*text)} in {rows(*text)}); expected "
            "numbers only (NaN where missing; pandas.to_numeric(..., errors='coerce') turns text into NaN) or "
            "text labels only (a factor)"
        )
    if found == {"numeric text"}:
        raise DataError(
            f"{what}: column '{column}' holds numbers stored as text (e.g. {examples('numeric text')} in "
            f"{rows('numeric text')}); convert it with pandas.to_numeric for a numeric covariate, or make it "
            "a factor explicitly with pd.Categorical(...) or .astype('category')"
        )
    return None


def covariate_column(df: pd.DataFrame, column: str, *, missing: str, what: str) -> np.ndarray | pd.Categorical:
    """A covariate as floats (numbers, True/False) or as a categorical (text or categorical dtype).

    Numbers or True/False stored with ``object`` dtype are numeric too; numbers stored as text,
    and columns mixing numbers with text, are refused (pandas.to_numeric converts them; an
    explicit categorical makes a factor). Text levels are sorted; a pandas categorical keeps its
    own level order (levels without patients removed). ``missing="keep"`` keeps missing values
    (NaN) instead of refusing them.
    """
    if missing not in ("error", "keep"):
        raise DataError(f"{what}: missing_covariates must be 'error' or 'keep', got {missing!r}")
    keep = missing == "keep"
    col = df[column]
    categorical = isinstance(col.dtype, pd.CategoricalDtype)
    x = None
    if pd.api.types.is_complex_dtype(col.dtype):
        raise DataError(f"{what}: column '{column}' holds complex numbers (dtype {col.dtype}); expected real numbers")
    if not categorical and (pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype)):
        x = col.to_numpy(dtype=float, na_value=np.nan)
    elif not categorical:
        x = _object_numbers(df, column, what=what)
    if x is not None:
        bad = np.isinf(x) if keep else ~np.isfinite(x)
        if bad.any():
            kind = "infinite" if keep else "missing or infinite"
            need = "finite or missing" if keep else "finite (or pass missing_covariates='keep')"
            raise DataError(f"{what}: column '{column}' has {bad.sum()} {kind} value(s) "
                            f"({format_rows(df.index[bad])}); every value must be {need}")
        return x
    values = col.to_numpy(dtype=object)
    odd = np.array([isinstance(v, bool | np.bool_ | complex | bytes) for v in values], dtype=bool)
    if odd.any():
        raise DataError(f"{what}: column '{column}' mixes text with True/False, complex or bytes values "
                        f"({format_rows(df.index[odd])}); expected numbers, or text labels")
    miss = col.isna().to_numpy() | np.array([isinstance(v, str) and not v.strip() for v in values], dtype=bool)
    if miss.any() and not keep:
        raise DataError(
            f"{what}: covariate '{column}' is missing (NaN, None, empty or blank) in "
            f"{format_rows(df.index[miss])}; every row needs a value (or pass missing_covariates='keep' "
            "and let the model handle them, e.g. CoxPH(..., missing='drop'))"
        )
    labels = np.full(len(df), None, dtype=object)
    if (~miss).any():
        labels[~miss] = label_column(df[~miss], column, what=what, noun=f"'{column}'")
    present = set(labels[~miss])
    levels = ([str(v) for v in col.cat.categories if str(v) in present] if categorical else sorted(present))
    return pd.Categorical(labels, categories=levels)


def without_rows(data: SurvivalData, rows: Sequence[int]) -> SurvivalData:
    """A copy of ``data`` without the patients at positions ``rows``, recorded in ``dropped_rows``.

    The copy keeps its type and every other field (a synthetic cohort's note, the control arm);
    its frame is renumbered from 0 and its ``row_labels`` keep the remaining patients' labels;
    ``dropped_rows`` records the dropped patients by row label (:func:`row_labels`: the index
    labels of the frame given to ``from_frame``, positions where there were none).

    Raises
    ------
    DataError
        If an arm would be left without patients.
    """
    rows = np.unique(np.asarray(rows, dtype=int))
    keep = np.ones(len(data.frame), dtype=bool)
    keep[rows] = False
    frame = data.frame[keep].reset_index(drop=True)
    dropped = row_labels(data, rows)
    empty = [a for a in data.arms if not (frame["arm"] == a).any()]
    if empty:
        raise DataError(f"dropping {format_rows(dropped)} (missing covariates) leaves arm(s) {empty} without patients")
    for c in data.covariates:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].cat.remove_unused_categories()
    labels = tuple(row_labels(data, np.flatnonzero(keep)))
    return replace(data, frame=frame, row_labels=labels, dropped_rows=(*data.dropped_rows, *dropped))


def event_column(df: pd.DataFrame, column: str, *, what: str) -> np.ndarray:
    """The event indicator as bool: 0/1 or True/False; DataError naming other values (numbers
    stored as text included) and their rows."""
    values = df[column].to_numpy(dtype=object)
    kinds = np.array([_event_kind(v) for v in values], dtype=object)
    for kind, hint in (("bad", ""), ("text", "; these are text: convert the column to numbers first")):
        sel = kinds == kind
        if sel.any():
            examples = ", ".join(list(dict.fromkeys(repr(v) for v in values[sel]))[:5])
            raise DataError(
                f"{what}: column '{column}' must be 0/1 or True/False; found {examples} "
                f"in {format_rows(df.index[sel])}{hint}"
            )
    return np.array([bool(v) for v in values], dtype=bool)


def _event_kind(v: object) -> str:
    """'ok' (True/False, 0 or 1), 'text' ('0', '1', 'true', 'false' as strings) or 'bad'."""
    if isinstance(v, bool | np.bool_):
        return "ok"
    if isinstance(v, numbers.Real):
        return "ok" if float(v) in (0.0, 1.0) else "bad"
    if isinstance(v, str) and v.strip().lower() in ("0", "1", "0.0", "1.0", "true", "false"):
        return "text"
    return "bad"
