"""Plots of sample-size searches and threshold calibrations. They draw what the results computed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bayeshcc.design.calibrate import CalibrationResult
    from bayeshcc.design.search import SampleSizeResult

__all__ = ["plot_critical_hr", "plot_sample_size"]


def plot_sample_size(result: SampleSizeResult, *, ax: Axes | None = None) -> Axes:
    """Probability of success against size: simulated points, fitted curve, target and chosen size.

    Parameters
    ----------
    result : SampleSizeResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Points with +/- 2 Monte Carlo standard errors (one per simulated size), the fitted curve
        with its +/- 2 MCSE band, the target as a horizontal line and the chosen size (if any) as a
        vertical line.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    kind, value = result.target
    c, f = result.curve, result.fitted
    ax.errorbar(c["size"], c["p_success"], yerr=2 * c["mcse"], fmt="o", color="tab:blue",
                capsize=3, label="simulated (+/- 2 MCSE)")
    ax.plot(f["size"], f["p_success"], color="tab:orange", label=f"fitted ({result.model})")
    ax.fill_between(f["size"], f["p_success"] - 2 * f["mcse"], f["p_success"] + 2 * f["mcse"],
                    color="tab:orange", alpha=0.25, linewidth=0)
    ax.axhline(value, color="0.4", linestyle="--", label=f"target {kind} {value:g}")
    if result.size is not None:
        ax.axvline(result.size, color="tab:green", label=f"size {result.size}")
    ax.set_xlabel("final events" if result.vary == "events" else "patients")
    ax.set_ylabel(f"P(success) ({kind})")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_critical_hr(result: CalibrationResult, *, ax: Axes | None = None) -> Axes:
    """Critical observed hazard ratio per look (the HR a trial must see to stop for success).

    Parameters
    ----------
    result : CalibrationResult
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The normal-approximation critical HR per look (line; absent for a rule on another
        quantity) and the simulated one (markers), against the events at each look.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    t = result.table
    ax.plot(t["events"], t["critical_hr"], "o-", color="tab:blue", label="normal approximation")
    ax.plot(t["events"], t["critical_hr_simulated"], "x", color="tab:red", markersize=9,
            label="simulated (best-separating observed HR)")
    at = t["critical_hr"].where(np.isfinite(t["critical_hr"]), t["critical_hr_simulated"])
    for events, hr, look in zip(t["events"], at, t.index, strict=True):
        if np.isfinite(hr):
            ax.annotate(f"look {look}", (events, hr), textcoords="offset points", xytext=(4, -12),
                        fontsize="small")
    ax.axhline(1.0, color="0.6", linestyle=":")
    ax.set_xlabel("events at the look")
    ax.set_ylabel("critical observed hazard ratio")
    shown = t[["critical_hr", "critical_hr_simulated"]].to_numpy(float)
    shown = shown[np.isfinite(shown)]
    ax.set_ylim(0, max(1.05, float(shown.max()) + 0.05 if shown.size else 1.05))
    ax.legend(loc="lower right", fontsize="small")
    return ax
