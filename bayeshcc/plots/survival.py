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

__all__ = ["landmark_intervals", "plot_ppc", "plot_survival_bands", "plot_survival_fit"]

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
    at_risk: bool = False,
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
    at_risk : bool
        Patient-level data only (SpecError otherwise): print the numbers at risk per arm at the
        x ticks, in rows under the axis (:func:`~bayeshcc.results.curves.numbers_at_risk`).
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
    from bayeshcc.data import IntervalData, SurvivalData
    from bayeshcc.data.evidence import Sources
    from bayeshcc.errors import SpecError
    from bayeshcc.results.survival import survival_bands

    data = fit.data
    if at_risk and not isinstance(data, SurvivalData):
        raise SpecError(f"at_risk=True needs patient-level SurvivalData; this fit's data are "
                        f"{type(data).__name__}")
    table = isinstance(data, IntervalData)
    landmarks = observed = km = None
    if isinstance(data, Sources):  # published evidence: medians at S = 0.5 and landmarks as points
        observed = published_points(data)
        ax = plot_survival_bands(
            survival_bands(fit, times, prob=prob), observed=observed if len(observed) else None,
            observed_label="published", cutpoints=fit.cutpoints, horizon=min(data.horizon.values()),
            time_unit=data.time_unit, title=title, ax=ax)
        _median_bars(ax, data, fit.arms)
        return ax
    if table:
        landmarks = landmark_intervals(data, prob=prob)
        life = data.life_table()
        exact = life.merge(landmarks[["arm", "time"]], on=["arm", "time"], how="left", indicator=True)
        observed = life[(exact["_merge"] == "left_only").to_numpy()]
    else:
        km = data.kaplan_meier()
    ax = plot_survival_bands(
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
    if at_risk:
        _at_risk_table(ax, data)
    return ax


def _at_risk_table(ax, data) -> None:
    """Numbers at risk per arm at the x ticks, as text rows under the axis; the legend moves below."""
    from matplotlib.transforms import blended_transform_factory

    from bayeshcc.results.curves import numbers_at_risk

    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    ax.set_xticks(ticks)  # fixed, so that the table stays under its ticks
    ax.set_xlim(lo, hi)
    counts = numbers_at_risk(data, ticks)
    under = blended_transform_factory(ax.transData, ax.transAxes)
    ax.text(0.0, -0.17, "Number at risk", transform=ax.transAxes, ha="left", fontsize="small",
            fontweight="bold")
    for i, arm in enumerate(data.arms):
        y = -0.23 - 0.055 * i
        ax.text(-0.05, y, arm, transform=ax.transAxes, ha="right", fontsize="small", color=f"C{i}")
        for r in counts[counts["arm"] == arm].itertuples():
            ax.text(r.time, y, str(r.at_risk), transform=under, ha="center", fontsize="small")
    legend = ax.get_legend()
    if legend is not None:
        legend.set_bbox_to_anchor((0.5, -0.26 - 0.055 * len(data.arms)), transform=ax.transAxes)


def plot_ppc(table: pd.DataFrame, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """A posterior predictive check: observed data against the replicated data's interval.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~bayeshcc.results.ppc.posterior_predictive_check`. Patient data (a ``time``
        column): each arm's observed Kaplan-Meier curve, the replicated curves' median (dashed)
        and pointwise interval, and crosses where the observed curve leaves it. Life tables: one
        row per table row, the replicated events' median and interval, the observed events
        (black diamonds) and the posterior predictive p-value.
    ax : matplotlib.axes.Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    lo = next(c for c in table.columns if c.endswith("_lower"))
    hi = lo.replace("_lower", "_upper")
    mass = lo.removeprefix("eti").removesuffix("_lower")
    unit = str(table["unit"].iloc[0]) if "unit" in table else "time units"
    if "time" not in table:
        return _plot_table_ppc(table, lo, hi, mass, ax=ax, title=title)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    for i, (arm, sub) in enumerate(table.groupby("arm", sort=False)):
        color = f"C{i}"
        t = sub["time"].to_numpy(float)
        ax.fill_between(t, sub[lo], sub[hi], step="post", color=color, alpha=0.25,
                        label=f"{arm} ({mass}% predictive band; observed outside at "
                              f"{float(sub['share_outside'].iloc[0]):.0%} of times)")
        ax.step(t, sub["median"], where="post", color=color, linestyle="--", linewidth=1,
                label=f"{arm} (predictive median)")
        ax.step(t, sub["observed"], where="post", color=color, linewidth=1.6,
                label=f"{arm} (observed Kaplan-Meier)")
        out = sub[sub["outside"].astype(bool)]
        if len(out):
            ax.plot(out["time"], out["observed"], "x", color="black", label=f"{arm} (outside the band)")
    ax.set_xlabel(f"time ({unit})")
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.legend(fontsize="small", title="posterior predictive check, pointwise bands",
              title_fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2,
              frameon=False)
    if title:
        ax.set_title(title)
    return ax


def _plot_table_ppc(table, lo, hi, mass, *, ax, title) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.45 * len(table) + 1.8))
    y = np.arange(len(table))[::-1]
    med = table["median"].to_numpy(float)
    xerr = np.vstack([med - table[lo].to_numpy(float), table[hi].to_numpy(float) - med])
    ax.errorbar(med, y, xerr=xerr, fmt="o", color="C0", capsize=3,
                label=f"replicated events (median, {mass}% interval)")
    ax.plot(table["observed"], y, "D", color="black", label="observed events")
    labels = [f"{r.arm} [{r.start:g}, {r.end:g}) {r.kind}" for r in table.itertuples()]
    ax.set_yticks(y, labels)
    for yi, r in zip(y, table.itertuples(), strict=True):
        ax.text(1.01, yi, f"p = {r.p_value:.2f}", transform=ax.get_yaxis_transform(), va="center",
                fontsize="small", color="C3" if r.outside else "black")
    ax.set_xlabel("events in the row")
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    if title:
        ax.set_title(title)
    return ax


def published_points(data) -> pd.DataFrame:
    """Published medians (as S = 0.5) and landmarks of a list of sources: ``arm, time, survival``."""
    from bayeshcc.data.evidence import LandmarkEvidence, MedianEvidence

    rows = []
    for s in data.sources:
        if isinstance(s, MedianEvidence):
            rows.append((s.arm, s.estimate, 0.5))
        elif isinstance(s, LandmarkEvidence):
            rows += [(s.arm, t, v) for t, v in zip(s.times, s.survival, strict=True)]
    return pd.DataFrame(rows, columns=["arm", "time", "survival"])


def _median_bars(ax, data, arms) -> None:
    """Horizontal bars for the published medians' intervals, in the arms' colours."""
    from bayeshcc.data.evidence import MedianEvidence

    for s in data.sources:
        if isinstance(s, MedianEvidence) and s.lower is not None and s.arm in arms:
            color = f"C{list(arms).index(s.arm)}"
            ax.hlines(0.5, s.lower, s.upper, color=color, linewidth=2.5, alpha=0.8)
