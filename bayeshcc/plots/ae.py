"""Adverse-event plots from an :class:`~bayeshcc.AEComparison`: forest and volcano plots."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from bayeshcc.results.ae import AEComparison

__all__ = ["plot_ae", "plot_ae_forest", "plot_ae_volcano"]


def _rows(comparison: AEComparison, grade: str | None, prob: float | None):
    table = comparison.summary(prob)
    table = table[table["quantity"] == "ae_risk_difference"]
    grades = list(dict.fromkeys(table["grade"]))
    grade = grades[0] if grade is None else grade
    if grade not in grades:
        from bayeshcc.errors import SpecError

        raise SpecError(f"grade: {grade!r} is not in this comparison; available: {grades}")
    lo, hi = (c for c in table.columns if c.startswith("eti"))
    return table[table["grade"] == grade].reset_index(drop=True), grade, lo, hi


def plot_ae_forest(comparison: AEComparison, *, grade: str | None = None, prob: float | None = None,
                   ax: Axes | None = None) -> Axes:
    """Forest plot of each event's risk difference, grouped by body system.

    Parameters
    ----------
    comparison : AEComparison
        From :meth:`bayeshcc.AEFit.compare`.
    grade : str, optional
        Grade band (default: the first in the comparison).
    prob : float, optional
        Interval mass (default: the comparison's).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One row per event (body systems separated by rules and labelled): the posterior mean
        with its equal-tailed interval (line, filled dot) beside the raw difference (open
        circle).
    """
    import matplotlib.pyplot as plt

    t, grade, lo, hi = _rows(comparison, grade, prob)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.32 * len(t) + 1.5))
    y = -np.arange(len(t), dtype=float)
    ax.hlines(y, t[lo], t[hi], color="C0", linewidth=2, label=f"posterior {lo[3:5]}% interval")
    ax.plot(t["mean"], y, "o", color="C0", markersize=5, label="posterior mean")
    ax.plot(t["observed"], y, "o", markerfacecolor="none", markeredgecolor="C3", markersize=6,
            label="raw difference")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, t["event"])
    systems = t["system"].to_numpy()
    starts = [i for i in range(len(t)) if i == 0 or systems[i] != systems[i - 1]]
    for i in starts:
        if i:
            ax.axhline(y[i] + 0.5, color="0.8", linewidth=0.8)
        ax.annotate(systems[i], xy=(1.0, y[i]), xycoords=("axes fraction", "data"), xytext=(4, 0),
                    textcoords="offset points", fontsize="x-small", color="0.35", va="center")
    ax.set_xlabel(f"risk difference ({comparison.treatment} - {comparison.control})")
    ax.set_title(f"grade {grade}", fontsize="medium")
    ax.legend(frameon=False, fontsize="x-small", loc="lower left")
    return ax


def plot_ae_volcano(comparison: AEComparison, *, grade: str | None = None, threshold: float = 0.9,
                    ax: Axes | None = None) -> Axes:
    """Volcano plot: posterior mean risk difference against P(risk higher on treatment).

    Events above ``threshold`` (higher on treatment) or below ``1 - threshold`` (lower) are
    labelled; dashed lines mark the two bars.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    t, grade, _, _ = _rows(comparison, grade, None)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    high, low = t["p_higher"] > threshold, t["p_higher"] < 1 - threshold
    colours = np.where(high, "C3", np.where(low, "C2", "0.55"))
    ax.scatter(t["mean"], t["p_higher"], c=list(colours), s=28, zorder=3)
    for bar in (threshold, 1 - threshold):
        ax.axhline(bar, color="0.5", linestyle="--", linewidth=0.8)
    ax.axvline(0, color="black", linewidth=0.8)
    for r in t[high | low].itertuples():
        ax.annotate(r.event, (r.mean, r.p_higher), xytext=(4, 2), textcoords="offset points",
                    fontsize="x-small")
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel(f"posterior mean risk difference ({comparison.treatment} - {comparison.control})")
    ax.set_ylabel("P(risk higher on treatment | data)")
    ax.set_title(f"grade {grade}", fontsize="medium")
    return ax


def plot_ae(comparison: AEComparison, *, title: str | None = None, threshold: float = 0.9) -> Figure:
    """Forest plot (top) and volcano plot (bottom) for every grade band, side by side.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    grades = list(dict.fromkeys(comparison.draws.coords["grade"].values))
    n_events = max(int((comparison.draws.coords["grade"].values == g).sum()) for g in grades)
    fig, axes = plt.subplots(2, len(grades), squeeze=False, figsize=(7.5 * len(grades), 0.3 * n_events + 6.5),
                             gridspec_kw={"height_ratios": [max(n_events, 4) * 0.3, 4]})
    for j, g in enumerate(grades):
        plot_ae_forest(comparison, grade=g, ax=axes[0, j])
        plot_ae_volcano(comparison, grade=g, threshold=threshold, ax=axes[1, j])
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
