"""Plots take results and return matplotlib objects; they compute no statistics.

:func:`plot_fit` picks the figure for a fit's family (one registry, by result type).
"""

from __future__ import annotations

from functools import singledispatch
from typing import TYPE_CHECKING

from bayeshcc.results.response import ResponseFit
from bayeshcc.results.survival import SurvivalFit

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from bayeshcc.results.comparison import Comparison

__all__ = ["figure_name", "plot_fit"]


@singledispatch
def plot_fit(fit, comparison: Comparison, *, title: str | None = None) -> Figure:
    """The standard figure of a fit (survival bands, response rates, ...)."""
    raise NotImplementedError(f"no standard figure for {type(fit).__name__}")


@singledispatch
def figure_name(fit) -> str:
    """File stem of a fit's standard figure."""
    return "posterior"


@plot_fit.register(SurvivalFit)
def _(fit, comparison: Comparison, *, title: str | None = None) -> Figure:
    from bayeshcc.plots.survival import plot_survival_fit

    return plot_survival_fit(fit, title=title).figure


@figure_name.register(SurvivalFit)
def _(fit) -> str:
    return "survival"


@plot_fit.register(ResponseFit)
def _(fit, comparison: Comparison, *, title: str | None = None) -> Figure:
    from bayeshcc.plots.response import plot_response

    return plot_response(comparison, title=title)


@figure_name.register(ResponseFit)
def _(fit) -> str:
    return "response"
