"""Cox-like regression results: ``CoxFit`` (coefficient table, standardised survival, arm comparison)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.diagnostics import bound_names, check_prob
from bayeshcc.results import _standardise as st
from bayeshcc.results.comparison import Comparison
from bayeshcc.results.fit import Fit
from bayeshcc.results.survival import check_compare_args, check_times

__all__ = ["CoxFit", "standardised_bands"]

@dataclass(eq=False, repr=False)
class CoxFit(Fit):
    """Posterior of a :class:`~bayeshcc.CoxPH` model.

    ``idata.posterior`` holds ``log_hr`` (dim ``term``, original scale of each design column),
    ``baseline_hazard`` (dims ``stratum, interval``: the hazard at the data's mean design row) and,
    when asked for, ``log_hr_tv`` (``tv_term, interval``), ``frailty`` (``cluster``) and
    ``frailty_variance``.
    """

    def __post_init__(self) -> None:
        if self.data_note:  # written into idata.nc too, so saved draws say what the data were
            self.idata.posterior.attrs["data_note"] = self.data_note

    @property
    def cutpoints(self) -> np.ndarray:
        """Interval starts of the baseline hazard."""
        return np.asarray(self.model.cutpoints, dtype=float)

    @property
    def time_unit(self) -> str:
        """Unit of time of the data."""
        return self.data.time_unit

    @property
    def dropped_rows(self) -> tuple:
        """Patients left out for missing covariates (``CoxPH(missing="drop")``), by row label: the
        index labels of the frame given to ``SurvivalData.from_frame`` (``data.row_labels``; the
        positions 0, 1, ... where that frame had the default index)."""
        return tuple(getattr(self.data, "dropped_rows", ()))

    @property
    def data_note(self) -> str:
        """A note the data carry about themselves (e.g. that they are synthetic), or ''."""
        return str(getattr(self.data, "note", "") or "")

    def summary(self, prob: float = 0.95, *, var_names: list[str] | None = None) -> pd.DataFrame:
        """Per term: log HR and HR, posterior mean, sd, median, equal-tailed interval and P(HR < 1).

        Parameters
        ----------
        prob : float
            Interval mass; the bound columns name it (``eti95_lower``, ``eti95_upper``).
        var_names : list of str, optional
            Ignored unless given: then the generic parameter table of those variables
            (:meth:`Fit.summary`).

        Returns
        -------
        pandas.DataFrame
            Columns ``term, scale`` (``"log HR"`` or ``"HR"``; ``"variance"`` for the frailty),
            ``interval`` (time-varying terms), ``mean, sd, median, eti{P}_lower, eti{P}_upper,
            p_hr_below_1, ess_bulk, r_hat``.
        """
        if var_names is not None:
            return super().summary(prob, var_names=var_names)
        import arviz as az

        check_prob(prob)
        lo_name, hi_name = bound_names(prob)
        post = self.idata.posterior
        rows = []

        def add(term: str, interval: str, x: xr.DataArray, diag_x: xr.DataArray) -> None:
            chains = np.asarray(diag_x).reshape(diag_x.sizes["chain"], -1)
            with warnings.catch_warnings():  # a variable that never moves: ArviZ divides 0 by 0 (NaN)
                warnings.simplefilter("ignore", RuntimeWarning)
                ess = float(az.ess(chains))
                rhat = float(az.rhat(chains)) if len(chains) > 1 else np.nan
            for scale, v in (("log HR", x), ("HR", np.exp(x))) if term != "frailty" else (("variance", x),):
                flat = np.asarray(v).ravel()
                rows.append({"term": term, "scale": scale, "interval": interval, "mean": flat.mean(),
                             "sd": flat.std(ddof=1), "median": np.median(flat),
                             lo_name: np.quantile(flat, (1 - prob) / 2), hi_name: np.quantile(flat, (1 + prob) / 2),
                             "p_hr_below_1": float((np.asarray(x) < 0).mean()) if scale != "variance" else np.nan,
                             "ess_bulk": ess, "r_hat": rhat})

        if "log_hr" in post:
            for term in post["log_hr"].coords["term"].values:
                x = post["log_hr"].sel(term=term)
                add(str(term), "", x.values, x)
        if "log_hr_tv" in post:
            for term in post["log_hr_tv"].coords["tv_term"].values:
                for iv in post["log_hr_tv"].coords["interval"].values:
                    x = post["log_hr_tv"].sel(tv_term=term, interval=iv)
                    add(str(term), str(iv), x.values, x)
        if "frailty_variance" in post:
            x = post["frailty_variance"]
            add("frailty", "", x.values, x)
        out = pd.DataFrame(rows)
        if not (out["interval"] != "").any():
            out = out.drop(columns="interval")
        out.attrs["prob"] = prob
        if self.data_note:
            out.attrs["note"] = self.data_note
        return out

    def standardised_survival(self, times: Sequence[float], *, arms: Sequence[str] | None = None,
                              memory_budget: int = st.MEMORY_BUDGET) -> xr.DataArray:
        """Standardised (marginal) survival per arm: every patient of the sample given each arm in turn.

        Parameters
        ----------
        times : sequence of float
            Times >= 0 (beyond the data's follow-up the curve is the model's extrapolation).
        arms : sequence of str, optional
            Default: every arm of the fit.
        memory_budget : int
            Bytes allowed for one draws x patients x intervals array (see
            :func:`bayeshcc.results._standardise.standardised`); draws are processed in chunks
            under it, and identical covariate patterns once.

        Returns
        -------
        xarray.DataArray
            Dims ``(chain, draw, arm, time)``: ``S_a(t) = mean_i exp(-H(t | x_i, arm=a))`` per draw
            (g-computation over the sample's covariate distribution; Robins 1986).
        """
        t = check_times(times)
        surv, _, _ = self._standardise(list(arms or self.arms), t, None, memory_budget)
        return surv

    def _standardise(self, arms: list[str], t: np.ndarray, tau: float | None, budget: int):
        """Standardised survival ``(chain, draw, arm, time)``, RMST and exact median ``(chain, draw, arm)``."""
        post = self.idata.posterior
        draws = st.flat_draws(post)
        shape = (post.sizes["chain"], post.sizes["draw"])
        out = []
        for arm in arms:
            rows, weights = self.model.design(self.data, arm=arm).unique()
            out.append(st.standardised(rows, weights, draws, self.cutpoints, t, tau, memory_budget=budget))
        coords = {"chain": post.coords["chain"], "draw": post.coords["draw"], "arm": arms, "time": t}
        surv = xr.DataArray(np.stack([o.survival.reshape(*shape, -1) for o in out], axis=2),
                            dims=("chain", "draw", "arm", "time"), coords=coords)
        arm_coords = {k: coords[k] for k in ("chain", "draw", "arm")}

        def per_arm(values: list[np.ndarray]) -> xr.DataArray:
            return xr.DataArray(np.stack([v.reshape(shape) for v in values], axis=2),
                                dims=("chain", "draw", "arm"), coords=arm_coords)

        rmst = None if tau is None else per_arm([o.rmst for o in out])
        return surv, rmst, per_arm([o.median for o in out])

    def compare(self, *, treatment: str | None = None, control: str | None = None,
                times: Sequence[float] | None = None, tau: float | None = None, prob: float = 0.95,
                memory_budget: int = st.MEMORY_BUDGET) -> Comparison:
        """Standardised contrasts of ``treatment`` against ``control``, next to the conditional HR.

        Quantities: ``hazard_ratio`` (conditional on the covariates; by interval when the arm term
        is time-varying; left out, with a note, when interactions make it differ by patient),
        ``survival`` (arm, time) and ``survival_difference`` (time), ``median`` (arm) and
        ``median_difference``, ``rmst`` (arm) and ``rmst_difference`` to ``tau``: all standardised
        over the sample's covariates (:meth:`standardised_survival`). Times and ``tau`` default as
        in :meth:`SurvivalFit.compare` and may not exceed the data horizon.

        Notes
        -----
        The standardised median is exact: where the average survival curve crosses 1/2, found
        per draw by Newton's method within the baseline interval holding it (no time grid). A
        median beyond the arm's own data horizon (its latest follow-up) is set to ``inf`` and
        reported as not reached rather than extrapolated, as in :meth:`SurvivalFit.compare`.
        The RMST is exact too (the average of each patient's closed-form RMST).
        """
        treatment, control = self.pair(treatment, control)
        t, tau = check_compare_args(self.arms, self.data.horizon, self.cutpoints, treatment=treatment,
                                    control=control, times=times, tau=tau, prob=prob, time_unit=self.time_unit)
        horizon = self.data.horizon
        pair = [control, treatment]
        surv, rm, med = self._standardise(pair, t, tau, memory_budget)
        surv = surv.assign_attrs(unit="probability")
        limit = xr.DataArray([horizon[a] for a in pair], dims="arm", coords={"arm": pair})
        med = med.where(med <= limit, np.inf).assign_attrs(unit=self.time_unit)
        notes = [self.data_note] if self.data_note else []
        share = np.isinf(med.values).mean(axis=(0, 1))
        notes += [f"standardised median of {a} not reached within the arm's data horizon ({horizon[a]:g} "
                  f"{self.time_unit}) in {s:.1%} of draws; shown as inf (not extrapolated)"
                  for a, s in zip(pair, share, strict=True) if s > 0]
        data = {
            "survival": surv,
            "survival_difference": (surv.sel(arm=treatment, drop=True) - surv.sel(arm=control, drop=True)).assign_attrs(unit="probability"),
            "median": med,
            "median_difference": (med.sel(arm=treatment, drop=True) - med.sel(arm=control, drop=True)).assign_attrs(unit=self.time_unit),
            "rmst": rm.assign_attrs(unit=self.time_unit),
            "rmst_difference": (rm.sel(arm=treatment, drop=True) - rm.sel(arm=control, drop=True)).assign_attrs(unit=self.time_unit),
        }
        hr = self._conditional_hr(treatment, control, notes)
        if hr is not None:
            data = {"hazard_ratio": hr, **data}
        draws = xr.Dataset(data, attrs={"treatment": treatment, "control": control, "tau": float(tau),
                                        "time_unit": self.time_unit, "standardised": "g-computation over the sample"})
        return Comparison(draws=draws, treatment=treatment, control=control, interval_prob=prob,
                          time_unit=self.time_unit, notes=notes)

    def _conditional_hr(self, treatment: str, control: str, notes: list[str]) -> xr.DataArray | None:
        rt, rc = (self.model.design(self.data, arm=a) for a in (treatment, control))
        d_const, d_tv = rt.const - rc.const, rt.tv - rc.tv
        if np.ptp(d_const, axis=0).max(initial=0) > 1e-9 or np.ptp(d_tv, axis=0).max(initial=0) > 1e-9:
            notes.append("the conditional hazard ratio differs between patients (the arm interacts with "
                         "covariates): see summary() for the terms; the standardised contrasts average over patients")
            return None
        post = self.idata.posterior
        log_hr = xr.zeros_like(post["baseline_hazard"].isel(stratum=0, drop=True))
        if "log_hr" in post:
            log_hr = log_hr + (post["log_hr"] * xr.DataArray(d_const[0], dims="term")).sum("term")
        if "log_hr_tv" in post:
            log_hr = log_hr + (post["log_hr_tv"] * xr.DataArray(d_tv[0], dims="tv_term")).sum("tv_term")
        hr = np.exp(log_hr)
        if "log_hr_tv" not in post or not np.any(d_tv[0]):
            hr = hr.isel(interval=0, drop=True)
        return hr.assign_attrs(unit="ratio", conditional="on the covariates")

    def __repr__(self) -> str:
        table = self.summary().drop(columns=["ess_bulk", "r_hat"]).to_string(index=False, float_format=lambda v: f"{v:.3f}")
        note = f"\nNote: {self.data_note}" if self.data_note else ""
        dropped = f"\nDropped {len(self.dropped_rows)} row(s) with missing covariates" if self.dropped_rows else ""
        return f"{super().__repr__()}\n{table}{note}{dropped}"


def standardised_bands(fit: CoxFit, times: Sequence[float] | None = None, *, prob: float = 0.95) -> pd.DataFrame:
    """Posterior median and pointwise equal-tailed band of the standardised survival per arm.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm, time, median, lower, upper, prob, unit`` (as
        :func:`bayeshcc.results.survival.survival_bands`), for plotting against Kaplan-Meier
        curves (a posterior predictive check of the model's fit to each arm).
    """
    check_prob(prob)
    if times is None:
        times = np.linspace(0.0, min(fit.data.horizon.values()), 100)
    s = fit.standardised_survival(times).stack(sample=("chain", "draw"))
    q = s.quantile([(1 - prob) / 2, 0.5, (1 + prob) / 2], dim="sample")
    out = [pd.DataFrame({"arm": arm, "time": s.coords["time"].values, "median": q.sel(arm=arm).isel(quantile=1).values,
                         "lower": q.sel(arm=arm).isel(quantile=0).values, "upper": q.sel(arm=arm).isel(quantile=2).values,
                         "prob": prob, "unit": fit.time_unit}) for arm in s.coords["arm"].values]
    return pd.concat(out, ignore_index=True)
