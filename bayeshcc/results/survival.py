"""Survival results: ``SurvivalFit`` and the contrasts it gives (HR, S(t), median, RMST)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc import piecewise
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import DataError
from bayeshcc.results.comparison import Comparison, check_prob
from bayeshcc.results.fit import Fit

__all__ = ["SurvivalFit", "check_compare_args", "check_times", "compare_survival", "round_times", "survival_bands",
           "survival_draws"]


@dataclass(eq=False, repr=False)
class SurvivalFit(Fit):
    """Posterior of a piecewise-hazard survival model fitted to one dataset.

    The fields are :class:`~bayeshcc.results.fit.Fit`'s; ``idata.posterior["hazard"]`` has dims
    ``chain, draw, arm, interval`` (arms control first).
    """

    @property
    def hazard(self) -> xr.DataArray:
        """Posterior draws of the hazards, dims ``(chain, draw, arm, interval)``."""
        return self.idata.posterior["hazard"]

    @property
    def cutpoints(self) -> np.ndarray:
        """Interval starts of the model."""
        return np.asarray(self.model.cutpoints, dtype=float)

    @property
    def proportional(self) -> bool:
        """Whether the arms' hazards are proportional (one hazard ratio for all intervals)."""
        post = self.idata.posterior
        return "log_hr" in post and post["log_hr"].ndim == 2  # one log HR (chain, draw), not per period

    @property
    def time_unit(self) -> str:
        """Unit of time of the data."""
        return self.data.time_unit

    def evidence(self, prob: float = 0.95) -> pd.DataFrame:
        """Published figures the fit used (hazard ratios, medians, landmarks) beside their posteriors
        (:func:`bayeshcc.results.evidence.evidence_table`; empty for patient data and life tables)."""
        from bayeshcc.results.evidence import evidence_table

        return evidence_table(self, prob)

    def survival(self, times: Sequence[float]) -> xr.DataArray:
        """Posterior draws of S(t), dims ``(chain, draw, arm, time)``.

        ``times`` must be finite and >= 0 (DataError otherwise); beyond the data's horizon S(t) is
        the model's extrapolation (constant hazard in the last interval).
        """
        return survival_draws(self.hazard, self.cutpoints, check_times(times))

    def compare(
        self,
        *,
        treatment: str | None = None,
        control: str | None = None,
        times: Sequence[float] | None = None,
        tau: float | None = None,
        prob: float = 0.95,
    ) -> Comparison:
        """Posterior contrasts of ``treatment`` against ``control``.

        Parameters
        ----------
        treatment, control : str, optional
            Arm names; ``control`` defaults to the fit's control arm and ``treatment`` to the other
            arm of a two-arm fit.
        times : sequence of float, optional
            Times for survival and survival differences (default: three to six round numbers up
            to the shorter arm's data horizon, :func:`round_times`).
        tau : float, optional
            RMST horizon (default: the largest time within the data horizon among ``times``).
        prob : float
            Interval mass used by the summary (default 0.95).

        Returns
        -------
        Comparison
        """
        treatment, control = self.pair(treatment, control)
        return compare_survival(self, treatment=treatment, control=control, times=times, tau=tau, prob=prob)


def round_times(limit: float) -> list[float]:
    """Three to six round-number times in ``(0, limit]``: multiples of 1, 2, 2.5 or 5 times a power of 10.

    >>> round_times(52.0)
    [10.0, 20.0, 30.0, 40.0, 50.0]
    >>> round_times(2000.0)
    [500.0, 1000.0, 1500.0, 2000.0]
    """
    mag = 10.0 ** np.floor(np.log10(limit / 4))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        step = m * mag
        if limit / step <= 6 + 1e-9:
            break
    n = int(np.floor(limit / step + 1e-9))
    return [float(np.round(step * k, 10)) for k in range(1, n + 1)]


def check_times(times, field: str = "times") -> np.ndarray:
    """Times as a 1-d float array; DataError naming ``field`` unless finite numbers >= 0."""
    values = np.atleast_1d(np.asarray(times, dtype=object))
    bad = [v for v in values.ravel()
           if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating)
           or not np.isfinite(v) or v < 0]
    if values.ndim != 1 or values.size == 0 or bad:
        shown = f"; offending: {bad[:5]}" if bad else ""
        raise DataError(f"{field} must be a non-empty list of finite times >= 0, got {times!r}{shown}")
    return values.astype(float)


