"""Plots take results and return matplotlib objects; they compute no statistics.

:func:`plot_fit` picks the figure for a fit's family (one registry, by result type).
"""

from __future__ import annotations

from functools import singledispatch
from typing import TYPE_CHECKING

from bayeshcc.results.ae import AEFit
from bayeshcc.results.cox import CoxFit
from bayeshcc.results.ordinal import OrdinalFit
from bayeshcc.results.response import ResponseFit
from bayeshcc.results.survival import SurvivalFit

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from bayeshcc.results.comparison import Comparison

__all__ = ["extra_figures", "figure_name", "plot_fit"]


@singledispatch
def plot_fit(fit, comparison: Comparison, *, title: str | None = None) -> Figure:
    """The standard figure of a fit (survival bands, response rates, ...)."""
    raise NotImplementedError(f"no standard figure for {type(fit).__name__}")


@singledispatch
def figure_name(fit) -> str:
    """File stem of a fit's standard figure."""
    return "posterior"


@singledispatch
def extra_figures(fit, comparison: Comparison | None, *, title: str | None = None) -> dict[str, Figure]:
    """Further figures of a fit, by file stem (none unless the family adds some)."""
    return {}


@extra_figures.register(SurvivalFit)
def _(fit, comparison: Comparison | None, *, title: str | None = None) -> dict[str, Figure]:
    """Hazards over time, the comparison's forest plot, and the posterior predictive check (patient
    data without interval censoring, and life tables)."""
    import matplotlib.pyplot as plt

    from bayeshcc.data import IntervalData, SurvivalData
    from bayeshcc.plots.comparison import plot_comparison_forest, plot_hazard
    from bayeshcc.results.ppc import posterior_predictive_check

    out = {"hazard": plot_hazard(fit, title=title).figure}
    if comparison is not None:
        axes = plot_comparison_forest(comparison)
        out["forest"] = axes[0].figure
    data = fit.data
    if isinstance(data, IntervalData) or (isinstance(data, SurvivalData) and not data.interval_censored.any()):
        from bayeshcc.plots.survival import plot_ppc

        _, ax = plt.subplots(figsize=(8, 4.5))
        out["ppc"] = plot_ppc(posterior_predictive_check(fit, seed=fit.seed), ax=ax,
                              title=f"{title}: posterior predictive check" if title else None).figure
    return out


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


@plot_fit.register(CoxFit)
def _(fit, comparison: Comparison, *, title: str | None = None) -> Figure:
    from bayeshcc.plots.cox import plot_standardised_survival

    return plot_standardised_survival(fit, prob=comparison.interval_prob, title=title).figure


@figure_name.register(CoxFit)
def _(fit) -> str:
    return "standardised_survival"


@plot_fit.register(AEFit)
def _(fit, comparison: Comparison, *, title: str | None = None) -> Figure:
    from bayeshcc.plots.ae import plot_ae

    return plot_ae(comparison, title=title)


@figure_name.register(AEFit)
def _(fit) -> str:
    return "adverse_events"


@plot_fit.register(OrdinalFit)
def _(fit, comparison: Comparison, *, title: str | None = None) -> Figure:
    from bayeshcc.plots.response import plot_ordinal

    return plot_ordinal(fit, title=title, prob=comparison.interval_prob)


@figure_name.register(OrdinalFit)
def _(fit) -> str:
    return "best_response"
