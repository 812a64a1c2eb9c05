"""The Study container: one published study's endpoints, tables, published figures and provenance."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from bayeshcc.data import AETable, BinaryData, IntervalData, OrdinalData, SurvivalSummary
from bayeshcc.errors import DataError

__all__ = ["PUBLISHED_COLUMNS", "Study"]

PUBLISHED_COLUMNS = (
    "endpoint",
    "quantity",
    "arm_or_contrast",
    "time",
    "estimate",
    "lower",
    "upper",
    "p_value",
    "p_value_text",
    "unit",
    "model",
    "source",
    "note",
)


@dataclass(frozen=True, eq=False, repr=False)
class Study:
    """A published study as bundled data: endpoints in bayeshcc containers plus the paper's figures.

    Attributes
    ----------
    name, title, citation : str
    arms : tuple of str
        The compared groups.
    n : mapping of arm -> int
        Patients per arm.
    n_patients : int
        Patients in the study (may exceed ``sum(n)`` when the comparison is of a subgroup).
    os : IntervalData or SurvivalSummary or None
        Overall survival: exact interval counts where the paper allows them, else its summary.
    pfs, spp : SurvivalSummary or None
        Progression-free survival; survival post-progression.
    os_medians : SurvivalSummary or None
        The published OS medians with their intervals, where ``os`` is a life table of the same
        patients: evidence to add to it (``model.fit([study.os, study.os_medians])``), though not
        independent of it (the same Kaplan-Meier curve), so such a fit overstates the precision.
    response : dict of str -> BinaryData
        Objective response (CR + PR) keyed by criterion, e.g. ``"RECIST"``, ``"mRECIST"``.
    response_table : pandas.DataFrame
        Best response counts, long: ``criterion, arm, category, count``.
    adverse_events : AETable or None
    baseline : dict of str -> pandas.DataFrame
        Baseline (and similar descriptive) tables keyed by table name.
    published : pandas.DataFrame
        The paper's own figures for comparison, columns ``endpoint, quantity, arm_or_contrast,
        time, estimate, lower, upper, p_value, p_value_text, unit, model, source, note``.
    notes : str
    provenance : pandas.DataFrame
        Registry rows for the study's files: ``file, description, source, notes, columns``.
    """

    name: str
    title: str
    citation: str
    arms: tuple[str, ...]
    n: Mapping[str, int]
    n_patients: int
    os: IntervalData | SurvivalSummary | None
    pfs: SurvivalSummary | None
    spp: SurvivalSummary | None
    response: dict[str, BinaryData]
    response_table: pd.DataFrame
    adverse_events: AETable | None
    baseline: dict[str, pd.DataFrame]
    published: pd.DataFrame
    notes: str = ""
    provenance: pd.DataFrame = field(default_factory=pd.DataFrame)
    os_medians: SurvivalSummary | None = None

    @property
    def endpoints(self) -> tuple[str, ...]:
        """Names of the endpoints this study provides."""
        out = [k.upper() for k in ("os", "pfs", "spp") if getattr(self, k) is not None]
        out += [f"response ({c})" for c in self.response]
        if self.adverse_events is not None:
            out.append("adverse events")
        return tuple(out)

    @property
    def ordinal_response(self) -> dict[str, OrdinalData]:
        """Best response (e.g. CR / PR / SD / PD, and NE where reported) keyed by criterion.

        Built from :attr:`response_table`, categories in the table's order (best first), with the
        control arm of :attr:`response`. Each arm's categories are checked to add up to its
        patients (:attr:`n`; a one-arm table not in :attr:`n` is the whole cohort, ``n_patients``).
        """
        out = {}
        for crit, rows in self.response_table.groupby("criterion", sort=False):
            cats = tuple(dict.fromkeys(rows["category"]))
            arms = list(dict.fromkeys(rows["arm"]))
            n = {a: self.n[a] for a in arms if a in self.n}
            n = {arms[0]: self.n_patients} if len(arms) == 1 and not n else n
            data = OrdinalData.from_frame(rows, categories=cats, criterion=str(crit), n=n or None)
            control = getattr(self.response.get(str(crit)), "control", None)
            out[str(crit)] = data.with_control(control) if control in data.arms else data
        return out

    def published_figure(self, endpoint: str, quantity: str, arm_or_contrast: str) -> pd.Series:
        """The one row of :attr:`published` for an endpoint, quantity and arm or contrast.

        Examples
        --------
        >>> import bayeshcc as bh
        >>> bh.datasets.load_huang2022().published_figure("OS", "median", "Sorafenib").estimate
        9.1

        Raises
        ------
        DataError
            If no row or more than one row matches.
        """
        p = self.published
        rows = p[(p["endpoint"] == endpoint) & (p["quantity"] == quantity) & (p["arm_or_contrast"] == arm_or_contrast)]
        if len(rows) != 1:
            raise DataError(
                f"{self.name}.published: {len(rows)} rows for endpoint={endpoint!r}, quantity={quantity!r}, "
                f"arm_or_contrast={arm_or_contrast!r}; expected exactly one"
            )
        return rows.iloc[0]

    def __repr__(self) -> str:
        arms = ", ".join(f"{a} (n={self.n[a]})" for a in self.arms)
        lines = [
            f"Study {self.name!r}: {self.title}",
            f"  patients: {self.n_patients}; arms: {arms}",
        ]
        for key in ("os", "pfs", "spp"):
            value = getattr(self, key)
            if value is not None:
                lines.append(f"  {key}: {value!r}")
        for crit, b in self.response.items():
            lines.append(f"  response[{crit!r}]: {b!r}")
        if self.adverse_events is not None:
            lines.append(f"  adverse_events: {self.adverse_events!r}")
        lines.append(f"  baseline: {', '.join(self.baseline)}")
        lines.append(
            f"  published: {len(self.published)} figures; provenance: {len(self.provenance)} files"
        )
        return "\n".join(lines)
