"""Cox regression plots: coefficient forest plot; standardised survival bands against Kaplan-Meier."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bayeshcc.results.cox import CoxFit

__all__ = ["plot_forest", "plot_standardised_survival"]


def plot_forest(summary: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Hazard ratio per term: posterior median and equal-tailed interval on a log axis.

    Parameters
    ----------
    summary : pandas.DataFrame
        ``CoxFit.summary(prob=...)``: the ``scale == "HR"`` rows are drawn; the interval mass is
        read from the bound column names and written in the axis label.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    rows = summary[summary["scale"] == "HR"].reset_index(drop=True)
    lo = next(c for c in rows.columns if c.endswith("_lower"))
    hi = lo.replace("_lower", "_upper")
    mass = lo.removeprefix("eti").removesuffix("_lower")
    labels = rows["term"] + (" " + rows["interval"] if "interval" in rows else "")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.5 * len(rows) + 1.5))
    y = np.arange(len(rows))[::-1]
    med = rows["median"].to_numpy(float)
    ax.errorbar(med, y, xerr=np.vstack([med - rows[lo].to_numpy(float), rows[hi].to_numpy(float) - med]),
                fmt="o", color="C0", ecolor="C0", capsize=3, label=f"posterior median, {mass}% interval")
    ax.axvline(1.0, color="0.5", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"hazard ratio (posterior median, {mass}% equal-tailed interval)")
    ax.legend(loc="best", fontsize="small")
    if title or summary.attrs.get("note"):
        ax.set_title("\n".join(t for t in (title, summary.attrs.get("note")) if t), fontsize="small")
    return ax


def plot_standardised_survival(fit: CoxFit, *, prob: float = 0.95, ax: Axes | None = None,
                               title: str | None = None) -> Axes:
    """Standardised survival per arm (median and pointwise band) with each arm's Kaplan-Meier curve.

    A posterior predictive check: the g-computed survival of each arm, averaged over the sample's
    covariates, should follow the arm's Kaplan-Meier curve when the model fits.
    """
    from bayeshcc.plots.survival import plot_survival_bands
    from bayeshcc.results.cox import standardised_bands

    bands = standardised_bands(fit, prob=prob)
    ax = plot_survival_bands(bands, km=fit.data.kaplan_meier(), cutpoints=fit.cutpoints, ax=ax,
                             title=title)
    ax.set_ylabel("standardised survival (g-computation over the sample)")
    if fit.data_note:
        ax.set_title(f"{ax.get_title()}\n{fit.data_note}".strip(), fontsize="small")
    return ax
