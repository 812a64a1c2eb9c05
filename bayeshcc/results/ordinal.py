"""Ordinal best-response results: category probabilities, objective response and disease control."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.diagnostics import bound_names
from bayeshcc.results.comparison import Comparison, check_prob
from bayeshcc.results.fit import Fit

__all__ = ["OrdinalFit"]


@dataclass(eq=False, repr=False)
class OrdinalFit(Fit):
    """Posterior of an ordinal best-response model (:class:`~bayeshcc.OrdinalResponse`).

    ``idata.posterior["probs"]`` holds each arm's category probabilities, dims
    ``chain, draw, arm, category``.
    """

    @property
    def probs(self) -> xr.DataArray:
        """Category probabilities per arm, dims ``(chain, draw, arm, category)``."""
        return self.idata.posterior["probs"]

    def _prepared(self):
        return self.model.prepare(self.data)

    def observed(self) -> pd.DataFrame:
        """Counts and proportions as fitted: columns ``arm, category, count, n, proportion``,
        plus the patients excluded as not evaluated (``excluded``, per arm)."""
        prep = self._prepared()
        counts = prep.arrays["counts"]
        rows = []
        for i, arm in enumerate(prep.arms):
            for j, cat in enumerate(prep.coords["category"]):
                rows.append({"arm": arm, "category": cat, "count": int(counts[i, j]),
                             "n": int(counts[i].sum()), "proportion": counts[i, j] / counts[i].sum(),
                             "excluded": int(prep.extra["excluded"][i])})
        return pd.DataFrame(rows)

    def category_probabilities(self, prob: float = 0.95) -> pd.DataFrame:
        """Posterior of each arm's category probabilities beside the observed proportions.

        Columns ``arm, category, observed, mean, median, eti{P}_lower, eti{P}_upper`` and the same
        for the cumulative probability (this category or better): ``cumulative_observed``,
        ``cumulative_eti{P}_lower``, ``cumulative_eti{P}_upper``.
        """
        check_prob(prob)
        lo, hi = bound_names(prob)
        obs = self.observed().set_index(["arm", "category"])["proportion"]
        p = self.probs
        q = p.quantile([(1 - prob) / 2, 0.5, (1 + prob) / 2], dim=("chain", "draw"))
        cq = p.cumsum("category").quantile([(1 - prob) / 2, (1 + prob) / 2], dim=("chain", "draw"))
        cum_obs = obs.groupby(level="arm", sort=False).cumsum()
        rows = []
        for arm in p.coords["arm"].values:
            for cat in p.coords["category"].values:
                qs = q.sel(arm=arm, category=cat).values
                rows.append({"arm": str(arm), "category": str(cat), "observed": float(obs[(arm, cat)]),
                             "mean": float(p.sel(arm=arm, category=cat).mean()), "median": float(qs[1]),
                             lo: float(qs[0]), hi: float(qs[2]),
                             "cumulative_observed": float(cum_obs[(arm, cat)]),
                             f"cumulative_{lo}": float(cq.sel(arm=arm, category=cat).values[0]),
                             f"cumulative_{hi}": float(cq.sel(arm=arm, category=cat).values[1])})
        return pd.DataFrame(rows)

    def rates(self) -> xr.Dataset:
        """Draws of the objective response and disease control rates, dims ``(chain, draw, arm)``."""
        prep = self._prepared()
        resp = xr.DataArray(prep.extra["responders"].astype(float), dims="category")
        ctrl = xr.DataArray(prep.extra["disease_control"].astype(float), dims="category")
        p = self.probs
        return xr.Dataset({
            "objective_response": (p * resp.values).sum("category").assign_attrs(unit="probability"),
            "disease_control": (p * ctrl.values).sum("category").assign_attrs(unit="probability"),
        })

    def compare(self, *, treatment: str | None = None, control: str | None = None, prob: float = 0.95) -> Comparison:
        """Objective response and disease control per arm, their differences and the odds ratio.

        Parameters
        ----------
        treatment, control : str, optional
            Arm names (defaults as :meth:`Fit.pair`). A one-arm fit (a single cohort) has nothing
            to contrast: its comparison holds the per-arm rates only, with that arm as both.
        prob : float
            Interval mass of the summary (default 0.95).

        Returns
        -------
        Comparison
            ``objective_response`` and ``disease_control`` (arm); with two arms also
            ``objective_response_difference``, ``disease_control_difference`` (treatment minus
            control) and ``common_odds_ratio`` (of a better response, treatment vs control).
        """
        check_prob(prob)
        rates = self.rates()
        prep = self._prepared()
        notes = [f"best response by {self.data.criterion}"] if self.data.criterion else []
        excluded = dict(zip(prep.arms, prep.extra["excluded"].tolist(), strict=True))
        if any(excluded.values()):
            how = ("excluded (rates among evaluable patients)" if self.model.not_evaluated == "exclude"
                   else "counted as the worst category (rates of all patients)")
            notes.append(f"not evaluated {excluded} {how}")
        if len(self.arms) == 1 and treatment is None and control in (None, self.arms[0]):
            arm = self.arms[0]
            return Comparison(draws=rates.assign_attrs(treatment=arm, control=arm), treatment=arm, control=arm,
                              interval_prob=prob, notes=[*notes, "one arm: no contrast"])
        treatment, control = self.pair(treatment, control)
        r = rates.sel(arm=[control, treatment])
        diff = {f"{k}_difference": (r[k].sel(arm=treatment, drop=True) - r[k].sel(arm=control, drop=True))
                .assign_attrs(unit="probability") for k in ("objective_response", "disease_control")}
        draws = xr.Dataset({**r.data_vars, **diff}, attrs={"treatment": treatment, "control": control})
        if "log_odds_ratio" in self.idata.posterior:
            beta = self.idata.posterior["log_odds_ratio"]

            def eta(arm):  # the model's control arm has effect 0; the centring cancels in differences
                return 0.0 if arm == self.arms[0] else beta.sel(effect_arm=arm, drop=True)

            draws["common_odds_ratio"] = np.exp(eta(treatment) - eta(control)).assign_attrs(unit="ratio")
            notes.append("common_odds_ratio: odds of a better best response, treatment vs control (proportional odds)")
        return Comparison(draws=draws, treatment=treatment, control=control, interval_prob=prob, notes=notes)
