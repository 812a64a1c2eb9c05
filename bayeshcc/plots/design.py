"""Plots of trial-simulation results. They draw what ``SimulationResult`` computed; nothing here
computes a statistic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from bayeshcc.design.oc import SimulationResult

__all__ = ["plot_stopping"]


def plot_stopping(
    result: SimulationResult | pd.DataFrame, *, ax: Axes | None = None, errorbars: bool = True
) -> Axes:
    """Probability of stopping for success, for futility, and of ending without success, per look.

    Parameters
    ----------
    result : SimulationResult or DataFrame
        A simulation result or its ``operating_characteristics()`` table.
    ax : matplotlib Axes, optional
    errorbars : bool, default True
        Draw +/- 2 Monte Carlo standard errors on each bar.

    Returns
    -------
    matplotlib.axes.Axes
        Stacked bars per analysis: success (bottom), futility (interim looks) and no success at the
        final analysis (grey). Looks are labelled with their triggers (events, months, patients) and
        the title gives the overall probability of success and the scenario.
    """
    import matplotlib.pyplot as plt

    oc = result if isinstance(result, pd.DataFrame) else result.operating_characteristics()
    looks = oc.drop(index="overall")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    x = np.arange(len(looks))
    triggers = str(oc.attrs.get("looks", "")).split(" | ") if oc.attrs.get("looks") else []
    labels = [f"{k}\n{t}" if len(triggers) == len(looks) else str(k)
              for k, t in zip(looks.index, triggers or [""] * len(looks), strict=True)]
    bottom = np.zeros(len(looks))
    parts = [("p_success", "tab:green", "stop for success"), ("p_futility", "tab:red", "stop for futility"),
             ("p_no_success_final", "0.6", "no success at final")]
    for column, color, label in parts:
        if column not in looks:  # tables from results written before the column existed
            continue
        height = looks[column].to_numpy(float)
        err = 2 * looks[f"{column}_mcse"].to_numpy(float) if errorbars else None
        ax.bar(x, height, bottom=bottom, color=color, label=label, yerr=err, capsize=3)
        bottom = bottom + height
    ax.set_xticks(x, labels)
    ax.set_xlabel("analysis")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    overall = oc.loc["overall"]
    title = f"P(success) = {overall['p_success']:.3f} (MCSE {overall['p_success_mcse']:.3f})"
    scenario = oc.attrs.get("scenario")
    if scenario:
        title += "\n" + str(scenario).removeprefix("Scenario: ")
    ax.set_title(title, fontsize="medium")
    ax.legend(loc="upper left", frameon=False, fontsize="small")
    return ax
