"""Covariates of patient-level survival data: numeric or categorical columns, missing values, dropped rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayeshcc.data._checks import label_column, require_finite, require_numeric
from bayeshcc.errors import DataError, format_rows

if TYPE_CHECKING:
    from bayeshcc.data.survival import SurvivalData

__all__ = ["check_covariate_names", "covariate_column", "without_rows"]

_RESERVED = ("time", "event", "arm", "entry", "upper")


def check_covariate_names(covariates: tuple[str, ...], roles: Sequence[str], *, what: str) -> None:
    """DataError when a covariate repeats a name, or is a reserved or role column."""
    clash = [c for c in covariates if c in _RESERVED or c in roles]
    if clash or len(set(covariates)) != len(covariates):
        raise DataError(
            f"{what}: covariates {list(covariates)} repeat a name or use a reserved one "
            f"({clash or 'duplicates'}); time, event and arm columns cannot be covariates"
        )


def covariate_column(df: pd.DataFrame, column: str, *, missing: str, what: str) -> np.ndarray | pd.Categorical:
    """A covariate as floats (numbers, True/False) or as a categorical (text or categorical dtype).

    Text levels are sorted; a pandas categorical keeps its own level order (levels without
    patients removed). ``missing="keep"`` keeps missing values (NaN) instead of refusing them.
    """
    if missing not in ("error", "keep"):
        raise DataError(f"{what}: missing_covariates must be 'error' or 'keep', got {missing!r}")
    keep = missing == "keep"
    col = df[column]
    categorical = isinstance(col.dtype, pd.CategoricalDtype)
    if not categorical and (pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype)):
        if not keep:
            return require_finite(df, column, what=what, allow_bool=True)
        x = require_numeric(df, column, what=what, allow_bool=True)
        inf = np.isinf(x)
        if inf.any():
            raise DataError(f"{what}: column '{column}' has {inf.sum()} infinite value(s) "
                            f"({format_rows(df.index[inf])}); every value must be finite or missing")
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
    rows are renumbered from 0; ``dropped_rows`` lists the positions in ``data``.

    Raises
    ------
    DataError
        If an arm would be left without patients.
    """
    rows = np.unique(np.asarray(rows, dtype=int))
    keep = np.ones(len(data.frame), dtype=bool)
    keep[rows] = False
    frame = data.frame[keep].reset_index(drop=True)
    empty = [a for a in data.arms if not (frame["arm"] == a).any()]
    if empty:
        raise DataError(f"dropping {format_rows(rows)} (missing covariates) leaves arm(s) {empty} without patients")
    for c in data.covariates:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].cat.remove_unused_categories()
    return replace(data, frame=frame, dropped_rows=(*data.dropped_rows, *(int(r) for r in rows)))
