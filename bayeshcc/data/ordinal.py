"""Ordinal outcome counts per arm (best response CR / PR / SD / PD, with not-evaluated patients)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.data._checks import (
    NamedControl,
    arm_mapping,
    as_names,
    distinct_roles,
    label_column,
    require_columns,
    require_count,
    require_count_column,
    require_rows,
)
from bayeshcc.data.binary import BinaryData
from bayeshcc.errors import DataError, format_rows

__all__ = ["OrdinalData"]


@dataclass(frozen=True, eq=False, repr=False)
class OrdinalData(NamedControl):
    """Counts of an ordered outcome per arm, e.g. best response CR/PR/SD/PD.

    Attributes
    ----------
    frame : pandas.DataFrame
        Columns ``arm, category, count``; every arm has every category (zeros included).
    arms : tuple of str
    categories : tuple of str
        In order, best first.
    criterion : str or None
    control : str or None
        The control arm, where the data name one (:meth:`with_control`); models default to it.
    """

    frame: pd.DataFrame
    arms: tuple[str, ...]
    categories: tuple[str, ...]
    criterion: str | None = None
    control: str | None = None

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        arm: str = "arm",
        category: str = "category",
        count: str = "count",
        categories: Sequence[str] = ("CR", "PR", "SD", "PD"),
        criterion: str | None = None,
        n: Mapping[str, int] | None = None,
    ) -> OrdinalData:
        """Validate a long table of counts by arm and category.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per arm and category.
        arm, category, count : str
            Column names.
        categories : sequence of str
            The categories in order, best first (include a not-evaluated category, e.g. ``"NE"``,
            where the source reports one).
        criterion : str, optional
            E.g. ``"RECIST"`` or ``"mRECIST"``; named in messages and results.
        n : mapping of arm -> int, optional
            Patients per arm as the source reports them (e.g. the arm sizes in a table's header).
            When given, every arm's categories must add up to its ``n``: a patient missing from
            the table (or counted twice) is an error, not a silent change of denominator.

        Raises
        ------
        DataError
            Missing or duplicated columns, one column given for two roles, no rows, missing
            labels or one label spelt two ways (``"PR"`` and ``"pr"``), categories not in
            ``categories`` (or ``categories`` empty or repeating a name), an arm missing a
            category or listing one twice, non-numeric, negative or non-integer counts, an arm
            with no patients; ``n`` not a whole number for every arm, or an arm whose
            categories do not add up to its ``n`` (the message names the arm and criterion, the
            counts, their sum and ``n``).

        Examples
        --------
        >>> import pandas as pd, bayeshcc as bh
        >>> df = pd.DataFrame({"arm": ["HAIC"] * 4, "category": ["CR", "PR", "SD", "PD"],
        ...                    "count": [3, 19, 22, 10]})
        >>> bh.OrdinalData.from_frame(df, criterion="mRECIST", n={"HAIC": 55})
        Traceback (most recent call last):
        ...
        bayeshcc.errors.DataError: OrdinalData: arm 'HAIC' (mRECIST): the categories add up to 54 (CR 3 + PR 19 + SD 22 + PD 10), not n = 55; every patient must be in exactly one category (add a not-evaluated category, e.g. NE, for patients without an assessment)
        """
        what = "OrdinalData"
        distinct_roles(what=what, arm=arm, category=category, count=count)
        require_columns(df, [arm, category, count], what=what)
        require_rows(df, what=what, expected="one row per arm and category")
        arms = label_column(df, arm, what=what)
        cats = label_column(df, category, what=what, noun="category")
        categories = as_names(
            tuple(str(c) for c in as_names(categories, field="categories", what=what)),
            field="categories", what=what,
        )
        if len(categories) < 2:
            raise DataError(
                f"{what}: categories must list at least two ordered categories, got "
                f"{list(categories)}"
            )
        unknown = ~np.isin(cats, categories)
        if unknown.any():
            raise DataError(
                f"{what}: column '{category}' has values {sorted(set(cats[unknown]))} not in "
                f"categories={list(categories)} ({format_rows(df.index[unknown])})"
            )
        k = require_count_column(df, count, what=what)
        frame = pd.DataFrame({"arm": arms, "category": cats, "count": k})
        dup = frame.duplicated(["arm", "category"]).to_numpy()
        if dup.any():
            raise DataError(
                f"{what}: arm/category pairs repeated in {format_rows(df.index[dup])}"
            )
        order = tuple(dict.fromkeys(arms))
        for a in order:
            have = set(frame.loc[frame["arm"] == a, "category"])
            missing = [c for c in categories if c not in have]
            if missing:
                raise DataError(
                    f"{what}: arm '{a}' has no row for categories {missing}; give zeros explicitly"
                )
            if frame.loc[frame["arm"] == a, "count"].sum() == 0:
                raise DataError(f"{what}: arm '{a}' has no patients")
        frame["category"] = pd.Categorical(frame["category"], categories=list(categories))
        frame = frame.sort_values(["arm", "category"], key=lambda c: c.map(
            {a: i for i, a in enumerate(order)}) if c.name == "arm" else c).reset_index(drop=True)
        if n is not None:
            _check_arm_totals(frame, n, order, what=what, criterion=criterion)
        return cls(frame=frame, arms=order, categories=categories, criterion=criterion)

    @property
    def n(self) -> dict[str, int]:
        """Patients per arm: the sum of the arm's categories (equal to the ``n`` given, if any)."""
        return {a: int(v) for a, v in self.table.sum(axis=1).items()}

    @property
    def table(self) -> pd.DataFrame:
        """Counts as an arm x category table."""
        t = self.frame.pivot(index="arm", columns="category", values="count")
        return t.loc[list(self.arms), list(self.categories)]

    def to_binary(self, responders: Sequence[str] = ("CR", "PR")) -> BinaryData:
        """Collapse to responders / n, e.g. objective response = CR + PR."""
        what = "OrdinalData.to_binary"
        responders = [str(r) for r in as_names(responders, field="responders", what=what)]
        unknown = [r for r in responders if r not in self.categories]
        if unknown:
            raise DataError(
                f"OrdinalData.to_binary: responders {unknown} are not categories "
                f"{list(self.categories)}"
            )
        t = self.table
        df = pd.DataFrame(
            {
                "arm": list(self.arms),
                "responders": t[responders].sum(axis=1).to_numpy(),
                "n": t.sum(axis=1).to_numpy(),
            }
        )
        out = BinaryData.from_frame(df, criterion=self.criterion)
        return out.with_control(self.control) if self.control is not None else out

    def __repr__(self) -> str:
        crit = f"{self.criterion}: " if self.criterion else ""
        return f"OrdinalData({crit}\n{self.table.to_string()})"


def _check_arm_totals(frame: pd.DataFrame, n: object, arms: Sequence[str], *, what: str,
                      criterion: str | None) -> None:
    """Each arm's categories add up to its reported number of patients."""
    totals = {a: require_count(v, name=f"n[{a!r}]", what=what)
              for a, v in arm_mapping(n, arms, field="n", what=what).items()}
    crit = f" ({criterion})" if criterion else ""
    for a in arms:
        rows = frame[frame["arm"] == a]
        parts = " + ".join(f"{c} {k}" for c, k in zip(rows["category"], rows["count"], strict=True))
        total = int(rows["count"].sum())
        if total != totals[a]:
            raise DataError(
                f"{what}: arm {a!r}{crit}: the categories add up to {total} ({parts}), not "
                f"n = {totals[a]}; every patient must be in exactly one category (add a "
                "not-evaluated category, e.g. NE, for patients without an assessment)"
            )
