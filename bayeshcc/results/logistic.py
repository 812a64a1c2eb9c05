"""Logistic response results: coefficients and covariate-standardised arm contrasts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.diagnostics import bound_names
from bayeshcc.errors import SpecError
from bayeshcc.results.comparison import check_prob
from bayeshcc.results.response import ResponseFit

__all__ = ["LogisticFit"]


@dataclass(eq=False, repr=False)
class LogisticFit(ResponseFit):
    """Posterior of a :class:`~bayeshcc.LogisticResponse` fit.

    ``rate`` (dims ``chain, draw, arm``) is each arm's response rate standardised over the
    sample: every patient predicted under that arm with their own covariates, then averaged
    (g-computation). :meth:`compare` (inherited) turns it into the risk difference, risk ratio,
    marginal odds ratio and number needed to treat; :meth:`coefficients` gives the regression.
    """

    def coefficients(self, prob: float = 0.95) -> pd.DataFrame:
        """The regression coefficients (log odds ratios, conditional on the other terms).

        Columns ``term, mean, median, eti{P}_lower, eti{P}_upper, odds_ratio, scale``. A term that
        is a numeric covariate on its own is reported per unit of its original scale (``scale`` =
        ``"per unit"``: the standardised coefficient divided by the covariate's sd); other terms
        are per level (``"indicator"``) or on the standardised scale (``"standardised"``).
        """
        check_prob(prob)
        lo, hi = bound_names(prob)
        prep = self.model.prepare(self.data)
        scales, variables = prep.extra["scales"], prep.extra["variables"]
        coef = self.idata.posterior["coef"]
        rows = []
        for term in coef.coords["term"].values:
            x = coef.sel(term=term).values.ravel()
            name = str(term)
            if name in scales and variables[name] == {name}:
                x, kind = x / scales[name][1], "per unit"
            elif variables[name] & set(scales):
                kind = "standardised"
            else:
                kind = "indicator"
            q = np.quantile(x, [(1 - prob) / 2, 0.5, (1 + prob) / 2])
            rows.append({"term": name, "mean": float(x.mean()), "median": float(q[1]), lo: float(q[0]),
                         hi: float(q[2]), "odds_ratio": float(np.exp(q[1])), "scale": kind})
        return pd.DataFrame(rows)

    def posterior_parameters(self) -> pd.DataFrame:
        raise SpecError("posterior_parameters: a logistic fit has no closed-form posterior; see coefficients()")

    def exact_posterior(self, *, treatment: str | None = None, control: str | None = None):
        raise SpecError("exact_posterior: a logistic fit has no closed-form posterior; use compare()")

    def _compare_notes(self) -> list[str]:
        return ["rates standardised over the sample's covariates (g-computation); odds_ratio is "
                "the marginal one, the conditional ones are in coefficients()"]
