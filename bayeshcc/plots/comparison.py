"""Arms compared: hazards over time, the hazard ratio over time, and a forest plot of a Comparison.

Plots take results and return matplotlib objects; the step tables come from
:mod:`bayeshcc.results.curves` and the forest rows from :meth:`Comparison.summary`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bayeshcc.results.comparison import Comparison
    from bayeshcc.results.survival import SurvivalFit

__all__ = ["plot_comparison_forest", "plot_hazard", "plot_hazard_ratio"]


def plot_hazard(fit: SurvivalFit, *, prob: float = 0.95, ax: Axes | None = None,
                title: str | None = None) -> Axes:
    """Posterior hazard of each arm over time: median step and equal-tailed band per interval.

    Parameters
    ----------
    fit : SurvivalFit
    prob : float
        Band mass (default 0.95).
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The steps are :func:`~bayeshcc.results.curves.hazard_bands`; intervals an arm never reaches
    (posterior = prior) are shaded grey. The open last interval is drawn to the latest horizon.
    """
    import matplotlib.pyplot as plt

    from bayeshcc.results.curves import hazard_bands

    bands = hazard_bands(fit, prob=prob)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    _draw_steps(ax, bands, "posterior median")
    unit = str(bands["unit"].iloc[0])
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel(f"hazard (events per patient-{unit.removesuffix('s')})"
                  if unit != "time units" else "hazard (per unit of time)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small", loc="best")
    if title:
        ax.set_title(title)
    return ax


def _draw_steps(ax, bands: pd.DataFrame, what: str) -> None:
    """Median steps and bands per ``arm`` of a step table; grey span where it is beyond the data."""
    lo = next(c for c in bands.columns if c.endswith("_lower"))
    hi = lo.replace("_lower", "_upper")
    mass = lo.removeprefix("eti").removesuffix("_lower")
    for i, (arm, sub) in enumerate(bands.groupby("arm", sort=False)):
        x = np.append(sub["start"].to_numpy(float), float(sub["end"].iloc[-1]))
        def step(col, s=sub):
            return np.append(s[col].to_numpy(float), float(s[col].iloc[-1]))
        ax.step(x, step("median"), where="post", color=f"C{i}", label=f"{arm} ({what})")
        ax.fill_between(x, step(lo), step(hi), step="post", color=f"C{i}", alpha=0.25,
                        label=f"{arm} ({mass}% interval)")
    beyond = bands[bands["beyond_data"].astype(bool)]
    if len(beyond):
        ax.axvspan(float(beyond["start"].min()), float(bands["end"].max()), color="0.85", alpha=0.6,
                   linewidth=0, zorder=0, label="no patient at risk (prior only)")


def plot_hazard_ratio(fit: SurvivalFit, *, treatment: str | None = None, control: str | None = None,
                      prob: float = 0.95, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Posterior hazard ratio over time: median step and equal-tailed band per interval, log scale.

    Parameters
    ----------
    fit : SurvivalFit
    treatment, control : str, optional
        Arms (defaults as :meth:`SurvivalFit.compare`).
    prob : float
        Band mass (default 0.95).
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The steps are :func:`~bayeshcc.results.curves.hazard_ratio_bands`. Per-arm and time-varying
    effects give one ratio per interval (a proportional-hazards check: do the steps differ beyond
    their bands?); a proportional effect gives one flat line. A dashed line marks HR = 1.
    """
    import matplotlib.pyplot as plt

    from bayeshcc.quantities import QUANTITIES
    from bayeshcc.results.curves import hazard_ratio_bands

    bands = hazard_ratio_bands(fit, treatment=treatment, control=control, prob=prob)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    _draw_steps(ax, bands, "posterior median")
    ax.axhline(QUANTITIES["hazard_ratio"].null, color="0.4", linestyle="--", linewidth=0.9,
               label="no difference (HR = 1)")
    ax.set_yscale("log")
    ax.set_xlabel(f"time ({bands['unit'].iloc[0]})")
    ax.set_ylabel(f"hazard ratio, {bands['arm'].iloc[0]}")
    ax.legend(fontsize="small", loc="best")
    if title:
        ax.set_title(title)
    return ax


