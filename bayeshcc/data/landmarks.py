"""Published landmark survival turned into exact life-table counts (``IntervalData.from_landmarks``)."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from bayeshcc.data._checks import (
    arm_mapping,
    distinct_roles,
    label_column,
    require_columns,
    require_count,
    require_finite_nonnegative,
    require_rounding,
    require_rows,
)
from bayeshcc.errors import DataError, format_rows

__all__ = ["COLUMNS", "landmark_rows"]

#: Columns of a life table, in order.
COLUMNS = ("arm", "start", "end", "at_risk", "events", "censored", "censor_from", "censor_to")


def landmark_rows(
    landmarks: pd.DataFrame,
    *,
    n: Mapping[str, int],
    events: Mapping[str, int],
    follow_up: tuple[float, float],
    arm: str = "arm",
    time: str = "time",
    survival: str = "survival",
    rounding: float = 0.001,
    time_unit: str = "time units",
) -> pd.DataFrame:
    """Life-table rows (columns :data:`COLUMNS`) from landmark survival; see ``IntervalData.from_landmarks``."""
    what = "IntervalData.from_landmarks"
    distinct_roles(what=what, arm=arm, time=time, survival=survival)
    require_columns(landmarks, [arm, time, survival], what=what)
    require_rows(landmarks, what=what, expected="one row per arm and landmark time")
    rounding = require_rounding(rounding, what=what)
    lo, hi = _follow_up(follow_up, what=what, time_unit=time_unit)
    times = require_finite_nonnegative(landmarks, time, what=what)
    surv = require_finite_nonnegative(landmarks, survival, what=what)
    above = surv > 1
    if above.any():
        raise DataError(
            f"{what}: column '{survival}' must hold proportions in [0, 1]; "
            f"{format_rows(landmarks.index[above])} have {surv[above].tolist()} "
            "(percentages? divide by 100)"
        )
    labels = label_column(landmarks, arm, what=what)
    arms = tuple(dict.fromkeys(labels))
    n = arm_mapping(n, arms, field="n", what=what)
    events = arm_mapping(events, arms, field="events", what=what)
    rows = []
    for a in arms:
        sel = labels == a
        t, s, idx = times[sel], surv[sel], landmarks.index[sel]
        order = np.argsort(t, kind="stable")
        t, s, idx = t[order], s[order], idx[order]
        if np.any(t <= 0) or np.any(np.diff(t) <= 0):
            raise DataError(
                f"{what}: landmark times for arm '{a}' must be positive and distinct, "
                f"got {t.tolist()}"
            )
        if np.any(np.diff(s) > 0):
            i = int(np.argmax(np.diff(s) > 0))
            raise DataError(
                f"{what}: survival for arm '{a}' increases over time ({s[i]} at {t[i]} then "
                f"{s[i + 1]} at {t[i + 1]}; rows {idx[i]}, {idx[i + 1]}); survival must not increase"
            )
        if lo < t[-1]:
            raise DataError(
                f"{what}: follow_up starts at {lo} {time_unit}, before the last landmark "
                f"{t[-1]}: patients censored before a landmark make its proportion a "
                "Kaplan-Meier estimate, not an exact count"
            )
        n_a = require_count(n[a], name=f"n['{a}']", what=what, zero=False)
        d_a = require_count(events[a], name=f"events['{a}']", what=what)
        if d_a > n_a:
            raise DataError(f"{what}: events['{a}'] = {d_a} exceeds n['{a}'] = {n_a}")
        alive = np.round(n_a * s).astype(int)
        off = np.abs(alive / n_a - s) > rounding / 2 + 1e-12
        tol = rounding / 2 + 1e-12
        for j, sj in enumerate(s):
            fits = [k for k in range(int(np.floor(n_a * (sj - tol))), int(np.ceil(n_a * (sj + tol))) + 1)
                    if abs(k / n_a - sj) <= tol]
            if len(fits) > 1:
                raise DataError(
                    f"{what}: survival {sj} at {t[j]} in arm '{a}' (row {idx[j]}) is ambiguous: "
                    f"{fits} of {n_a} all round to it at precision {rounding}"
                )
        if off.any():
            j = int(np.argmax(off))
            raise DataError(
                f"{what}: survival {s[j]} at {t[j]} in arm '{a}' (row {idx[j]}) is not k/{n_a} "
                f"for any whole k within rounding {rounding}; landmark proportions must be exact counts"
            )
        at_start = np.concatenate([[n_a], alive])
        deaths = -np.diff(at_start)
        starts = np.concatenate([[0.0], t])
        for k in range(len(t)):
            rows.append((a, starts[k], t[k], at_start[k], deaths[k], 0, np.nan, np.nan))
        late = d_a - (n_a - alive[-1])
        if late < 0:
            raise DataError(
                f"{what}: arm '{a}' has {n_a - alive[-1]} deaths by {t[-1]} {time_unit} "
                f"from the landmarks but only events['{a}'] = {d_a} in total"
            )
        rows.append((a, t[-1], np.inf, alive[-1], late, n_a - d_a, lo, hi))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _follow_up(follow_up: tuple[float, float], *, what: str, time_unit: str) -> tuple[float, float]:
    # text and True/False are refused, not read as numbers ("12" -> 12.0, True -> 1.0)
    if (
        isinstance(follow_up, str | bytes | Mapping)
        or not isinstance(follow_up, Iterable)
        or len(pair := list(follow_up)) != 2
        or any(isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real) for x in pair)
    ):
        raise DataError(
            f"{what}: follow_up must be two numbers (min, max) in {time_unit}, got {follow_up!r}"
        )
    lo, hi = (float(x) for x in pair)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0 or hi < lo:
        raise DataError(f"{what}: follow_up must satisfy 0 <= min <= max < inf, got {follow_up!r}")
    return lo, hi
