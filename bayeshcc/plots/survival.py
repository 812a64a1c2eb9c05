"""Survival plots: take computed bands and observed points, return matplotlib objects."""

from __future__ import annotations

import pandas as pd

__all__ = ["plot_survival_bands", "plot_survival_fit"]


def plot_survival_bands(
    bands: pd.DataFrame,
    *,
    observed: pd.DataFrame | None = None,
    observed_label: str = "observed",
    km: pd.DataFrame | None = None,
    time_unit: str = "months",
    ax=None,
    title: str | None = None,
):
    """Posterior survival per arm (median line and band) with observed points overlaid.

    Parameters
    ----------
    bands : pandas.DataFrame
        From :func:`bayeshcc.results.survival.survival_bands`: ``arm, time, median, lower, upper, prob``.
    observed : pandas.DataFrame, optional
        Points ``arm, time, survival`` (e.g. published landmark survival) drawn as markers.
    observed_label : str
        Legend suffix for the points.
    km : pandas.DataFrame, optional
        Kaplan-Meier steps ``arm, time, survival`` (from ``SurvivalData.kaplan_meier()``),
        drawn as step lines.
    time_unit : str
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    prob = float(bands["prob"].iloc[0])
    for i, (arm, sub) in enumerate(bands.groupby("arm", sort=False)):
        color = f"C{i}"
        ax.plot(sub["time"], sub["median"], color=color, label=f"{arm} (posterior median)")
        ax.fill_between(sub["time"], sub["lower"], sub["upper"], color=color, alpha=0.25,
                        label=f"{arm} ({prob:.0%} band)")
        if observed is not None:
            pts = observed[observed["arm"] == arm]
            ax.plot(pts["time"], pts["survival"], "o", color=color, markeredgecolor="black",
                    label=f"{arm} ({observed_label})")
        if km is not None:
            steps = km[km["arm"] == arm]
            ax.step(steps["time"], steps["survival"], where="post", color=color, linewidth=0.9,
                    linestyle="--", label=f"{arm} (Kaplan-Meier)")
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_survival_fit(fit, *, title: str | None = None, ax=None):
    """Posterior survival bands of a :class:`~bayeshcc.SurvivalFit` with its data overlaid.

    Life tables show the published landmark survival as points; patient-level data show the
    Kaplan-Meier estimate. Returns the matplotlib Axes.
    """
    from bayeshcc.data import IntervalData
    from bayeshcc.results.survival import survival_bands

    data = fit.data
    table = isinstance(data, IntervalData)
    return plot_survival_bands(
        survival_bands(fit),
        observed=data.life_table() if table else None,
        observed_label="published landmark" if table else "",
        km=None if table else data.kaplan_meier(),
        time_unit=data.time_unit,
        title=title,
        ax=ax,
    )
