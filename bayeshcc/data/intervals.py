"""Grouped survival counts per arm and interval (life-table form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayeshcc.data._checks import (
    NamedControl,
    as_cutpoints,
    as_names,
    distinct_roles,
    label_column,
    require_columns,
    require_count_column,
    require_finite_nonnegative,
    require_window_column,
)
from bayeshcc.data.landmarks import COLUMNS, landmark_rows
from bayeshcc.errors import DataError, format_rows

if TYPE_CHECKING:
    from bayeshcc.data.survival import SurvivalData

__all__ = ["IntervalData"]


@dataclass(frozen=True, eq=False, repr=False)
class IntervalData(NamedControl):
    """Grouped survival data: for each arm and interval ``[start, end)``, the number at risk at
    ``start``, the events and the censored in the interval.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``arm, start, end, at_risk, events, censored, censor_from, censor_to``; rows of
        one arm are contiguous in time. ``end`` may be ``inf`` for an arm's last row.
    arms : tuple of str
    time_unit : str

    Notes
    -----
    Each row carries one of three kinds of information, and the likelihood used by
    :class:`bayeshcc.PiecewiseExponential` is exact for the first two:

    * **closed** (``censored == 0``, finite ``end``): every patient at risk at ``start`` is seen
      until ``end``; events ~ Binomial(at_risk, 1 - exp(-H(start, end))).
    * **follow-up window** (``censor_from``/``censor_to`` given): every patient at risk at
      ``start`` has a potential follow-up ending uniformly in ``[censor_from, censor_to]`` (for
      example administrative censoring at a data cut-off after uniform accrual); a patient dies
      before their follow-up ends with probability ``1 - E[exp(-H(start, C))]``. The row must
      then account for everyone: ``events + censored == at_risk``.
    * **actuarial** (``censored > 0``, no window): censoring assumed uniform within the interval,
      so censored patients count as half at risk (Cutler and Ederer 1958). An approximation.
    control : str or None
        The control arm, where the data name one (:meth:`with_control`); models default to it.
    """

    frame: pd.DataFrame
    arms: tuple[str, ...]
    time_unit: str = "time units"
    control: str | None = None

    # -- constructors -----------------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        arm: str = "arm",
        start: str = "start",
        end: str = "end",
        at_risk: str = "at_risk",
        events: str = "events",
        censored: str = "censored",
        censor_from: str | None = None,
        censor_to: str | None = None,
        arms: Sequence[str] | None = None,
        time_unit: str = "time units",
    ) -> IntervalData:
        """Validate a life table (one row per arm and interval) and keep a clean copy.

        Parameters
        ----------
        df : pandas.DataFrame
        arm, start, end, at_risk, events, censored : str
            Column names. ``end`` may be ``inf`` for the last interval of an arm.
        censor_from, censor_to : str, optional
            Columns giving a row's follow-up window (NaN where none); see the class Notes.
        arms : sequence of str, optional
            Arm order (default: order of first appearance). Models take the first arm as the
            default control, so pass this (or the model's ``control``) rather than rely on row order.
        time_unit : str

        Raises
        ------
        DataError
            Missing columns, negative or non-integer counts, window columns that are not numbers
            (text, True/False), infinite or negative, one arm spelt two ways (``"A"``, ``"a "``),
            events + censored > at risk, rows of an arm not contiguous in time, at risk not equal
            to the previous row's at risk minus its events and censored, an open last interval
            that does not account for everyone.
        """
        what = "IntervalData"
        names = [arm, start, end, at_risk, events, censored]
        window = [c for c in (censor_from, censor_to) if c is not None]
        if len(window) == 1:
            raise DataError(f"{what}: give both censor_from and censor_to, or neither")
        distinct_roles(what=what, arm=arm, start=start, end=end, at_risk=at_risk, events=events,
                       censored=censored)
        require_columns(df, names + window, what=what)
        if len(df) == 0:
            raise DataError(f"{what}: the frame has no rows")
        out = pd.DataFrame(
            {
                "arm": label_column(df, arm, what=what),
                "start": require_finite_nonnegative(df, start, what=what),
                "end": require_finite_nonnegative(df, end, what=what, allow_inf=True),
                "at_risk": require_count_column(df, at_risk, what=what),
                "events": require_count_column(df, events, what=what),
                "censored": require_count_column(df, censored, what=what),
            },
            index=df.index,
        )
        if window:
            for name, col in (("censor_from", censor_from), ("censor_to", censor_to)):
                out[name] = require_window_column(df, col, what=what)
        else:
            out["censor_from"] = np.nan
            out["censor_to"] = np.nan
        present = tuple(dict.fromkeys(out["arm"]))
        if arms is None:
            arms = present
        else:
            arms = as_names(tuple(map(str, as_names(arms, field="arms", what=what))), field="arms",
                            what=what)
            if sorted(arms) != sorted(present):
                raise DataError(
                    f"{what}: arms={list(arms)} must list exactly the arms in column '{arm}' "
                    f"({list(present)})"
                )
        _validate(out, what=what)
        out = out.sort_values(["arm", "start"], key=_arm_order_key(arms), kind="stable")
        out = out.reset_index(drop=True)
        return cls(frame=out[list(COLUMNS)], arms=arms, time_unit=time_unit)

    @classmethod
    def from_landmarks(
        cls,
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
    ) -> IntervalData:
        """Build exact interval counts from published landmark survival.

        Parameters
        ----------
        landmarks : pandas.DataFrame
            One row per arm and landmark time with the published survival proportion (0-1).
        n : mapping of arm -> int
            Patients per arm.
        events : mapping of arm -> int
            Total events per arm at the data cut-off.
        follow_up : (float, float)
            Range of potential follow-up (time from start of treatment to the data cut-off) over
            the patients, e.g. from the first and last enrolment dates.
        rounding : float
            Precision of the published proportions (0.001 for percentages with one decimal).

        Raises
        ------
        DataError
            Missing, blank or duplicated columns/labels; ``n`` or ``events`` not a mapping with
            every arm and only arms, or a value that is not an ``int``; ``follow_up`` not two
            numbers; ``rounding`` not a number in (0, 1); landmarks that are not exact counts.

        Returns
        -------
        IntervalData
            Rows ``[0, t1), [t1, t2), ..., [t_last, inf)`` per arm. The first rows are closed; the
            last holds the remaining deaths and the censored, with ``follow_up`` as its window.

        Notes
        -----
        When nobody is censored before the last landmark (``follow_up[0] >= t_last``), a
        published survival proportion ``s`` at a landmark is exactly ``alive / n``. The alive
        count is ``round(n * s)``; it is accepted only if it reproduces ``s`` to within
        ``rounding / 2``, otherwise the landmarks are not exact counts and a DataError is raised.
        """
        frame = landmark_rows(landmarks, n=n, events=events, follow_up=follow_up, arm=arm, time=time,
                              survival=survival, rounding=rounding, time_unit=time_unit)
        return cls.from_frame(
            frame, censor_from="censor_from", censor_to="censor_to", time_unit=time_unit
        )

    @classmethod
    def from_survival(cls, data: SurvivalData, cutpoints: Sequence[float]) -> IntervalData:
        """Group patient-level :class:`SurvivalData` at ``cutpoints`` into a life table.

        Censored patients become actuarial rows (see the class Notes): counted as half at risk in
        their interval, which assumes censoring spread evenly through it (an approximation). An
        arm's last row ends at its last follow-up time, and patients censored exactly then (the
        usual administrative cut-off) were at risk for the whole row: they count as its survivors,
        not as censored, so a last row without other censoring is closed and exact. The counts
        conserve patients and events exactly.
        """
        c = as_cutpoints(cutpoints)
        s = data.split(c)
        last = s.groupby("patient")["interval"].transform("max").to_numpy() == s["interval"]
        s = s.assign(entered=1, cens=(last & (s["event"] == 0)).astype(int))
        g = s.groupby(["arm", "interval"], observed=True).agg(
            at_risk=("entered", "sum"), events=("event", "sum"), censored=("cens", "sum")
        )
        horizon = data.horizon
        f = data.frame
        rows = []
        for a in data.arms:
            sub = g.loc[a]
            at_end = int(((f["arm"] == a) & (f["event"] == 0) & (f["time"] == horizon[a])).sum())
            for k, r in sub.iterrows():
                # an arm's last row ends at its last follow-up time (the open interval too)
                end = min(c[k + 1], horizon[a]) if k + 1 < len(c) else horizon[a]
                if end <= c[k]:
                    raise DataError(
                        f"IntervalData.from_survival: arm '{a}' has follow-up ending at "
                        f"{horizon[a]}, not beyond the cutpoint {c[k]}; drop that cutpoint"
                    )
                censored = r.censored - (at_end if k == sub.index[-1] else 0)  # survivors of the last row
                rows.append((a, c[k], end, r.at_risk, r.events, censored, np.nan, np.nan))
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        out = cls.from_frame(frame, arms=data.arms, time_unit=data.time_unit)
        return out.with_control(data.control) if data.control is not None else out

    # -- views ------------------------------------------------------------------------------
    @property
    def n_by_arm(self) -> dict[str, int]:
        """Patients at risk at the first row of each arm."""
        first = self.frame.groupby("arm", sort=False).first()
        return {a: int(first.loc[a, "at_risk"]) for a in self.arms}

    @property
    def events_by_arm(self) -> dict[str, int]:
        """Total events per arm."""
        s = self.frame.groupby("arm", sort=False)["events"].sum()
        return {a: int(s[a]) for a in self.arms}

    @property
    def cutpoints(self) -> np.ndarray:
        """Sorted distinct interval starts over all arms (interval boundaries of the table)."""
        return np.unique(self.frame["start"].to_numpy())

    @property
    def horizon(self) -> dict[str, float]:
        """Latest time the data inform, per arm: the last finite interval end or follow-up limit."""
        out = {}
        for a, sub in self.frame.groupby("arm", sort=False):
            ends = sub["end"].to_numpy()
            cand = [*ends[np.isfinite(ends)], *sub["censor_to"].dropna().to_numpy()]
            out[a] = float(max(cand)) if cand else float(sub["start"].max())
        return {a: out[a] for a in self.arms}

    def life_table(self) -> pd.DataFrame:
        """Actuarial survival estimate at each finite row end: columns ``arm, time, survival``.

        For closed rows (no censoring) this is exact: alive / n at the row end, which for
        :meth:`from_landmarks` data reproduces the published landmark proportions.
        """
        rows = []
        for a, sub in self.frame.groupby("arm", sort=False):
            s = 1.0
            for r in sub.itertuples():
                if not np.isfinite(r.end):
                    break
                s *= 1.0 - r.events / (r.at_risk - r.censored / 2) if r.at_risk else 1.0
                rows.append((a, float(r.end), s))
        return pd.DataFrame(rows, columns=["arm", "time", "survival"])

    def require_arms(self, n: int = 2) -> None:
        """Raise DataError unless the data have at least ``n`` arms."""
        if len(self.arms) < n:
            raise DataError(
                f"IntervalData: {n} arms are needed here but the data have {len(self.arms)} "
                f"({list(self.arms)})"
            )

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{a}: n={self.n_by_arm[a]}, events={self.events_by_arm[a]}" for a in self.arms
        )
        return f"IntervalData({parts}; {len(self.frame)} rows; time in {self.time_unit})"


def _arm_order_key(arms: tuple[str, ...]):
    pos = {a: i for i, a in enumerate(arms)}

    def key(col: pd.Series) -> pd.Series:
        return col.map(pos) if col.name == "arm" else col

    return key


def _validate(f: pd.DataFrame, *, what: str) -> None:
    over = f["events"] + f["censored"] > f["at_risk"]
    if over.any():
        raise DataError(
            f"{what}: events + censored exceed at_risk in {format_rows(f.index[over])}; "
            "a row cannot lose more patients than it has at risk"
        )
    bad = f["end"] <= f["start"]
    if bad.any():
        raise DataError(f"{what}: end must be > start ({format_rows(f.index[bad])})")
    win = f["censor_from"].notna() | f["censor_to"].notna()
    if win.any():
        w = f[win]
        partial = w["censor_from"].isna() | w["censor_to"].isna()
        if partial.any():
            raise DataError(
                f"{what}: a follow-up window needs both censor_from and censor_to "
                f"({format_rows(w.index[partial])})"
            )
        wrong = (w["censor_from"] > w["censor_to"]) | (w["censor_from"] < w["start"]) | (
            w["censor_to"] > w["end"]
        )
        if wrong.any():
            raise DataError(
                f"{what}: follow-up window must satisfy start <= censor_from <= censor_to <= end "
                f"({format_rows(w.index[wrong])})"
            )
        at_start = (w["censor_to"] <= w["start"]) & (w["events"] > 0)
        if at_start.any():
            raise DataError(
                f"{what}: a follow-up window ending at the row start leaves no time for events, "
                f"but {format_rows(w.index[at_start])} have events"
            )
        leftover = w["events"] + w["censored"] != w["at_risk"]
        if leftover.any():
            raise DataError(
                f"{what}: a row with a follow-up window must account for everyone at risk "
                f"(events + censored == at_risk); it does not in {format_rows(w.index[leftover])}"
            )
    for a, sub in f.groupby("arm", sort=False):
        sub = sub.sort_values("start", kind="stable")
        if sub["at_risk"].iloc[0] <= 0:
            raise DataError(f"{what}: arm '{a}' has no patients at risk in its first row")
        if sub["start"].iloc[0] != 0:
            raise DataError(
                f"{what}: the first row of arm '{a}' starts at {sub['start'].iloc[0]}; tables start "
                "at time 0 so that at_risk of the first row is the number of patients"
            )
        ends, starts = sub["end"].to_numpy()[:-1], sub["start"].to_numpy()[1:]
        gap = ends != starts
        if gap.any():
            i = int(np.argmax(gap))
            raise DataError(
                f"{what}: rows of arm '{a}' are not contiguous: one ends at {ends[i]} and the next "
                f"starts at {starts[i]} (rows {sub.index[i]}, {sub.index[i + 1]})"
            )
        if np.isinf(sub["end"].to_numpy()[:-1]).any():
            raise DataError(f"{what}: only the last row of arm '{a}' may have end = inf")
        left = (sub["at_risk"] - sub["events"] - sub["censored"]).to_numpy()[:-1]
        nxt = sub["at_risk"].to_numpy()[1:]
        mismatch = left != nxt
        if mismatch.any():
            i = int(np.argmax(mismatch))
            raise DataError(
                f"{what}: at_risk does not add up in arm '{a}': row {sub.index[i + 1]} has "
                f"{nxt[i]} at risk but the previous row leaves {left[i]} "
                "(at_risk - events - censored)"
            )
        last = sub.iloc[-1]
        if np.isinf(last["end"]) and last["events"] + last["censored"] != last["at_risk"]:
            raise DataError(
                f"{what}: the open last row of arm '{a}' (row {sub.index[-1]}) must account for "
                f"everyone at risk: events + censored = {last['events'] + last['censored']}, "
                f"at_risk = {last['at_risk']}"
            )
        if np.isinf(last["end"]) and last["censored"] > 0 and np.isnan(last["censor_from"]):
            raise DataError(
                f"{what}: the open last row of arm '{a}' has {last['censored']} censored but no "
                "follow-up window (censor_from, censor_to): its likelihood is undefined without one"
            )
