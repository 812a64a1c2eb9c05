"""Response plots: posterior response rates per arm and their difference, from a Comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from bayeshcc.results.comparison import Comparison

__all__ = ["plot_ordinal", "plot_response"]


def plot_response(comparison: Comparison, *, title: str | None = None, prob: float | None = None) -> Figure:
    """Posterior draws of each arm's response rate and of the risk difference.

    Parameters
    ----------
    comparison : Comparison
        From :meth:`bayeshcc.ResponseFit.compare` (quantities ``rate`` and ``risk_difference``).
    title : str, optional
    prob : float, optional
        Interval mass marked on the difference panel (default: the comparison's).

    Returns
    -------
    matplotlib.figure.Figure
        Left: histogram of each arm's rate; right: the risk difference with its equal-tailed
        interval and the posterior probability that it is above 0 in the title.
    """
    import matplotlib.pyplot as plt

    prob = comparison.interval_prob if prob is None else prob
    table = comparison.summary(prob)
    lo, hi = (c for c in table.columns if c.startswith("eti") and c.endswith(("_lower", "_upper")))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    rate = comparison.draws["rate"]
    bins = np.linspace(0, 1, 81)
    for i, arm in enumerate(rate.coords["arm"].values):
        left.hist(rate.sel(arm=arm).values.ravel(), bins=bins, density=True, alpha=0.55,
                  color=f"C{i}", label=str(arm))
    left.set_xlabel("response rate")
    left.set_ylabel("posterior density")
    left.legend(frameon=False, fontsize="small")
    diff = comparison.draws["risk_difference"].values.ravel()
    row = table[table["quantity"] == "risk_difference"].iloc[0]
    right.hist(diff, bins=60, density=True, color="0.5")
    right.axvline(0, color="black", linewidth=0.8)
    right.axvspan(row[lo], row[hi], color="C2", alpha=0.2, label=f"{prob:.0%} interval")
    right.set_xlabel(f"risk difference ({comparison.treatment} - {comparison.control})")
    p_above = comparison.prob("risk_difference", ">", 0.0)
    right.set_title(f"P(p_T - p_C > 0 | data) = {p_above:.3f}", fontsize="medium")
    right.legend(frameon=False, fontsize="small")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_ordinal(fit, *, title: str | None = None, prob: float = 0.95) -> Figure:
    """Stacked bars of each arm's posterior category probabilities, with the observed proportions.

    Parameters
    ----------
    fit : OrdinalFit
    title : str, optional
    prob : float
        Interval mass of the error bars on each category's cumulative probability.

    Returns
    -------
    matplotlib.figure.Figure
        One horizontal bar per arm: posterior mean probability of each category, best first,
        stacked; black ticks mark the observed cumulative proportions and grey bars the equal-
        tailed interval of the posterior cumulative probability.
    """
    import matplotlib.pyplot as plt

    table = fit.category_probabilities(prob)
    lo, hi = (c for c in table.columns if c.startswith("cumulative_eti"))
    cats = list(dict.fromkeys(table["category"]))
    arms = list(dict.fromkeys(table["arm"]))
    fig, ax = plt.subplots(figsize=(8, 1.1 + 0.8 * len(arms)))
    for i, arm in enumerate(arms):
        rows = table[table["arm"] == arm].set_index("category").loc[cats]
        left = 0.0
        for j, cat in enumerate(cats):
            ax.barh(i, rows.loc[cat, "mean"], left=left, color=f"C{j}", edgecolor="white",
                    label=cat if i == 0 else None, height=0.6)
            left += rows.loc[cat, "mean"]
        observed = rows["cumulative_observed"].to_numpy()[:-1]
        ax.scatter(observed, [i] * len(observed), marker="|", s=400, color="black",
                   label="observed (cumulative)" if i == 0 else None, zorder=3)
        ax.hlines([i + 0.36] * (len(cats) - 1), rows[lo].to_numpy()[:-1], rows[hi].to_numpy()[:-1], color="0.3", linewidth=2,
                  label=f"{prob:.0%} interval" if i == 0 else None)
    ax.set_yticks(range(len(arms)), arms)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability of best response (cumulative from the left)")
    ax.legend(frameon=False, fontsize="small", ncol=len(cats) + 2, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    crit = getattr(fit.data, "criterion", None)
    ax.set_title(title or (f"Best response by {crit}" if crit else "Best response"))
    fig.tight_layout()
    return fig
