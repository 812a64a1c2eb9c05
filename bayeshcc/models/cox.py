"""Cox-like proportional-hazards regression: piecewise-constant baseline, covariates by formula."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.data import SurvivalData
from bayeshcc.data._covariates import row_labels, without_rows
from bayeshcc.data.cutpoints import parse_cutpoints, quantiles_count
from bayeshcc.errors import DataError, SpecError, format_rows
from bayeshcc.models import _cox_design as cd
from bayeshcc.models._survival import interval_labels
from bayeshcc.models.base import Model, Prepared
from bayeshcc.models.piecewise_exponential import DEFAULT_BASELINE_SIGMA, crude_rate
from bayeshcc.models.priors import HalfNormal, Normal, Prior
from bayeshcc.piecewise import overlap
from bayeshcc.results.cox import CoxFit

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["DEFAULT_COEF_SIGMA", "CoxPH"]

#: Default prior sd of a log hazard ratio per unit of a 0/1 column, or per standard deviation of
#: any other column: hazard ratios between about 0.02 and 50 (95%).
DEFAULT_COEF_SIGMA = 2.0
#: Collapse automatically when there are at most this many covariate patterns per patient.
AUTO_COLLAPSE_RATIO = 0.5


def _patient_logp(value, log_rate, cum_hazard):
    """Log-likelihood ``d log h - H``: per patient (events 0/1), or per covariate pattern and
    interval (``d`` events, ``H`` = hazard x exposure summed over the pattern's patients)."""
    return value * log_rate - cum_hazard


@dataclass(frozen=True, kw_only=True, repr=False)
class CoxPH(Model):
    """Bayesian proportional-hazards regression with a piecewise-constant baseline hazard.

    Parameters
    ----------
    formula : str
        Right-hand side of a model formula in `formulaic <https://matthewwardrop.github.io/formulaic/>`_
        syntax, over the data's ``arm`` column (categorical, the control arm as reference level)
        and covariates: ``"arm + pvtt + afp_high"``, ``"C(arm, contr.treatment('Sorafenib')) * age"``,
        ``"C(stage) + age"``. Each design-matrix column is one ``term``.
    cutpoints : sequence of float or str
        Interval starts of the baseline hazard (from 0), or ``"quantiles:N"`` (event-time quantiles
        of the data, resolved when fitting). Cutpoints at or beyond the last follow-up are refused.
    baseline_prior : Prior, optional
        Prior of each baseline hazard (per stratum and interval), the hazard of a patient at the
        data's mean design row. Default: ``LogNormal(log r, 2)`` with ``r`` the pooled crude event
        rate (as :class:`PiecewiseExponential`), unit-of-time invariant.
    coef_prior : Normal, optional
        Prior of every log hazard ratio per unit of its design column. Default (None):
        ``Normal(0, 2)`` per unit of a 0/1 column and per standard deviation of any other column
        (so it does not depend on the covariate's unit).
    strata : str, optional
        Discrete covariate (text labels or whole-number codes, at most
        :data:`~bayeshcc.models._cox_design.MAX_STRATA` levels) whose levels each get their own
        baseline hazard (not in the formula).
    frailty : str, optional
        Covariate naming clusters (e.g. centre): a shared log-normal frailty,
        ``log u_c ~ Normal(0, sigma)``, multiplies the hazards of cluster ``c``.
    frailty_prior : Prior
        Prior of the frailty sd ``sigma`` (default ``HalfNormal(1)``); ``frailty_variance`` =
        ``sigma**2`` is reported.
    time_varying : sequence of str
        Design columns whose log HR differs by baseline interval (``log_hr_tv``, dims
        ``tv_term, interval``) instead of being constant (``log_hr``, dim ``term``).
    missing : {"error", "drop"}
        Patients missing a covariate the model reads (formula, ``strata``, ``frailty``; kept by
        ``SurvivalData.from_frame(..., missing_covariates="keep")``): ``"error"`` raises a
        DataError listing them; ``"drop"`` leaves them out of the fit with a UserWarning listing
        them, and ``fit.dropped_rows`` records them. Rows are named by the index labels of the
        frame given to ``SurvivalData.from_frame`` (``data.row_labels``).
    collapse : {"auto", True, False}
        Sum events and exposure over patients sharing a covariate pattern (and stratum and
        cluster) per interval, into ``(pattern, interval)`` matrices: the posterior is the same
        and sampling much faster (benchmarks/RESULTS.md). ``"auto"`` collapses when
        there are at most half as many patterns as patients (all covariates discrete, in effect).

    Notes
    -----
    The hazard of patient ``i`` in interval ``k`` is ``h0[s_i, k] exp(x_i beta + u_{c_i})``,
    fitted through the Poisson representation of the split data (Holford 1980; Laird and Olivier
    1981): the events of each patient-interval are Poisson with mean hazard times exposure, whose
    likelihood equals the piecewise-exponential one up to a constant (uncollapsed and without
    ``time_varying`` terms, the same likelihood is evaluated per patient, summed over the
    patient's intervals: same posterior, much faster). With one interval per
    distinct event time this is the Cox partial likelihood's estimate (Breslow ties). Design
    columns are centred (and non-0/1 columns scaled to unit sd) for sampling; ``log_hr`` is on
    the original scale and ``baseline_hazard`` (dims ``stratum, interval``) is the hazard at the
    mean design row.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> cohort = bh.datasets.synthetic_huang2022(seed=1)
    >>> model = bh.CoxPH("arm + pvtt + afp_high", cutpoints=[0, 6, 12, 18])
    >>> fit = model.fit(cohort, seed=1)  # doctest: +SKIP
    """

    family: ClassVar[str] = "cox_ph"
    endpoint: ClassVar[str] = "survival"
    data_types: ClassVar[tuple[type, ...]] = (SurvivalData,)
    result: ClassVar[type] = CoxFit

    formula: str = field(kw_only=False)
    cutpoints: tuple[float, ...] | str = "quantiles:8"
    baseline_prior: Prior | None = None
    coef_prior: Normal | None = None
    strata: str | None = None
    frailty: str | None = None
    frailty_prior: Prior = HalfNormal(sigma=1.0)
    time_varying: tuple[str, ...] = ()
    missing: Literal["error", "drop"] = "error"
    collapse: Literal["auto"] | bool = "auto"

    #: Fit an uncollapsed model without time-varying terms through the per-patient likelihood
    #: (same posterior as the split cells, O(patients) per evaluation); False forces the cells.
    _patient_likelihood: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "formula", cd.normalise_formula(self.formula))
        cd.formula_variables(self.formula)
        if isinstance(self.cutpoints, str):
            quantiles_count(self.cutpoints)
        else:
            object.__setattr__(self, "cutpoints", parse_cutpoints(self.cutpoints))
        tv = (self.time_varying,) if isinstance(self.time_varying, str) else self.time_varying
        if not all(isinstance(t, str) for t in tv):
            raise SpecError(f"time_varying: expected design column names, got {self.time_varying!r}")
        object.__setattr__(self, "time_varying", tuple(tv))
        checks = (("baseline_prior", self.baseline_prior, "positive"), ("frailty_prior", self.frailty_prior, "positive"))
        for name, p, support in checks:
            if p is not None and (not isinstance(p, Prior) or p.support != support):
                raise SpecError(f"{name} must be a bayeshcc prior on (0, inf), e.g. bh.LogNormal, got {p!r}")
        if self.coef_prior is not None and not isinstance(self.coef_prior, Normal):
            raise SpecError(f"coef_prior must be a bh.Normal (applied to every log HR), got {self.coef_prior!r}")
        for name in ("strata", "frailty"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, str):
                raise SpecError(f"{name} must be a covariate name, got {v!r}")
        if self.strata is not None and self.strata == self.frailty:
            raise SpecError(f"strata and frailty name the same column {self.strata!r}")
        if self.missing not in ("error", "drop"):
            raise SpecError(f"missing must be 'error' or 'drop', got {self.missing!r}")
        if self.collapse not in ("auto", True, False) or isinstance(self.collapse, int) and not isinstance(self.collapse, bool):
            raise SpecError(f"collapse must be 'auto', True or False, got {self.collapse!r}")

    # -- data ---------------------------------------------------------------------------------
    def _read_columns(self) -> list[str]:
        covs = sorted(cd.formula_variables(self.formula) - {"arm"})
        return covs + [c for c in (self.strata, self.frailty) if c is not None and c not in covs]

    def survival_data(self, df: pd.DataFrame, *, time: str, event: str, arm: str | None = None,
                      arms: Sequence[str] | None = None, time_unit: str = "time units") -> SurvivalData:
        """Patient-level data for this model from a frame, handling missing covariates per ``missing``.

        The covariates kept are the variables the formula reads plus ``strata`` and ``frailty``;
        rows missing any of them are refused or dropped as :meth:`fit` does (:meth:`coerce`).
        """
        covs = self._read_columns()
        absent = [c for c in covs if c not in df.columns]
        if absent:
            raise DataError(f"CoxPH: column(s) {absent} read by the model are not in the frame")
        data = SurvivalData.from_frame(df, time=time, event=event, arm=arm, covariates=covs, arms=arms,
                                       time_unit=time_unit, missing_covariates="keep")
        return self.coerce(data)

    def coerce(self, data):
        """``data`` without the patients missing a covariate the model reads (``missing="drop"``,
        with a UserWarning listing them); a DataError listing them with ``missing="error"``."""
        if not isinstance(data, SurvivalData):
            return data
        rows, cols = cd.missing_rows(data, self._read_columns())
        if rows.size == 0:
            return data
        named = format_rows(row_labels(data, rows))
        if self.missing == "error":
            raise DataError(
                f"CoxPH: covariate(s) {cols} are missing in {named}; remove those rows or "
                "pass missing='drop' to leave them out (reported in fit.dropped_rows)"
            )
        warnings.warn(f"CoxPH: dropped {rows.size} row(s) with missing covariates {cols}: {named}",
                      UserWarning, stacklevel=3)
        return without_rows(data, rows)

    def bind(self, data: SurvivalData) -> CoxPH:
        """This model with ``"quantiles:N"`` cutpoints resolved on ``data``."""
        if isinstance(self.cutpoints, str):
            return replace(self, cutpoints=parse_cutpoints(self.cutpoints, data))
        return self

    def _control(self, data: SurvivalData) -> str:
        return data.control if data.control is not None else data.arms[0]

    def design(self, data: SurvivalData, *, arm: str | None = None) -> cd.DesignRows:
        """Each patient's centred design rows, strata and clusters; ``arm`` sets every patient's arm.

        Centres are the column means of ``data`` as observed (whatever ``arm``), so the rows match
        the fitted ``baseline_hazard`` (g-computation sets ``arm`` to each arm in turn).
        """
        control = self._control(data)
        observed, cols, spec = cd.model_matrix(self.formula, data, control)
        x = observed
        if arm is not None:
            x = np.asarray(spec.get_model_matrix(cd.model_frame(data, control, arm))[list(cols)], dtype=float)
        x = x - observed.mean(axis=0)
        tv = self._tv_index(cols)
        const = [j for j in range(len(cols)) if j not in tv]
        stratum, _ = cd.level_index(data, self.strata, "strata")
        cluster, _ = cd.level_index(data, self.frailty, "frailty")
        return cd.DesignRows(const=x[:, const], tv=x[:, tv], stratum=stratum, cluster=cluster)

    def _tv_index(self, cols: tuple[str, ...]) -> list[int]:
        unknown = [t for t in self.time_varying if t not in cols]
        if unknown:
            raise DataError(f"time_varying: {unknown} are not design columns; the formula gives {list(cols)}")
        return [cols.index(t) for t in self.time_varying]

    def prepare(self, data: SurvivalData) -> Prepared:
        """Split the patients at the cutpoints and build the (possibly collapsed) Poisson cells."""
        self.check_data(data)
        if isinstance(self.cutpoints, str):
            raise SpecError("cutpoints: 'quantiles:N' is resolved by bind(data) before prepare")
        rows, cols = cd.missing_rows(data, self._read_columns())
        if rows.size:
            raise DataError(f"CoxPH: covariate(s) {cols} are missing in {format_rows(row_labels(data, rows))}; fit() refuses "
                            f"or drops them (missing={self.missing!r}); prepare() takes complete data only")
        for name in ("strata", "frailty"):
            col = getattr(self, name)
            if col is not None and col in cd.formula_variables(self.formula):
                raise SpecError(f"{name}: {col!r} is also in the formula; a {name} column cannot have a coefficient")
        last = float(data.frame["time"].max())
        beyond = [c for c in self.cutpoints if c >= last]
        if beyond:
            raise DataError(f"cutpoints {beyond} lie at or beyond the data's last follow-up time {last:g} "
                            f"{data.time_unit}; use cutpoints below {last:g}")
        control = self._control(data)
        x, cols, _ = cd.model_matrix(self.formula, data, control)  # DataError for non-finite values
        centre, scale, _ = cd.design_scaling(x, cols)
        xs = (x - centre) / scale
        tv = self._tv_index(cols)
        const = [j for j in range(len(cols)) if j not in tv]
        stratum, strata = cd.level_index(data, self.strata, "strata")
        cluster, clusters = cd.level_index(data, self.frailty, "frailty")
        cells, kind, n_cells, n_patterns = cd.likelihood_arrays(
            data.split(self.cutpoints), xs, const, tv, stratum, cluster, len(self.cutpoints),
            collapse=self.collapse, auto_ratio=AUTO_COLLAPSE_RATIO, patient_likelihood=self._patient_likelihood)
        collapse, per_patient = kind == "patterns", kind == "patients"
        prior = self.coef_prior
        mu = np.zeros(len(cols)) if prior is None else prior.mu * scale
        sigma = np.full(len(cols), DEFAULT_COEF_SIGMA) if prior is None else prior.sigma * scale
        unused = {"X_tv"} if not tv else set()
        unused |= {"cluster_idx"} if self.frailty is None else set()
        unused |= {"X"} if not const else set()
        unused |= {"stratum_idx"} if collapse and len(strata) == 1 else set()  # broadcast: not in the graph
        arrays = {k: v for k, v in cells.items() if k not in unused}
        if const:
            arrays.update(coef_mu=mu[const], coef_sigma=sigma[const], x_scale=scale[const])
        if tv:
            arrays.update(tv_mu=mu[tv], tv_sigma=sigma[tv], tv_scale=scale[tv])
        rate = crude_rate(data)
        if self.baseline_prior is None:
            arrays["baseline_mu"] = np.asarray(math.log(rate))
        coords = {"term": [cols[j] for j in const], "tv_term": [cols[j] for j in tv], "stratum": strata,
                  "interval": interval_labels(self.cutpoints), "cluster": clusters}
        structure = ("cox", tuple(coords["term"]), tuple(coords["tv_term"]), tuple(strata), len(clusters),
                     len(self.cutpoints), collapse, kind)
        f = data.frame
        extra = {"time": f["time"].to_numpy(float), "event": f["event"].to_numpy(float), "crude_rate": rate,
                 "collapsed": collapse, "n_cells": n_cells, "per_patient": per_patient, "n_patterns": n_patterns,
                 "centre": centre, "scale": scale,
                 "rows": cd.DesignRows(const=(x - centre)[:, const], tv=(x - centre)[:, tv], stratum=stratum,
                                       cluster=cluster)}
        arms = (control, *[a for a in data.arms if a != control])
        return Prepared(arrays=arrays, structure=structure, arms=arms, control=control, coords=coords, extra=extra)

    # -- model --------------------------------------------------------------------------------
    def build(self, prepared: Prepared) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        coords = {k: v for k, v in prepared.coords.items() if v and not (k == "cluster" and self.frailty is None)}
        with pm.Model(coords=coords) as model:
            d = {k: pm.Data(k, v) for k, v in prepared.arrays.items()}
            dims = ("stratum", "interval")
            if self.baseline_prior is None:
                log_base = pm.Normal("log_baseline_hazard", mu=d["baseline_mu"], sigma=DEFAULT_BASELINE_SIGMA, dims=dims)
                pm.Deterministic("baseline_hazard", pt.exp(log_base), dims=dims)
            else:
                log_base = pt.log(self.baseline_prior.to_pymc("baseline_hazard", dims=dims))
            kind = prepared.structure[-1]
            # patterns: (pattern, interval) matrices, each term broadcast along its own axis
            col = (lambda v: v[:, None]) if kind == "patterns" else (lambda v: v)
            if kind == "patients":
                eta = 0.0
            elif kind == "patterns":
                eta = log_base[0][None, :] if len(prepared.coords["stratum"]) == 1 else log_base[d["stratum_idx"]]
            else:
                eta = log_base[d["stratum_idx"], d["interval_idx"]]
            if prepared.coords["term"]:
                beta = pm.Normal("log_hr_std", mu=d["coef_mu"], sigma=d["coef_sigma"], dims="term")
                pm.Deterministic("log_hr", beta / d["x_scale"], dims="term")
                eta = eta + col(pt.dot(d["X"], beta))
            if prepared.coords["tv_term"]:
                b = pm.Normal("log_hr_tv_std", mu=d["tv_mu"][:, None], sigma=d["tv_sigma"][:, None],
                              dims=("tv_term", "interval"))
                pm.Deterministic("log_hr_tv", b / d["tv_scale"][:, None], dims=("tv_term", "interval"))
                eta = eta + (pt.sum(d["X_tv"][:, :, None] * b[None], axis=1) if kind == "patterns"  # no BLAS Gemm
                             else pt.sum(d["X_tv"] * b[:, d["interval_idx"]].T, axis=1))
            if self.frailty is not None:
                sd = self.frailty_prior.to_pymc("frailty_sd")
                z = pm.Normal("frailty_z", 0.0, 1.0, dims="cluster")
                u = pm.Deterministic("frailty", sd * z, dims="cluster")
                pm.Deterministic("frailty_variance", sd**2)
                eta = eta + col(u[d["cluster_idx"]])
            if kind == "patterns":
                # sum over a pattern's patients of the Poisson cells' log-likelihood, less constants
                pm.CustomDist("events_patterns", eta, d["exposure"] * pt.exp(eta), logp=_patient_logp,
                              observed=d["events"])
            elif kind == "patients":
                # log L_i = d_i (log h0[s_i, k_i] + eta_i) - exp(eta_i) sum_k E_ik h0[s_i, k]: the cells'
                # Poisson log-likelihood summed over the patient's intervals, less sum d log E - log d!
                h0 = pt.exp(log_base)
                cum = (pt.dot(d["exposure"], h0[0]) if len(prepared.coords["stratum"]) == 1
                       else pt.sum(d["exposure"] * h0[d["stratum_idx"]], axis=1))
                log_rate = eta + log_base[d["stratum_idx"], d["interval_idx"]]
                pm.CustomDist("events_patients", log_rate, pt.exp(eta) * cum, logp=_patient_logp,
                              observed=d["events"])
            else:
                pm.Poisson("events_cells", mu=pt.exp(eta) * d["exposure"], observed=d["events"])
        return model

    def describe(self) -> str:
        parts = [repr(self.formula), f"cutpoints={self.cutpoints!r}"]
        for name in ("strata", "frailty"):
            if getattr(self, name) is not None:
                parts.append(f"{name}={getattr(self, name)!r}")
        if self.time_varying:
            parts.append(f"time_varying={list(self.time_varying)}")
        return ", ".join(parts)

    def prior_text(self, prepared: Prepared, time_unit: str = "time units") -> str:
        """The priors as used for this data (the default baseline's centre written out)."""
        if self.baseline_prior is None:
            r = prepared.extra["crude_rate"]
            base = f"LogNormal(mu=log({r:.4g}), sigma={DEFAULT_BASELINE_SIGMA:g}) [default: pooled crude event rate]"
        else:
            base = str(self.baseline_prior)
        coef = (f"Normal(0, {DEFAULT_COEF_SIGMA:g}) per unit of a 0/1 column, per sd of others [default]"
                if self.coef_prior is None else f"{self.coef_prior} per unit of each design column")
        out = f"baseline hazard (at the mean design row) per stratum and interval ~ {base}; log_hr ~ {coef}"
        if self.frailty is not None:
            out += f"; frailty sd ~ {self.frailty_prior}"
        return out

    def check_compare(self, data: SurvivalData, prepared: Prepared, **settings) -> None:
        """Arms, times and RMST horizon of a comparison, checked before sampling."""
        from bayeshcc.results.fit import resolve_pair
        from bayeshcc.results.survival import check_compare_args

        if "arm" not in cd.formula_variables(self.formula):
            raise DataError("compare: the formula has no 'arm' term, so the model does not compare arms")
        treatment, control = resolve_pair(prepared.arms, prepared.control, settings.get("treatment"), settings.get("control"))
        check_compare_args(prepared.arms, data.horizon, np.asarray(self.cutpoints), treatment=treatment,
                           control=control, times=settings.get("times"), tau=settings.get("tau"),
                           prob=settings.get("prob", 0.95), time_unit=data.time_unit)

    def pointwise_log_likelihood(self, prepared: Prepared, posterior) -> xr.Dataset:
        """Each patient's exact log-likelihood ``d log h(t) - H(t)`` per draw (one LOO term per patient)."""
        from bayeshcc.results import _standardise as st

        e = prepared.extra
        ll = st.patient_log_likelihood(e["rows"], e["time"], e["event"], np.asarray(self.cutpoints),
                                       st.flat_draws(posterior))
        shape = (posterior.sizes["chain"], posterior.sizes["draw"], -1)
        return xr.Dataset({"patients": (("chain", "draw", "patient"), ll.reshape(shape))},
                          coords={"chain": posterior.coords["chain"], "draw": posterior.coords["draw"]})

    def exposure_overlap(self, times: np.ndarray) -> np.ndarray:
        """Time spent in each baseline interval up to each time, ``(time, interval)``."""
        t = np.asarray(times, dtype=float)
        return overlap(np.asarray(self.cutpoints), np.zeros_like(t), t)
