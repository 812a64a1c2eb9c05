"""Response results: ``ResponseFit`` and its contrasts (risk difference, risk ratio, odds ratio)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.results.comparison import Comparison, check_prob
from bayeshcc.results.fit import Fit

__all__ = ["ResponseFit"]


@dataclass(eq=False, repr=False)
class ResponseFit(Fit):
    """Posterior of response rates per arm; ``idata.posterior["rate"]`` has dims ``chain, draw, arm``."""

    @property
    def rate(self) -> xr.DataArray:
        """Posterior draws of the response rate, dims ``(chain, draw, arm)``."""
        return self.idata.posterior["rate"]

    def posterior_parameters(self) -> pd.DataFrame:
        """Exact Beta posterior per arm: columns ``arm, responders, n, alpha, beta, mean``."""
        prepared = self.model.prepare(self.data)
        a, b = self.model.posterior_parameters(prepared)
        return pd.DataFrame({
            "arm": list(prepared.arms),
            "responders": prepared.arrays["responders"],
            "n": prepared.arrays["n"],
            "alpha": a,
            "beta": b,
            "mean": a / (a + b),
        })

    def exact_posterior(self, *, treatment: str | None = None, control: str | None = None):
        """The closed-form posterior of ``treatment`` vs ``control`` (:class:`~bayeshcc.conjugate.BetaPosterior`).

        Its ``prob("risk_difference", ...)`` is exact (numerical quadrature), with no Monte Carlo error.
        """
        from bayeshcc.conjugate import BetaPosterior

        treatment, control = self.pair(treatment, control)
        p = self.posterior_parameters().set_index("arm")
        a = np.array([[p.loc[control, "alpha"], p.loc[treatment, "alpha"]]])
        b = np.array([[p.loc[control, "beta"], p.loc[treatment, "beta"]]])
        return BetaPosterior(a, b)

    def compare(self, *, treatment: str | None = None, control: str | None = None, prob: float = 0.95) -> Comparison:
        """Posterior contrasts of ``treatment`` against ``control``.

        Parameters
        ----------
        treatment, control : str, optional
            Arm names; ``control`` defaults to the fit's control arm and ``treatment`` to the other
            arm of a two-arm fit.
        prob : float
            Interval mass of the summary (default 0.95).

        Returns
        -------
        Comparison
            ``rate`` (arm), ``risk_difference`` (p_T - p_C), ``risk_ratio`` (p_T / p_C) and
            ``odds_ratio``, as draws.
        """
        check_prob(prob)
        treatment, control = self.pair(treatment, control)
        r = self.rate.sel(arm=[control, treatment])
        pt, pc = r.sel(arm=treatment, drop=True), r.sel(arm=control, drop=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            draws = xr.Dataset({
                "rate": r.assign_attrs(unit="probability"),
                "risk_difference": (pt - pc).assign_attrs(unit="probability"),
                "risk_ratio": (pt / pc).assign_attrs(unit="ratio"),
                "odds_ratio": (pt / (1 - pt) / (pc / (1 - pc))).assign_attrs(unit="ratio"),
            }, attrs={"treatment": treatment, "control": control})
        crit = getattr(self.data, "criterion", None)
        notes = [f"response by {crit}"] if crit else []
        return Comparison(draws=draws, treatment=treatment, control=control, interval_prob=prob, notes=notes)
