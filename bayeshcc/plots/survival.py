"""Survival plots: take computed bands and observed points, return matplotlib objects.

The one computation here, :func:`landmark_intervals`, is a pure function kept apart from the
drawing so that it can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bayeshcc.data import IntervalData
    from bayeshcc.results.survival import SurvivalFit

__all__ = ["landmark_intervals", "plot_survival_bands", "plot_survival_fit"]

EXTRAPOLATION_LABEL = "extrapolation (beyond the data)"


def landmark_intervals(data: IntervalData, *, prob: float = 0.95) -> pd.DataFrame:
    """Exact landmark survival proportions of a life table with Clopper-Pearson intervals.

    Parameters
    ----------
    data : IntervalData
    prob : float
        Interval mass (default 0.95), in (0, 1); SpecError otherwise.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm, time, survival, alive, n, lower, upper, prob``: one row per finite row end
        reached before any censoring in the arm, where ``survival = alive / n`` exactly.

    Notes
    -----
    While nobody in an arm has been censored (its rows so far are closed: no censored patients,
    no follow-up window), every one of the arm's ``n`` patients is followed to the row end ``t``,
    so the number alive at ``t`` is Binomial(n, S(t)). The interval is Clopper-Pearson's (1934)
    exact one: ``Beta((1 - prob)/2; k, n - k + 1)`` to ``Beta((1 + prob)/2; k + 1, n - k)``, with
    0 and 1 at ``k = 0`` and ``k = n``; its coverage is at least ``prob``. Landmarks after the
    first censoring are not binomial proportions of ``n`` and are left out (the life table still
    gives an actuarial estimate there, see :meth:`IntervalData.life_table`).
    """
    from scipy import stats

    from bayeshcc.diagnostics import check_prob

    check_prob(prob)
    rows = []
    for arm, sub in data.frame.groupby("arm", sort=False):
        n = int(sub["at_risk"].iloc[0])
        for r in sub.itertuples():
            if not np.isfinite(r.end) or r.censored > 0 or not np.isnan(r.censor_from):
                break
            rows.append((arm, float(r.end), r.at_risk - r.events, n))
    out = pd.DataFrame(rows, columns=["arm", "time", "alive", "n"]).astype({"alive": int, "n": int})
    k, n = out["alive"].to_numpy(), out["n"].to_numpy()
    a = (1 - prob) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(k > 0, stats.beta.ppf(a, k, n - k + 1), 0.0)
        upper = np.where(k < n, stats.beta.ppf(1 - a, k + 1, n - k), 1.0)
    out.insert(2, "survival", k / n if len(out) else np.empty(0))
    return out.assign(lower=lower, upper=upper, prob=prob)


def plot_survival_bands(
    bands: pd.DataFrame,
    *,
    observed: pd.DataFrame | None = None,
    observed_label: str = "observed",
    km: pd.DataFrame | None = None,
    landmarks: pd.DataFrame | None = None,
    landmark_label: str = "published landmark",
    cutpoints: Sequence[float] | None = None,
    horizon: float | None = None,
    time_unit: str | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Posterior survival per arm (median line and pointwise band) with the data overlaid.

    Parameters
    ----------
    bands : pandas.DataFrame
        From :func:`bayeshcc.results.survival.survival_bands`: ``arm, time, median, lower, upper,
        prob`` and optionally ``unit``.
    observed : pandas.DataFrame, optional
        Points ``arm, time, survival`` drawn as markers without intervals.
    observed_label : str
        Legend suffix for the points.
    km : pandas.DataFrame, optional
        Kaplan-Meier steps ``arm, time, survival`` (from ``SurvivalData.kaplan_meier()``),
        drawn as step lines.
    landmarks : pandas.DataFrame, optional
        Landmark survival with its interval, ``arm, time, survival, lower, upper, prob`` (from
        :func:`landmark_intervals`): markers with vertical error bars.
    landmark_label : str
        Legend text for the landmarks; their interval mass and "Clopper-Pearson binomial CI" are
        appended.
    cutpoints : sequence of float, optional
        Interval starts of the piecewise model; those after 0 and within the plotted times are
        marked by light dotted vertical lines (one legend entry, "cutpoints").
    horizon : float, optional
        Latest time the data inform. Times beyond it are shaded grey and labelled
        "extrapolation (beyond the data)": there the curves are the model's constant last hazard.
    time_unit : str, optional
        Unit for the time axis; default the bands' ``unit`` column, else "time units".
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The bands are pointwise, not simultaneous: at each time the band holds ``prob`` of the
    posterior of S(t) at that time, but the whole curve leaves the band somewhere with a
    probability larger than ``1 - prob``. The legend says so.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    prob = float(bands["prob"].iloc[0])
    t_max = float(bands["time"].max())
    if time_unit is None:
        time_unit = str(bands["unit"].iloc[0]) if "unit" in bands else "time units"
    if horizon is not None and horizon < t_max:
        ax.axvspan(horizon, t_max, color="0.85", alpha=0.6, linewidth=0, zorder=0,
                   label=EXTRAPOLATION_LABEL)
    if cutpoints is not None:
        marks = [c for c in np.asarray(cutpoints, dtype=float) if 0 < c <= t_max]
        for j, c in enumerate(marks):
            ax.axvline(c, color="0.6", linestyle=":", linewidth=0.8, zorder=0.5,
                       label="cutpoints" if j == 0 else "_nolegend_")
    for i, (arm, sub) in enumerate(bands.groupby("arm", sort=False)):
        color = f"C{i}"
        ax.plot(sub["time"], sub["median"], color=color, label=f"{arm} (posterior median)")
        ax.fill_between(sub["time"], sub["lower"], sub["upper"], color=color, alpha=0.25,
                        label=f"{arm} ({prob:.0%} pointwise band)")
        if observed is not None:
            pts = observed[observed["arm"] == arm]
            ax.plot(pts["time"], pts["survival"], "o", color=color, markeredgecolor="black",
                    label=f"{arm} ({observed_label})")
        if landmarks is not None:
            lm = landmarks[landmarks["arm"] == arm]
            if len(lm):
                y = lm["survival"].to_numpy(dtype=float)
                yerr = np.vstack([y - lm["lower"].to_numpy(dtype=float),
                                  lm["upper"].to_numpy(dtype=float) - y])
                ax.errorbar(lm["time"].to_numpy(dtype=float), y, yerr=yerr, fmt="o", color=color,
                            markeredgecolor="black", ecolor="black", elinewidth=0.9, capsize=3,
                            label=f"{arm} ({landmark_label}, {float(lm['prob'].iloc[0]):.0%} "
                                  "Clopper-Pearson binomial CI)")
        if km is not None:
            steps = km[km["arm"] == arm]
            ax.step(steps["time"], steps["survival"], where="post", color=color, linewidth=0.9,
                    linestyle="--", label=f"{arm} (Kaplan-Meier)")
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    # below the axes: inside, it would hide the curves and landmarks it explains
    ax.legend(fontsize="small", title="bands are pointwise, not simultaneous", title_fontsize="small",
              loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    if title:
        ax.set_title(title)
    return ax


def plot_survival_fit(
    fit: SurvivalFit,
    *,
    times: Sequence[float] | None = None,
    prob: float = 0.95,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Posterior survival bands of a :class:`~bayeshcc.SurvivalFit` with its data overlaid.

    Parameters
    ----------
    fit : SurvivalFit
    times : sequence of float, optional
        Times of the bands (default: from 0 to the shortest arm horizon, as
        :func:`~bayeshcc.results.survival.survival_bands`). Times beyond the data horizon are
        shaded as extrapolation.
    prob : float
        Mass of the pointwise bands and of the landmarks' binomial intervals (default 0.95).
    title : str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Life tables show landmark survival reached before any censoring as points with
    Clopper-Pearson intervals (:func:`landmark_intervals`) and later life-table estimates as
    plain points; patient-level data show the Kaplan-Meier estimate. The model's cutpoints are
    marked, and the horizon is the shortest arm horizon (``min(fit.data.horizon.values())``):
    beyond it at least one arm's curve is extrapolated.
    """
    from bayeshcc.data import IntervalData
    from bayeshcc.results.survival import survival_bands

    data = fit.data
    table = isinstance(data, IntervalData)
    landmarks = observed = km = None
    if table:
        landmarks = landmark_intervals(data, prob=prob)
        life = data.life_table()
        exact = life.merge(landmarks[["arm", "time"]], on=["arm", "time"], how="left", indicator=True)
        observed = life[(exact["_merge"] == "left_only").to_numpy()]
    else:
        km = data.kaplan_meier()
    return plot_survival_bands(
        survival_bands(fit, times, prob=prob),
        observed=observed if observed is not None and len(observed) else None,
        observed_label="life-table estimate",
        km=km,
        landmarks=landmarks,
        cutpoints=fit.cutpoints,
        horizon=min(data.horizon.values()),
        time_unit=data.time_unit,
        title=title,
        ax=ax,
    )
