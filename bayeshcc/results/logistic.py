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

        Columns ``term, mean, median, eti{P}_lower, eti{P}_upper, odds_ratio, scale``. Each
        coefficient is per unit of its design column on the original scale of the data: a 0/1
        column (a categorical level, the arm) per level (``scale`` = ``"indicator"``), any other
        (a numeric covariate, ``np.log(afp)``, an interaction) ``"per unit"`` (the sampled
        coefficient, per sd of the column, divided by the column's sd).
        """
        check_prob(prob)
        lo, hi = bound_names(prob)
        prep = self.model.prepare(self.data)
        indicator = dict(zip(prep.coords["term"], prep.extra["indicator"], strict=True))
        scale = dict(zip(prep.coords["term"], prep.extra["scale"], strict=True))
        coef = self.idata.posterior["coef"]
        rows = []
        for term in coef.coords["term"].values:
            name = str(term)
            x = coef.sel(term=term).values.ravel() / scale[name]
            kind = "indicator" if indicator[name] else "per unit"
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
