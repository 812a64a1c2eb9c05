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
        """Exact posterior per arm: columns ``arm, responders, n, alpha, beta, mean``.

        With a mixture prior, one row per arm and component, with the columns ``component``,
        ``prior_weight`` and ``weight`` (the posterior weight) added; ``mean`` is the component's.
        """
        prepared = self.model.prepare(self.data)
        if self.model.prior_components()[0].size > 1:
            return self._mixture_parameters(prepared)
        a, b = self.model.posterior_parameters(prepared)
        return pd.DataFrame({
            "arm": list(prepared.arms),
            "responders": prepared.arrays["responders"],
            "n": prepared.arrays["n"],
            "alpha": a,
            "beta": b,
            "mean": a / (a + b),
        })

    def _mixture_parameters(self, prepared) -> pd.DataFrame:
        w0 = self.model.prior_components()[0]
        w, a, b = self.model.posterior_mixture(prepared)
        arms, k = list(prepared.arms), w.shape[1]
        return pd.DataFrame({
            "arm": np.repeat(arms, k),
            "component": np.tile(np.arange(k), len(arms)),
            "responders": np.repeat(prepared.arrays["responders"], k),
            "n": np.repeat(prepared.arrays["n"], k),
            "prior_weight": np.tile(w0, len(arms)),
            "weight": w.ravel(),
            "alpha": a.ravel(),
            "beta": b.ravel(),
            "mean": (a / (a + b)).ravel(),
        })

    def _compare_notes(self) -> list[str]:
        """Caveats a family adds to its comparisons."""
        return []

    def exact_posterior(self, *, treatment: str | None = None, control: str | None = None):
        """The closed-form posterior of ``treatment`` vs ``control``.

        A :class:`~bayeshcc.conjugate.BetaPosterior` (Beta prior) or
        :class:`~bayeshcc.conjugate.BetaMixturePosterior` (mixture prior). Its
        ``prob("risk_difference", ...)`` is exact (numerical quadrature), with no Monte Carlo error.
        """
        from bayeshcc.conjugate import BetaMixturePosterior, BetaPosterior

        treatment, control = self.pair(treatment, control)
        if self.model.prior_components()[0].size > 1:
            prepared = self.model.prepare(self.data)
            idx = [prepared.arms.index(control), prepared.arms.index(treatment)]
            w, a, b = (x[idx][None] for x in self.model.posterior_mixture(prepared))
            return BetaMixturePosterior(w, a, b)
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
            ``rate`` (arm), ``risk_difference`` (p_T - p_C), ``risk_ratio`` (p_T / p_C),
            ``odds_ratio`` and ``number_needed_to_treat`` (1 / (p_T - p_C): patients treated for one
            more responder; negative values are numbers needed to harm), as draws. The NNT's
            interval is only meaningful when the risk difference's excludes 0 (Altman 1998), and
            its mean is not a useful summary (use the median).
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
                "number_needed_to_treat": (1 / (pt - pc)).assign_attrs(unit="patients"),
            }, attrs={"treatment": treatment, "control": control})
        crit = getattr(self.data, "criterion", None)
        notes = [f"response by {crit}"] if crit else []
        notes += self._compare_notes()
        return Comparison(draws=draws, treatment=treatment, control=control, interval_prob=prob, notes=notes)
