"""Published summary evidence for a survival endpoint: medians, hazard ratios, landmark rates."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bayeshcc.data._checks import require_columns, require_numeric
from bayeshcc.errors import DataError, format_rows

__all__ = ["SurvivalSummary"]

MEDIAN_COLUMNS = ("arm", "estimate", "lower", "upper")
HR_COLUMNS = ("treatment", "control", "estimate", "lower", "upper", "p_value", "model")
LANDMARK_COLUMNS = ("arm", "time", "survival")


@dataclass(frozen=True, eq=False)
class SurvivalSummary:
    """What a publication reports about a survival endpoint, without patient data.

    Parameters
    ----------
    endpoint : str
        E.g. ``"OS"``, ``"PFS"``, ``"SPP"``.
    medians : pandas.DataFrame
        Columns ``arm, estimate, lower, upper`` (NaN where the paper gives no interval). A median
        or limit that was not reached is given as ``"NR"`` or ``"not reached"`` (any case) or
        ``inf`` and stored as ``inf``; in a column holding such text, the other entries may be
        numbers written as text (``"7.8"``), as a CSV reader leaves them.
    hazard_ratios : pandas.DataFrame, optional
        Columns ``treatment, control, estimate, lower, upper, p_value, model``.
    landmarks : pandas.DataFrame, optional
        Columns ``arm, time, survival`` (proportions in [0, 1], Kaplan-Meier estimates unless
        the notes say otherwise).
    n, events : mapping of arm -> int, optional
    time_unit : str
    notes : str

    Raises
    ------
    DataError
        Missing columns, a non-numeric value (other than a not-reached median), a negative
        median, lower > estimate > upper, HR <= 0, p-values outside [0, 1], landmark survival
        outside [0, 1] or increasing over time.
    """

    endpoint: str
    medians: pd.DataFrame
    hazard_ratios: pd.DataFrame | None = None
    landmarks: pd.DataFrame | None = None
    n: Mapping[str, int] | None = None
    events: Mapping[str, int] | None = None
    time_unit: str = "months"
    notes: str = ""
    _: None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        what = f"SurvivalSummary({self.endpoint})"
        require_columns(self.medians, MEDIAN_COLUMNS, what=f"{what}.medians")
        med = self.medians.loc[:, list(MEDIAN_COLUMNS)].copy()
        for c in ("estimate", "lower", "upper"):
            med[c] = _median_column(med, c, what=f"{what}.medians")
        object.__setattr__(self, "medians", med)
        _check_interval(self.medians, what=f"{what}.medians")
        if self.hazard_ratios is not None:
            require_columns(self.hazard_ratios, HR_COLUMNS, what=f"{what}.hazard_ratios")
            hr = self.hazard_ratios.loc[:, list(HR_COLUMNS)].copy()
            for c in ("estimate", "lower", "upper", "p_value"):
                hr[c] = require_numeric(hr, c, what=f"{what}.hazard_ratios")
            object.__setattr__(self, "hazard_ratios", hr)
            _check_interval(hr, what=f"{what}.hazard_ratios")
            nonpos = hr["estimate"].to_numpy(dtype=float) <= 0
            if nonpos.any():
                raise DataError(
                    f"{what}.hazard_ratios: column 'estimate' must be > 0 "
                    f"({format_rows(hr.index[nonpos])})"
                )
            p = hr["p_value"].to_numpy(dtype=float)
            badp = (p < 0) | (p > 1)
            if badp.any():
                raise DataError(
                    f"{what}.hazard_ratios: column 'p_value' must be in [0, 1] "
                    f"({format_rows(hr.index[badp])})"
                )
        if self.landmarks is not None:
            require_columns(self.landmarks, LANDMARK_COLUMNS, what=f"{what}.landmarks")
            lm = self.landmarks.loc[:, list(LANDMARK_COLUMNS)].copy()
            for c in ("time", "survival"):
                lm[c] = require_numeric(lm, c, what=f"{what}.landmarks")
            object.__setattr__(self, "landmarks", lm)
            s = lm["survival"].to_numpy(dtype=float)
            bad = (s < 0) | (s > 1) | np.isnan(s)
            if bad.any():
                raise DataError(
                    f"{what}.landmarks: column 'survival' must be a proportion in [0, 1] "
                    f"({format_rows(lm.index[bad])})"
                )
            for a, sub in lm.groupby("arm", sort=False):
                sub = sub.sort_values("time")
                inc = np.diff(sub["survival"].to_numpy(dtype=float)) > 0
                if inc.any():
                    raise DataError(
                        f"{what}.landmarks: survival for arm '{a}' increases over time "
                        f"({format_rows(sub.index[1:][inc])})"
                    )

    @property
    def arms(self) -> tuple[str, ...]:
        """Arms named in the medians table."""
        return tuple(dict.fromkeys(self.medians["arm"].astype(str)))

    def __repr__(self) -> str:
        meds = "; ".join(
            f"{r.arm} median {_fmt(r.estimate)}"
            + ("" if np.isnan(r.lower) else f" ({_fmt(r.lower)}-{_fmt(r.upper)})")
            for r in self.medians.itertuples()
        )
        return f"SurvivalSummary({self.endpoint}: {meds} {self.time_unit})"


def _check_interval(df: pd.DataFrame, *, what: str) -> None:
    est = df["estimate"].to_numpy(dtype=float)
    lo = df["lower"].to_numpy(dtype=float)
    hi = df["upper"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = (lo > est) | (est > hi)
    if bad.any():
        raise DataError(
            f"{what}: need lower <= estimate <= upper; not so in {format_rows(df.index[bad])}"
        )


NOT_REACHED = ("nr", "not reached", "inf", "infinity")


def _fmt(x: float) -> str:
    return "NR" if np.isposinf(x) else f"{x:g}"


def _median_column(df: pd.DataFrame, column: str, *, what: str) -> np.ndarray:
    """Medians (or limits) as float: ``inf`` for not reached, NaN for not given; DataError else."""
    values = df[column].to_numpy(dtype=object)
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if isinstance(v, str):
            text = v.strip().lower()
            if text in NOT_REACHED:
                out[i] = np.inf
                continue
            try:
                v = float(text)
            except ValueError:
                bad[i] = True
                continue
        if isinstance(v, bool | np.bool_) or not (v is None or v is pd.NA or isinstance(v, numbers.Real)):
            bad[i] = True
        elif v is not None and v is not pd.NA:
            out[i] = float(v)
    bad |= (out < 0) | np.isneginf(out)
    if bad.any():
        examples = ", ".join(list(dict.fromkeys(repr(v) for v in values[bad]))[:3])
        raise DataError(
            f"{what}: column '{column}' must hold times >= 0, NaN where not given, or 'NR' / "
            f"'not reached' / inf for a median not reached; found {examples} in "
            f"{format_rows(df.index[bad])}"
        )
    return out
