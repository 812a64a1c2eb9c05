"""Patient-level survival data (time, event, arm, covariates) and its split at cutpoints."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from bayeshcc.data._checks import (
    NamedControl,
    as_cutpoints,
    as_names,
    distinct_roles,
    label_column,
    require_columns,
    require_finite_nonnegative,
    require_numeric,
    require_rows,
)
from bayeshcc.data._covariates import (
    check_covariate_names,
    covariate_column,
    event_column,
    frame_labels,
)
from bayeshcc.errors import DataError, format_rows

__all__ = ["SurvivalData", "check_arms"]

SINGLE_ARM = "all"


def check_arms(arms: Sequence[str], wanted: Sequence[str], *, field: str = "arm") -> None:
    """Raise DataError if a name in ``wanted`` is not one of ``arms``."""
    unknown = [a for a in wanted if a not in arms]
    if unknown:
        raise DataError(f"{field}: unknown arm(s) {unknown}; the data have arms {list(arms)}")


@dataclass(frozen=True, eq=False, repr=False)
class SurvivalData(NamedControl):
    """Validated individual patient data: follow-up time, event indicator, arm, covariates.

    Build it with :meth:`from_frame`; the instance holds its own clean copy of the data, so the
    caller's DataFrame is never mutated or aliased.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``time`` (float, >= 0), ``event`` (bool), ``arm`` (str) and one column per covariate.
    arms : tuple of str
        Arm names in order of first appearance (or as given by ``arms=``).
    covariates : tuple of str
        Numeric ones as floats, text ones as pandas categoricals (factors in formulas).
    time_unit : str
    control : str or None
        The control arm, where the data name one (:meth:`with_control`); models default to it.
    row_labels : tuple or None
        Index label of each row of ``frame`` in the frame given to :meth:`from_frame` (None: the
        labels are the positions 0, 1, ...); every message about rows names these labels.
    dropped_rows : tuple
        Row labels (as ``row_labels``) a model left out for missing covariates
        (``CoxPH(..., missing="drop")``).
    """

    frame: pd.DataFrame
    arms: tuple[str, ...]
    covariates: tuple[str, ...]
    time_unit: str = "time units"
    control: str | None = None
    dropped_rows: tuple = ()
    row_labels: tuple | None = None

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        time: str,
        event: str,
        arm: str | None = None,
        covariates: Sequence[str] = (),
        arms: Sequence[str] | None = None,
        time_unit: str = "time units",
        entry: str | None = None,
        upper: str | None = None,
        missing_covariates: Literal["error", "keep"] = "error",
    ) -> SurvivalData:
        """Validate a patient-level frame and keep a clean copy.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per patient.
        time, event : str
            Column names of follow-up time (>= 0, finite) and event indicator (0/1 or bool).
        arm : str, optional
            Column with the treatment arm. Without it every patient is in one arm named ``"all"``.
        covariates : str or sequence of str
            Numeric (or True/False) columns are kept as floats, text or categorical ones as factors
            (levels sorted; a categorical keeps its order): ``C(pvtt, contr.treatment("no"))``.
            A single string is one column name: ``covariates="age"`` means ``["age"]``.
        arms : str or sequence of str, optional
            Arm order. Every arm must have patients and every patient's arm must be listed.
            A single string is one arm name.
        time_unit : str
            Unit of ``time``, used in every message and output (default "time units": none is
            assumed).
        entry : str, optional
            Column of delayed-entry times (left truncation): the patient is observed, and at risk,
            from ``entry`` (>= 0, below ``time``) only. Without it everyone enters at 0.
        upper : str, optional
            Column for interval censoring: where it holds a number, the event is known to have
            happened in ``(time, upper]`` (``time`` is then the last time seen event-free and
            ``event`` must be 1); NaN where the row is an ordinary exact or right-censored time.
        missing_covariates : {"error", "keep"}
            A missing covariate (NaN, None, blank text) raises a DataError naming the rows, or is
            kept (NaN) for the model to refuse or drop (``CoxPH(..., missing="drop")``).

        Raises
        ------
        DataError
            Missing or duplicated columns; one column given for two roles; an empty frame;
            non-numeric (text, complex, True/False), NaN, infinite or negative times; event values
            other than 0/1/True/False (numbers stored as text included); missing or blank arm
            labels, or one arm spelt two ways (``"HAIC"`` and ``"HAIC "``); an arm with no
            patients; infinite or (unless kept) missing covariates; text labels spelt two ways.
            Messages name the offending rows and values only.

        Examples
        --------
        >>> import pandas as pd, bayeshcc as bh
        >>> df = pd.DataFrame({"t": [3.0, 5.5, 8.1], "d": [1, 0, 1], "trt": ["A", "B", "A"]})
        >>> bh.SurvivalData.from_frame(df, time="t", event="d", arm="trt").n_by_arm
        {'A': 2, 'B': 1}
        """
        what = "SurvivalData"
        covariates = as_names(covariates, field="covariates", what=what)
        distinct_roles(what=what, time=time, event=event, arm=arm, entry=entry, upper=upper)
        check_covariate_names(covariates, [r for r in (time, event, arm, entry, upper) if r is not None], what=what)
        if arms is not None and arm is None:
            raise DataError(f"{what}: arms= needs arm= (the column holding each patient's arm)")
        cols = [time, event, *(c for c in (arm, entry, upper) if c is not None), *covariates]
        require_columns(df, cols, what=what)
        require_rows(df, what=what, expected="one row per patient")
        t = require_finite_nonnegative(df, time, what=what)
        ev = event_column(df, event, what=what)
        if arm is None:
            arm_values = np.full(len(df), SINGLE_ARM, dtype=object)
        else:
            arm_values = label_column(df, arm, what=what)
        present = list(dict.fromkeys(arm_values))
        if arms is None:
            order = tuple(present)
        else:
            order = as_names(tuple(str(a) for a in as_names(arms, field="arms", what=what)),
                             field="arms", what=what)
            stray = [a for a in present if a not in order]
            if stray:
                rows = df.index[np.isin(arm_values, stray)]
                raise DataError(
                    f"{what}: column '{arm}' has arm(s) {stray} not in arms={list(order)} "
                    f"({format_rows(rows)})"
                )
            empty = [a for a in order if a not in present]
            if empty:
                raise DataError(f"{what}: arm(s) {empty} have no patients; every arm needs patients")
        out = pd.DataFrame(
            {"time": t, "event": ev, "arm": pd.Categorical(arm_values, categories=list(order))}
        )
        upper_values = _upper_column(df, upper, t, ev, what=what) if upper is not None else None
        if entry is not None:
            ic = ~np.isnan(upper_values) if upper_values is not None else np.zeros(len(t), dtype=bool)
            out["entry"] = _entry_column(df, entry, t, ic, what=what)
        if upper_values is not None:
            out["upper"] = upper_values
        for c in covariates:
            out[c] = covariate_column(df, c, missing=missing_covariates, what=what)
        out.index = pd.RangeIndex(len(out))
        return cls(frame=out, arms=order, covariates=covariates, time_unit=time_unit, row_labels=frame_labels(df))

    # -- views ------------------------------------------------------------------------------
    @property
    def n_by_arm(self) -> dict[str, int]:
        """Number of patients per arm."""
        counts = self.frame["arm"].value_counts(sort=False)
        return {a: int(counts[a]) for a in self.arms}

    @property
    def events_by_arm(self) -> dict[str, int]:
        """Number of events per arm."""
        s = self.frame.groupby("arm", observed=False)["event"].sum()
        return {a: int(s[a]) for a in self.arms}

    @property
    def entry(self) -> np.ndarray:
        """Each patient's entry time (0 without delayed entry)."""
        f = self.frame
        return f["entry"].to_numpy(float) if "entry" in f else np.zeros(len(f))

    @property
    def interval_censored(self) -> np.ndarray:
        """Boolean per patient: the event lies in ``(time, upper]``."""
        f = self.frame
        return f["upper"].notna().to_numpy() if "upper" in f else np.zeros(len(f), dtype=bool)

    @property
    def horizon(self) -> dict[str, float]:
        """Largest follow-up time per arm (the upper end of interval-censored rows included):
        beyond it the data say nothing."""
        f = self.frame
        last = f["time"].where(~self.interval_censored, f.get("upper", f["time"]))
        s = last.groupby(f["arm"], observed=False).max()
        return {a: float(s[a]) for a in self.arms}

    def kaplan_meier(self) -> pd.DataFrame:
        """Kaplan-Meier estimate per arm at time 0 and at each distinct event time.

        Returns
        -------
        pandas.DataFrame
            Columns ``arm, time, survival, at_risk, events``; ``survival`` is the product-limit
            estimate just after ``time`` (a right-continuous step function), starting with 1 at
            time 0 unless there are events at 0. Ties: events before censorings at the same time
            (the usual convention). With delayed entry a patient is in the risk set at ``t`` when
            ``entry < t <= time``.

        Raises
        ------
        DataError
            For interval-censored data (no product-limit estimate; Turnbull's would be needed).
        """
        if self.interval_censored.any():
            raise DataError("kaplan_meier: the data have interval-censored rows, whose event times are "
                            "unknown; there is no Kaplan-Meier estimate (fit a model instead)")
        out = []
        entry_all = self.entry
        for a in self.arms:
            sel = (self.frame["arm"] == a).to_numpy()
            sub = self.frame[sel]
            t = sub["time"].to_numpy()
            e = sub["event"].to_numpy()
            entry = entry_all[sel]
            times = np.unique(t[e])
            entered = (entry[None, :] < times[:, None]) | (entry[None, :] == 0)  # at risk from 0 on
            at_risk = ((t[None, :] >= times[:, None]) & entered).sum(axis=1)
            events = (e[None, :] & (t[None, :] == times[:, None])).sum(axis=1)
            surv = np.cumprod(1.0 - events / at_risk)
            start = [] if times.size and times[0] == 0 else [0]  # S(0) = 1 unless events at 0
            out.append(
                pd.DataFrame(
                    {
                        "arm": a,
                        "time": np.concatenate([np.zeros(len(start)), times]),
                        "survival": np.concatenate([np.ones(len(start)), surv]),
                        "at_risk": np.concatenate([[int((entry == 0).sum())] * len(start), at_risk]),
                        "events": np.concatenate([np.zeros(len(start), int), events]),
                    }
                )
            )
        return pd.concat(out, ignore_index=True)

    def require_arms(self, n: int = 2) -> None:
        """Raise DataError unless the data have at least ``n`` arms."""
        if len(self.arms) < n:
            raise DataError(
                f"SurvivalData: {n} arms are needed here but the data have {len(self.arms)} "
                f"({list(self.arms)}); pass arm= to from_frame"
            )

    def split(self, cutpoints: Sequence[float]) -> pd.DataFrame:
        """Split each patient's follow-up at ``cutpoints`` (episode / counting-process form).

        Returns
        -------
        pandas.DataFrame
            One row per patient and interval entered: ``patient``, ``arm``, ``interval`` (index),
            ``start``, ``end``, ``exposure`` (time at risk in the interval) and ``event`` (1 if
            the patient's event falls in it). Exposure and events sum to the patients' totals
            (interval-censored events excepted, see Notes).

        Notes
        -----
        This is the Poisson representation of the piecewise-exponential model (Holford 1980;
        Laird and Olivier 1981): the likelihood of the IPD equals that of independent Poisson
        counts ``event ~ Poisson(hazard[interval] * exposure)`` up to a constant. With delayed
        entry a patient's rows start at the interval holding ``entry`` (exposure counted from
        ``entry``: left truncation). An interval-censored patient contributes the exposure up to
        ``time`` (the last time seen event-free) with no event here; the probability of the
        event within ``(time, upper]`` is a separate likelihood term.
        """
        c = as_cutpoints(cutpoints)
        t = self.frame["time"].to_numpy()
        k = np.searchsorted(c, t, side="right") - 1  # interval holding each time
        # a time exactly at a cutpoint > 0 ends in the previous interval (left-open convention)
        at_cut = (k > 0) & np.isin(t, c)
        k = np.where(at_cut, k - 1, k)
        k = np.maximum(k, 0)
        entry = self.entry
        k0 = np.minimum(np.maximum(np.searchsorted(c, entry, side="right") - 1, 0), k)
        reps = k - k0 + 1
        patient = np.repeat(np.arange(len(t)), reps)
        interval = (np.concatenate([np.arange(a, b + 1) for a, b in zip(k0, k, strict=True)])
                    if len(t) else np.array([], int))
        start = np.maximum(c[interval], entry[patient])
        upper = np.append(c[1:], np.inf)[interval]
        end = np.minimum(upper, t[patient])
        last = (interval == k[patient]) & ~self.interval_censored[patient]
        out = pd.DataFrame(
            {
                "patient": patient,
                "arm": self.frame["arm"].to_numpy()[patient],
                "interval": interval,
                "start": start,
                "end": end,
                "exposure": end - start,
                "event": (last & self.frame["event"].to_numpy()[patient]).astype(np.int64),
            }
        )
        for cov in self.covariates:
            out[cov] = self.frame[cov].to_numpy()[patient]
        return out

    def exposure_table(self, cutpoints: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Events and exposure summed by arm and interval, each of shape ``(arm, interval)``."""
        c = as_cutpoints(cutpoints)
        s = self.split(c)
        arm_idx = pd.Categorical(s["arm"], categories=list(self.arms)).codes
        shape = (len(self.arms), len(c))
        events = np.zeros(shape)
        exposure = np.zeros(shape)
        np.add.at(events, (arm_idx, s["interval"].to_numpy()), s["event"].to_numpy())
        np.add.at(exposure, (arm_idx, s["interval"].to_numpy()), s["exposure"].to_numpy())
        return events, exposure

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{a}: n={n}, events={self.events_by_arm[a]}" for a, n in self.n_by_arm.items()
        )
        cov = f"; covariates {list(self.covariates)}" if self.covariates else ""
        return f"SurvivalData({parts}; time in {self.time_unit}{cov})"


def _entry_column(df: pd.DataFrame, column: str, time: np.ndarray, ic: np.ndarray, *, what: str) -> np.ndarray:
    x = require_finite_nonnegative(df, column, what=what)
    late = (x > time) | ((x == time) & ~ic)  # an interval-censored row may enter at its lower end
    if late.any():
        i = np.flatnonzero(late)
        raise DataError(
            f"{what}: column '{column}' (entry) must be below the time column (at most the lower end for "
            f"an interval-censored row); entry {x[i[0]]:g} >= time "
            f"{time[i[0]]:g} in {format_rows(df.index[i])}"
        )
    return x


def _upper_column(df: pd.DataFrame, column: str, time: np.ndarray, event: np.ndarray, *, what: str) -> np.ndarray:
    x = require_numeric(df, column, what=what)
    inf = np.isinf(x)
    if inf.any():
        raise DataError(
            f"{what}: column '{column}' (upper end of interval censoring) is infinite in "
            f"{format_rows(df.index[inf])}; a right-censored row has upper NaN and event 0"
        )
    given = ~np.isnan(x)
    bad = given & ~(x > time)
    if bad.any():
        i = np.flatnonzero(bad)
        raise DataError(
            f"{what}: column '{column}' (upper end of interval censoring) must exceed the time column "
            f"where given; upper {x[i[0]]:g} <= time {time[i[0]]:g} in {format_rows(df.index[i])} (leave NaN "
            "for an exact or right-censored row)"
        )
    noevent = given & ~event
    if noevent.any():
        i = np.flatnonzero(noevent)
        raise DataError(
            f"{what}: an interval-censored row (column '{column}' given) records an event in (time, "
            f"upper], so its event must be 1; it is 0 in {format_rows(df.index[i])}"
        )
    return x