def survival_draws(hazard: xr.DataArray, cutpoints: np.ndarray, times: Sequence[float]) -> xr.DataArray:
    """S(t) draws from hazard draws ``(..., interval)`` -> ``(..., time)``."""
    t = np.asarray(times, dtype=float)
    hazard = hazard.transpose(..., "interval")
    s = piecewise.survival(hazard.values, cutpoints, t)
    dims = [d for d in hazard.dims if d != "interval"] + ["time"]
    coords = {d: hazard.coords[d] for d in dims if d in hazard.coords and d != "time"}
    return xr.DataArray(s, dims=dims, coords={**coords, "time": t})


def survival_bands(fit, times: Sequence[float] | None = None, *, prob: float = 0.95) -> pd.DataFrame:
    """Posterior median and equal-tailed band of S(t) per arm, for plotting.

    Parameters
    ----------
    fit : SurvivalFit
    times : sequence of float, optional
        Default: 200 points from 0 to the shortest arm horizon.
    prob : float
        Band mass.

    Returns
    -------
    pandas.DataFrame
        Columns ``arm, time, median, lower, upper, prob, unit`` (``unit``: the data's time unit).
        The band is pointwise: each time's interval holds ``prob`` of that time's posterior, and
        the curve as a whole may leave the band with a larger probability.
    """
    check_prob(prob)
    if times is None:
        times = np.linspace(0.0, min(fit.data.horizon.values()), 200)
    s = fit.survival(times).stack(sample=("chain", "draw"))
    q = s.quantile([(1 - prob) / 2, 0.5, (1 + prob) / 2], dim="sample")
    out = []
    for arm in s.coords["arm"].values:
        qa = q.sel(arm=arm)
        out.append(
            pd.DataFrame(
                {
                    "arm": arm,
                    "time": s.coords["time"].values,
                    "median": qa.isel(quantile=1).values,
                    "lower": qa.isel(quantile=0).values,
                    "upper": qa.isel(quantile=2).values,
                    "prob": prob,
                    "unit": fit.data.time_unit,
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def check_compare_args(
    arms: Sequence[str],
    horizon: dict[str, float],
    cutpoints: np.ndarray,
    *,
    treatment: str,
    control: str,
    times: Sequence[float] | None,
    tau: float | None,
    prob: float,
    time_unit: str = "time units",
) -> tuple[np.ndarray, float]:
    """Validate comparison settings against the data before any sampling.

    Returns the times (default: :func:`round_times` up to the shorter arm's horizon) and tau
    (default: the largest time). Raises DataError for unknown or equal arms and times or tau beyond the data
    horizon, SpecError for a bad interval mass.
    """
    check_prob(prob)
    check_arms(arms, [treatment], field="treatment")
    check_arms(arms, [control], field="control")
    if treatment == control:
        raise DataError(f"treatment and control must differ, both are {treatment!r}")
    limit = min(horizon[treatment], horizon[control])
    if times is None:
        times = round_times(limit)
    t = check_times(times)
    beyond = t[t > limit]
    if beyond.size:
        raise DataError(
            f"times {beyond.tolist()} lie beyond the data horizon {limit:g} {time_unit} "
            "(the latest follow-up); survival there would be extrapolation"
        )
    if tau is None:
        tau = float(t.max())
    ok = isinstance(tau, int | float | np.number) and not isinstance(tau, bool)
    if not (ok and np.isfinite(tau) and 0 < tau <= limit):
        raise DataError(f"tau must be in (0, {limit:g}] {time_unit} (the data horizon), got {tau!r}")
    return t, float(tau)


def compare_survival(
    fit,
    *,
    treatment: str,
    control: str,
    times: Sequence[float] | None = None,
    tau: float | None = None,
    prob: float = 0.95,
) -> Comparison:
    """Posterior contrasts of two arms of a piecewise-exponential fit (see ``SurvivalFit.compare``).

    Quantities: ``hazard_ratio`` (scalar under a proportional effect, by interval otherwise),
    ``survival`` (arm, time), ``survival_difference`` (time), ``median`` (arm),
    ``median_difference``, ``rmst`` (arm) and ``rmst_difference`` at horizon ``tau``.

    Notes
    -----
    Survival, median and RMST follow in closed form from the piecewise-constant hazards (see
    :mod:`bayeshcc.piecewise`). A median beyond the arm's data horizon (the latest time the data
    inform) is set to ``inf`` and reported as not reached rather than extrapolated; times and
    ``tau`` beyond the horizon raise a DataError for the same reason.
    """
    t, tau = check_compare_args(
        fit.arms, fit.data.horizon, fit.cutpoints, treatment=treatment, control=control,
        times=times, tau=tau, prob=prob, time_unit=fit.time_unit,
    )
    horizon = fit.data.horizon
    c = fit.cutpoints
    hz = fit.hazard.sel(arm=[control, treatment]).transpose("chain", "draw", "arm", "interval")
    unit = fit.time_unit
    surv = survival_draws(hz, c, t)
    surv.attrs["unit"] = "probability"
    arm_coords = {"arm": [control, treatment]}
    med = xr.DataArray(
        piecewise.median_survival(hz.values, c), dims=("chain", "draw", "arm"), coords=arm_coords
    )
    notes = []
    for arm in (control, treatment):
        m = med.sel(arm=arm).values
        reached = m <= horizon[arm]
        med.loc[{"arm": arm}] = np.where(reached, m, np.inf)
        share = 1 - reached.mean()
        if share > 0:
            notes.append(
                f"median of {arm} not reached within the data horizon ({horizon[arm]:g} {unit}) "
                f"in {share:.1%} of draws; shown as inf"
            )
    med.attrs["unit"] = unit
    rm = xr.DataArray(piecewise.rmst(hz.values, c, tau), dims=("chain", "draw", "arm"), coords=arm_coords)
    rm.attrs["unit"] = unit
    hr = hz.sel(arm=treatment) / hz.sel(arm=control)
    if fit.proportional:
        hr = hr.isel(interval=0, drop=True)
    hr.attrs["unit"] = "ratio"
    if not fit.proportional:  # per-arm hazards: an interval an arm never reaches is prior only
        labels = list(hz.coords["interval"].values)
        unseen = {arm: [lab for lab, c0 in zip(labels, c, strict=True) if c0 >= horizon[arm]]
                  for arm in (control, treatment)}
        prior_only = sorted(set(unseen[control]) | set(unseen[treatment]), key=labels.index)
        if prior_only:
            hr.attrs["prior_only"] = tuple(prior_only)
            who = "; ".join(f"{arm} (follow-up ends at {horizon[arm]:g} {unit}) in {lab}"
                            for arm, lab in unseen.items() if lab)
            notes.append(f"hazard_ratio in {', '.join(prior_only)} is prior only (prior_only column): no "
                         f"patient at risk for {who}")
    meddiff = med.sel(arm=treatment, drop=True) - med.sel(arm=control, drop=True)
    meddiff.attrs["unit"] = unit
    draws = xr.Dataset(
        {
            "hazard_ratio": hr,
            "survival": surv,
            "survival_difference": (surv.sel(arm=treatment, drop=True) - surv.sel(arm=control, drop=True)).assign_attrs(unit="probability"),
            "median": med,
            "median_difference": meddiff,
            "rmst": rm,
            "rmst_difference": (rm.sel(arm=treatment, drop=True) - rm.sel(arm=control, drop=True)).assign_attrs(unit=unit),
        },
        attrs={"treatment": treatment, "control": control, "tau": float(tau), "time_unit": unit},
    )
    undefined = float(np.isnan(meddiff.values).mean())
    if np.isinf(med.values).any():
        notes.append(
            "median_difference is +-inf where one median is not reached"
            + (f" and undefined (NaN) in {undefined:.1%} of draws where neither is" if undefined else "")
            + "; its summary uses the defined draws"
        )
    return Comparison(draws=draws, treatment=treatment, control=control, interval_prob=prob, time_unit=unit, notes=notes)
