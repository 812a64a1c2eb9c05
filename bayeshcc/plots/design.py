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
    """Probability of stopping for success and for futility at each analysis.

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
        Stacked bars: success (bottom) and futility per analysis, with the overall probability of
        success in the title.
    """
    import matplotlib.pyplot as plt

    oc = result if isinstance(result, pd.DataFrame) else result.operating_characteristics()
    looks = oc.drop(index="overall")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    x = np.arange(len(looks))
    labels = [str(k) for k in looks.index]
    success, futility = looks["p_success"].to_numpy(float), looks["p_futility"].to_numpy(float)
    err = (
        2 * looks["p_success_mcse"].to_numpy(float),
        2 * looks["p_futility_mcse"].to_numpy(float),
    )
    ax.bar(
        x,
        success,
        color="tab:green",
        label="stop for success",
        yerr=err[0] if errorbars else None,
        capsize=3,
    )
    ax.bar(
        x,
        futility,
        bottom=success,
        color="tab:red",
        label="stop for futility",
        yerr=err[1] if errorbars else None,
        capsize=3,
    )
    ax.set_xticks(x, labels)
    ax.set_xlabel("analysis")
    ax.set_ylabel("probability")
    ax.set_ylim(0, 1)
    overall = oc.loc["overall"]
    ax.set_title(f"P(success) = {overall['p_success']:.3f} (MCSE {overall['p_success_mcse']:.3f})")
    ax.legend(loc="upper left", frameon=False)
    return ax
