"""Plots of scenario grids (:func:`~bayeshcc.design.grid.simulate_grid`) and power curves
(:func:`~bayeshcc.design.grid.power_curve`). They draw what the grid computed, with its Monte Carlo
error; nothing here computes a statistic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_grid", "plot_grid_heatmap", "plot_power_curve"]

_LABELS = {"p_success": "P(success)", "p_futility": "P(stop for futility)",
           "expected_patients": "expected patients", "expected_events": "expected events",
           "expected_duration_months": "expected duration (months)",
           "duration_q90": "90% of trials ended by (months)", "hazard_ratio": "true hazard ratio",
           "median": "control median (months)", "n_patients": "patients"}


def _check(grid: object, variable: str, dims: tuple[int, ...]) -> xr.DataArray:
    if not isinstance(grid, xr.Dataset):
        raise SpecError(f"grid: expected the Dataset of simulate_grid or power_curve, got {type(grid).__name__}")
    if variable not in grid.data_vars:
        raise SpecError(f"variable: {variable!r} is not in the grid; expected one of {sorted(grid.data_vars)}")
    da = grid[variable]
    if da.ndim not in dims:
        raise SpecError(
            f"grid: {da.ndim} dimensions ({', '.join(da.dims)}); this plot draws "
            f"{' or '.join(map(str, dims))}: select the others first, e.g. grid.sel({da.dims[-1]}=...)"
        )
    return da


def plot_grid(
    grid: xr.Dataset,
    *,
    variable: str = "p_success",
    x: str | None = None,
    ax: Axes | None = None,
    errorbars: bool = True,
) -> Axes:
    """A grid variable against one grid dimension, one line per value of the other (if any).

    Parameters
    ----------
    grid : xarray.Dataset
        From :func:`~bayeshcc.design.grid.simulate_grid`, one or two dimensions (select the others).
    variable : str, default "p_success"
        Any variable of the grid; its ``_mcse`` companion, if present, gives the error bars.
    x : str, optional
        The dimension on the horizontal axis (default ``hazard_ratio`` if present, else the first).
    ax : matplotlib Axes, optional
    errorbars : bool, default True
        Draw +/- 2 Monte Carlo standard errors.

    Returns
    -------
    matplotlib.axes.Axes
        One errorbar container per line; the title names the engine and trials per cell.
    """
    import matplotlib.pyplot as plt

    da = _check(grid, variable, (1, 2))
    x = x if x is not None else ("hazard_ratio" if "hazard_ratio" in da.dims else da.dims[0])
    if x not in da.dims:
        raise SpecError(f"x: {x!r} is not a grid dimension; expected one of {list(da.dims)}")
    mcse = grid.get(f"{variable}_mcse")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    others = [d for d in da.dims if d != x]
    series = [({}, None)] if not others else [({others[0]: v}, f"{others[0]} = {v}")
                                               for v in da[others[0]].values]
    for sel, label in series:
        y = da.sel(sel).transpose(x).values
        err = 2 * mcse.sel(sel).transpose(x).values if errorbars and mcse is not None else None
        ax.errorbar(np.asarray(da[x].values), y, yerr=err, marker="o", capsize=3, label=label)
    ax.set_xlabel(_LABELS.get(x, x))
    ax.set_ylabel(_LABELS.get(variable, variable))
    if variable.startswith("p_"):
        ax.set_ylim(-0.02, 1.02)
    if others:
        ax.legend(frameon=False)
    bars = " (bars: +/- 2 MCSE)" if errorbars and mcse is not None else ""
    ax.set_title(f"{grid.attrs.get('n_trials', '?')} trials per point, engine "
                 f"{grid.attrs.get('engine', '?')}{bars}", fontsize="small")
    return ax


def plot_power_curve(curve: xr.Dataset, *, ax: Axes | None = None, errorbars: bool = True) -> Axes:
    """Probability of success against the true hazard ratio, with Monte Carlo error bars.

    Parameters
    ----------
    curve : xarray.Dataset
        From :func:`~bayeshcc.design.grid.power_curve` (or a grid with a ``hazard_ratio``
        dimension and at most one other).
    ax : matplotlib Axes, optional
    errorbars : bool, default True
        Draw +/- 2 Monte Carlo standard errors.

    Returns
    -------
    matplotlib.axes.Axes
        The curve, and a dotted line at HR 1 where the curve reaches it (its height there is
        the type I error).
    """
    if not isinstance(curve, xr.Dataset) or "hazard_ratio" not in curve.dims:
        raise SpecError("curve: expected the Dataset of power_curve (a hazard_ratio dimension)")
    ax = plot_grid(curve, variable="p_success", x="hazard_ratio", ax=ax, errorbars=errorbars)
    if np.any(np.isclose(curve["hazard_ratio"].values, 1.0)):
        ax.axvline(1.0, color="0.5", linestyle=":", linewidth=1)
    return ax


def plot_grid_heatmap(grid: xr.Dataset, *, variable: str = "p_success", ax: Axes | None = None) -> Axes:
    """A two-dimensional grid variable as a heat map, each cell annotated with its value.

    Parameters
    ----------
    grid : xarray.Dataset
        Two dimensions (select the others first).
    variable : str, default "p_success"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The image (first dimension down, second across) with a colour bar; annotations give the
        value and, where the grid has it, the MCSE.
    """
    import matplotlib.pyplot as plt

    da = _check(grid, variable, (2,))
    mcse = grid.get(f"{variable}_mcse")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    rows, cols = da.dims
    values = da.values
    bounds = {"vmin": 0.0, "vmax": 1.0} if variable.startswith("p_") else {}
    image = ax.imshow(values, cmap="viridis", aspect="auto", origin="lower", **bounds)
    ax.figure.colorbar(image, ax=ax, label=_LABELS.get(variable, variable))
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            text = f"{values[i, j]:.3g}"
            if mcse is not None:
                text += f"\n±{mcse.values[i, j]:.2g}"
            ax.text(j, i, text, ha="center", va="center", fontsize="x-small", color="w")
    ax.set_xticks(range(values.shape[1]), [f"{v}" for v in da[cols].values])
    ax.set_yticks(range(values.shape[0]), [f"{v}" for v in da[rows].values])
    ax.set_xlabel(_LABELS.get(cols, cols))
    ax.set_ylabel(_LABELS.get(rows, rows))
    ax.set_title(f"{grid.attrs.get('n_trials', '?')} trials per cell, engine {grid.attrs.get('engine', '?')}",
                 fontsize="small")
    return ax
