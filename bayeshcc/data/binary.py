"""Counts per arm: binary response (responders / n) and adverse-event tables (ordinal: ``ordinal.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bayeshcc.data._checks import (
    NamedControl,
    distinct_roles,
    label_column,
    require_columns,
    require_count_column,
    require_rows,
)
from bayeshcc.errors import DataError, format_rows

__all__ = ["AETable", "BinaryData"]


@dataclass(frozen=True, eq=False, repr=False)
class BinaryData(NamedControl):
    """Responders out of n per arm, optionally tagged with the response criterion.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``arm, responders, n``; one row per arm.
    arms : tuple of str
    criterion : str or None
        E.g. ``"RECIST"`` or ``"mRECIST"``.
    control : str or None
        The control arm, where the data name one (:meth:`with_control`); models default to it.
    """

    frame: pd.DataFrame
    arms: tuple[str, ...]
    criterion: str | None = None
    control: str | None = None

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        arm: str = "arm",
        responders: str = "responders",
        n: str = "n",
        criterion: str | None = None,
    ) -> BinaryData:
        """Validate one row per arm of responder counts.

        Raises
        ------
        DataError
            Missing or duplicated columns, one column given for two roles, no rows, missing or
            repeated arms, one arm spelt two ways (``"HAIC"`` and ``"HAIC "``), non-numeric
            (text, True/False, complex), negative or non-integer counts, ``n == 0`` or
            responders > n.

        Examples
        --------
        >>> import pandas as pd, bayeshcc as bh
        >>> df = pd.DataFrame({"arm": ["HAIC", "Sorafenib"], "responders": [18, 1], "n": [55, 59]})
        >>> bh.BinaryData.from_frame(df, criterion="RECIST")
        BinaryData(RECIST: HAIC 18/55, Sorafenib 1/59)
        """
        what = "BinaryData"
        distinct_roles(what=what, arm=arm, responders=responders, n=n)
        require_columns(df, [arm, responders, n], what=what)
        require_rows(df, what=what, expected="one row per arm")
        arms = label_column(df, arm, what=what)
        dup = pd.Series(arms).duplicated().to_numpy()
        if dup.any():
            raise DataError(
                f"{what}: column '{arm}' repeats arm(s) {sorted(set(arms[dup]))} "
                f"({format_rows(df.index[dup])}); one row per arm"
            )
        y = require_count_column(df, responders, what=what)
        m = require_count_column(df, n, what=what)
        zero = m == 0
        if zero.any():
            raise DataError(f"{what}: column '{n}' must be > 0 ({format_rows(df.index[zero])})")
        over = y > m
        if over.any():
            raise DataError(
                f"{what}: responders exceed n in {format_rows(df.index[over])} "
                f"({y[over].tolist()} > {m[over].tolist()})"
            )
        frame = pd.DataFrame({"arm": arms, "responders": y, "n": m})
        return cls(frame=frame, arms=tuple(arms), criterion=criterion)

    @property
    def responders(self) -> dict[str, int]:
        """Responders per arm."""
        return dict(zip(self.frame["arm"], self.frame["responders"].astype(int), strict=True))

    @property
    def n(self) -> dict[str, int]:
        """Patients per arm."""
        return dict(zip(self.frame["arm"], self.frame["n"].astype(int), strict=True))

    def __repr__(self) -> str:
        crit = f"{self.criterion}: " if self.criterion else ""
        parts = ", ".join(f"{r.arm} {r.responders}/{r.n}" for r in self.frame.itertuples())
        return f"BinaryData({crit}{parts})"


@dataclass(frozen=True, eq=False, repr=False)
class AETable(NamedControl):
    """Adverse-event counts by body system, event, arm and grade band.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``system, event, arm, grade, count, n`` (``n`` is the arm's number of patients).
    arms : tuple of str
    control : str or None
        The control arm, where the data name one (:meth:`with_control`); models default to it.
    """

    frame: pd.DataFrame
    arms: tuple[str, ...]
    control: str | None = None

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        system: str = "system",
        event: str = "event",
        arm: str = "arm",
        grade: str = "grade",
        count: str = "count",
        n: str = "n",
    ) -> AETable:
        """Validate a long adverse-event table.

        Raises
        ------
        DataError
            Missing or duplicated columns, one column given for two roles, no rows, missing
            labels or one label spelt two ways (``"Nausea"`` and ``"nausea"``), non-numeric,
            negative or non-integer counts, ``n == 0``, count > n, an arm whose ``n`` differs
            between rows, repeated system/event/arm/grade rows, a grade ``"3-4"`` count above
            the ``"any"`` grade count of the same event and arm.
        """
        what = "AETable"
        distinct_roles(what=what, system=system, event=event, arm=arm, grade=grade, count=count,
                       n=n)
        require_columns(df, [system, event, arm, grade, count, n], what=what)
        require_rows(df, what=what, expected="one row per system, event, arm and grade")
        arms = label_column(df, arm, what=what)
        labels = {c: label_column(df, c, what=what, noun=r) for c, r in
                  ((system, "system"), (event, "event"), (grade, "grade"))}
        k = require_count_column(df, count, what=what)
        m = require_count_column(df, n, what=what)
        zero = m == 0
        if zero.any():
            raise DataError(
                f"{what}: column '{n}' (patients in the arm) must be > 0; arm(s) "
                f"{sorted(set(arms[zero]))} have n = 0 ({format_rows(df.index[zero])})"
            )
        over = k > m
        if over.any():
            raise DataError(
                f"{what}: count exceeds n in {format_rows(df.index[over])}; an event cannot "
                "affect more patients than the arm has"
            )
        frame = pd.DataFrame(
            {
                "system": labels[system],
                "event": labels[event],
                "arm": arms,
                "grade": labels[grade],
                "count": k,
                "n": m,
            }
        )
        per_arm = frame.groupby("arm")["n"].nunique()
        if (per_arm > 1).any():
            bad = per_arm.index[per_arm > 1].tolist()
            raise DataError(f"{what}: arm(s) {bad} have different n in different rows")
        dup = frame.duplicated(["system", "event", "arm", "grade"]).to_numpy()
        if dup.any():
            raise DataError(
                f"{what}: system/event/arm/grade repeated in {format_rows(df.index[dup])}"
            )
        _check_nested_grades(frame, df.index, what=what)
        return cls(frame=frame, arms=tuple(dict.fromkeys(arms)))

    @property
    def n(self) -> dict[str, int]:
        """Patients per arm."""
        g = self.frame.groupby("arm")["n"].first()
        return {a: int(g[a]) for a in self.arms}

    def __repr__(self) -> str:
        ev = self.frame[["system", "event"]].drop_duplicates()
        arms = ", ".join(f"{a} n={m}" for a, m in self.n.items())
        return f"AETable({len(ev)} events in {ev['system'].nunique()} systems; {arms})"


def _check_nested_grades(frame: pd.DataFrame, index: pd.Index, *, what: str) -> None:
    """Grade 3-4 patients are a subset of any-grade patients: refuse a 3-4 count above ``any``."""
    key = ["system", "event", "arm"]
    severe = frame[frame["grade"] == "3-4"].reset_index()
    anyg = frame[frame["grade"] == "any"]
    if severe.empty or anyg.empty:
        return
    both = severe.merge(anyg[[*key, "count"]], on=key, suffixes=("", "_any"))
    bad = both[both["count"] > both["count_any"]]
    if not bad.empty:
        r = bad.iloc[0]
        raise DataError(
            f"{what}: grade '3-4' count exceeds the 'any' grade count in "
            f"{format_rows(index[bad['index'].to_numpy()])} ({r.event!r}, arm {r.arm!r}: "
            f"{int(r['count'])} > {int(r.count_any)}); grade 3-4 patients are among those with "
            "the event at any grade"
        )