def plot_comparison_forest(
    comparison: Comparison,
    quantities: Sequence[str] | None = None,
    *,
    prob: float | None = None,
    ax: Axes | Sequence[Axes] | None = None,
    title: str | None = None,
) -> list[Axes]:
    """Forest plot of a comparison: posterior median and equal-tailed interval per row.

    Parameters
    ----------
    comparison : Comparison
    quantities : sequence of str, optional
        Quantities to draw, one panel each (their scales differ). Default: the contrasts of the
        registry (:data:`bayeshcc.quantities.QUANTITIES`) present in the comparison. A name not
        in the comparison raises SpecError listing those that are.
    prob : float, optional
        Interval mass (default the comparison's).
    ax : Axes or sequence of Axes, optional
        One Axes per quantity (a single Axes for a single quantity).
    title : str, optional
        Title of the first panel.

    Returns
    -------
    list of matplotlib.axes.Axes
        One per quantity. Rows are the quantity's arms, times or intervals; a dashed line marks
        the registry's null value (1 for ratios, 0 for differences; none for per-arm
        quantities); ratios use a log axis. Rows whose median or bounds are not finite (a median
        not reached) are labelled "not estimable" instead of drawn; prior-only rows are hollow.
    """
    import matplotlib.pyplot as plt

    from bayeshcc.errors import SpecError
    from bayeshcc.quantities import QUANTITIES

    table = comparison.summary(prob)
    present = list(dict.fromkeys(table["quantity"]))
    if quantities is None:
        quantities = [q for q in present if q in QUANTITIES]
    quantities = [quantities] if isinstance(quantities, str) else list(quantities)
    unknown = [q for q in quantities if q not in present]
    if unknown or not quantities:
        raise SpecError(f"quantities: {unknown or quantities} not in this comparison; it has {present}")
    if ax is None:
        rows = [int((table["quantity"] == q).sum()) for q in quantities]
        _, axes = plt.subplots(len(quantities), 1, figsize=(7, 0.45 * sum(rows) + 1.2 * len(quantities)),
                               gridspec_kw={"height_ratios": [r + 1 for r in rows]}, squeeze=False,
                               layout="constrained")
        axes = list(axes[:, 0])
    else:
        axes = [ax] if not isinstance(ax, Sequence | np.ndarray) else list(np.ravel(ax))
        if len(axes) != len(quantities):
            raise SpecError(f"ax: {len(axes)} Axes for {len(quantities)} quantities {quantities}")
    lo = next(c for c in table.columns if c.endswith("_lower"))
    hi = lo.replace("_lower", "_upper")
    mass = lo.removeprefix("eti").removesuffix("_lower")
    for i, (axis, name) in enumerate(zip(axes, quantities, strict=True)):
        _forest_panel(axis, table[table["quantity"] == name].reset_index(drop=True), name, lo, hi, mass,
                      comparison.time_unit, legend=i == 0)
    if title:
        axes[0].set_title(title)
    return axes


def _forest_panel(ax, rows: pd.DataFrame, name: str, lo: str, hi: str, mass: str, time_unit, *,
                  legend: bool) -> None:
    from bayeshcc.quantities import QUANTITIES

    q = QUANTITIES.get(name)
    y = np.arange(len(rows))[::-1]
    med, low, high = (rows[c].to_numpy(float) for c in ("median", lo, hi))
    finite = np.isfinite(med) & np.isfinite(low) & np.isfinite(high)
    for solid in (True, False):
        sel = finite & (rows["prior_only"].to_numpy(bool) != solid)
        if sel.any():
            ax.errorbar(med[sel], y[sel], xerr=np.vstack([med[sel] - low[sel], high[sel] - med[sel]]),
                        fmt="o", color="C0", ecolor="C0", capsize=3, mfc="C0" if solid else "white",
                        label=f"median, {mass}% interval" + ("" if solid else " (prior only)"))
    if q is not None:
        ax.axvline(q.null, color="0.4", linestyle="--", linewidth=0.9, label="no difference")
        if q.unit == "ratio":
            ax.set_xscale("log")
    for yi in y[~finite]:
        ax.text(0.5, yi, "not estimable (median not reached)", transform=ax.get_yaxis_transform(),
                ha="center", va="center", fontsize="small", color="0.3")
    ax.set_yticks(y, [_row_label(r, q, time_unit) for r in rows.itertuples()])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    unit = str(rows["unit"].iloc[0]) if len(rows) else ""
    shown = {"probability": "", "ratio": "", "": ""}.get(unit, f" ({unit})")
    ax.set_xlabel(f"{q.symbol if q else name}{shown}")
    if legend:  # the same markers in every panel: one legend
        ax.legend(fontsize="small", loc="best")


def _row_label(r, q, time_unit) -> str:
    parts = [q.symbol if q is not None else r.quantity]
    if r.arm:
        parts.append(str(r.arm))
    if r.interval:
        parts.append(str(r.interval))
    if np.isfinite(r.time):
        parts.append(f"at {r.time:g}" + (f" {time_unit}" if time_unit else ""))
    if np.isfinite(r.tau):
        parts.append(f"to {r.tau:g}" + (f" {time_unit}" if time_unit else ""))
    return " ".join(parts)
