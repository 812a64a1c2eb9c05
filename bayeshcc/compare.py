"""Posterior contrasts between arms: hazard ratio, survival at t, median, RMST -> Comparison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc import piecewise
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import DataError, SpecError

__all__ = ["Comparison", "compare_survival", "survival_bands", "survival_draws"]

_DIRECTIONS = ("<", ">")


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
        Columns ``arm, time, median, lower, upper, prob``.
    """
    _check_prob(prob)
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
                }
            )
        )
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Posterior comparison of two arms.

    Attributes
    ----------
    draws : xarray.Dataset
        Posterior draws (dims ``chain, draw`` plus ``arm``, ``time`` or ``interval`` as needed).
    treatment, control : str
    interval_prob : float
        Default interval mass of :meth:`summary` (the ``prob`` it was made with).
    time_unit : str
    notes : list of str
        Caveats, e.g. medians not reached within the data.
    """

    draws: xr.Dataset
    treatment: str
    control: str
    interval_prob: float = 0.95
    time_unit: str = "months"
    notes: list[str] = field(default_factory=list)

    def summary(self, prob: float | None = None) -> pd.DataFrame:
        """One row per quantity (and arm, time or interval): mean, median, equal-tailed interval.

        Parameters
        ----------
        prob : float, optional
            Interval mass (default ``self.interval_prob``); the bound columns name it, e.g.
            ``eti95_lower``.

        Returns
        -------
        pandas.DataFrame
            Columns ``quantity, arm, time, interval, mean, sd, median, eti{P}_lower,
            eti{P}_upper, unit``. A median not reached within the data shows as ``inf``
            ("not reached"): its mean is ``inf`` and its bounds are ``inf`` when beyond.
        """
        prob = self.interval_prob if prob is None else prob
        _check_prob(prob)
        lo_name, hi_name = _bound_names(prob)
        q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
        rows = []
        for name, da in self.draws.data_vars.items():
            other = [d for d in da.dims if d not in ("chain", "draw")]
            flat = da.stack(sample=("chain", "draw")).transpose(*other, "sample")
            for idx in np.ndindex(*flat.shape[:-1]):
                x = flat.values[idx]
                labels = {d: flat.coords[d].values[i] for d, i in zip(other, idx, strict=True)}
                labels = {k: v.item() if hasattr(v, "item") else v for k, v in labels.items()}
                defined = x[~np.isnan(x)]
                lo, med, hi = _quantiles(defined, q) if defined.size else [np.nan] * 3
                rows.append(
                    {
                        "quantity": name,
                        "arm": labels.get("arm", ""),
                        "time": labels.get("time", np.nan),
                        "interval": labels.get("interval", ""),
                        "mean": _mean(defined),
                        "sd": float(np.std(defined, ddof=1)) if np.all(np.isfinite(defined)) and defined.size > 1 else np.nan,
                        "median": med,
                        lo_name: lo,
                        hi_name: hi,
                        "unit": da.attrs.get("unit", ""),
                    }
                )
        return pd.DataFrame(rows)

    def prob(self, quantity: str, direction: Literal["<", ">"], value: float, **sel) -> float:
        """Posterior probability that ``quantity`` is below (``"<"``) or above (``">"``) ``value``.

        Select one element of a quantity with dims by keyword, e.g.
        ``cmp.prob("survival_difference", ">", 0, time=12)``.
        """
        if quantity not in self.draws:
            raise SpecError(f"quantity {quantity!r} is not in this comparison; available: {list(self.draws.data_vars)}")
        if direction not in _DIRECTIONS:
            raise SpecError(f"direction must be '<' or '>', got {direction!r}")
        da = self.draws[quantity]
        if sel:
            unknown = [k for k in sel if k not in da.dims]
            if unknown:
                raise SpecError(f"{quantity} has no dimension(s) {unknown}; it has {list(da.dims)}")
            da = da.sel(**sel)
        extra = [d for d in da.dims if d not in ("chain", "draw")]
        if extra:
            raise SpecError(
                f"{quantity} has dimension(s) {extra}; select one value, e.g. "
                f"prob({quantity!r}, {direction!r}, {value}, {extra[0]}=...)"
            )
        x = da.values
        undefined = np.isnan(x)
        if undefined.any():
            raise DataError(
                f"{quantity} is undefined in {undefined.mean():.1%} of draws (neither median "
                "reached within the data), so its probability is not defined; compare "
                "rmst_difference or survival_difference instead"
            )
        return float(np.mean(x < value) if direction == "<" else np.mean(x > value))

    def __repr__(self) -> str:
        head = f"Comparison: {self.treatment} vs {self.control} (time in {self.time_unit}, {self.interval_prob:.0%} equal-tailed intervals)"
        table = self.summary().drop(columns=["sd"]).to_string(index=False, float_format=lambda v: f"{v:.3f}")
        notes = "".join(f"\nNote: {n}" for n in self.notes)
        return f"{head}\n{table}{notes}"


def _check_prob(prob: float) -> None:
    if not (isinstance(prob, float | int) and 0 < prob < 1):
        raise SpecError(f"prob must be strictly between 0 and 1, got {prob!r}")


def _bound_names(prob: float) -> tuple[str, str]:
    pct = f"{100 * prob:.4g}"
    return f"eti{pct}_lower", f"eti{pct}_upper"


def _mean(x: np.ndarray) -> float:
    """Mean that keeps the sign of infinite draws (+inf, -inf, or NaN when both occur)."""
    if x.size == 0:
        return np.nan
    pos, neg = np.isposinf(x).any(), np.isneginf(x).any()
    if pos or neg:
        return np.nan if (pos and neg) else (np.inf if pos else -np.inf)
    return float(np.mean(x))


def _quantiles(x: np.ndarray, q: list[float]) -> list[float]:
    """Linear-interpolation quantiles of draws that may hold +-inf ("not reached").

    Between an infinite and a finite neighbour the quantile is the infinite one, so that a
    bound is never a made-up finite number.
    """
    xs = np.sort(x)
    n = xs.size
    out = []
    for p in q:
        pos = p * (n - 1)
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        a, b = xs[lo], xs[hi]
        if np.isinf(a) and np.isinf(b) and a != b:
            out.append(np.nan)
        elif np.isinf(a) or np.isinf(b):
            out.append(float(a) if np.isinf(a) else float(b))
        else:
            out.append(float(a + (b - a) * (pos - lo)))
    return out


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
    time_unit: str = "months",
) -> tuple[np.ndarray, float]:
    """Validate comparison settings against the data before any sampling.

    Returns the times (default: cutpoints after 0 within the horizon) and tau (default: the
    largest time). Raises DataError for unknown or equal arms and times or tau beyond the data
    horizon, SpecError for a bad interval mass.
    """
    _check_prob(prob)
    check_arms(arms, [treatment], field="treatment")
    check_arms(arms, [control], field="control")
    if treatment == control:
        raise DataError(f"treatment and control must differ, both are {treatment!r}")
    limit = min(horizon[treatment], horizon[control])
    if times is None:
        times = [x for x in cutpoints[1:] if x <= limit] or [limit]
    try:
        t = np.asarray(times, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"times must be a list of numbers, got {times!r}") from None
    if t.ndim != 1 or t.size == 0 or np.any(~np.isfinite(t)) or np.any(t < 0):
        raise DataError(f"times must be a non-empty list of finite times >= 0, got {times!r}")
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
    if fit.model.effect == "proportional":
        hr = hr.isel(interval=0, drop=True)
    hr.attrs["unit"] = "ratio"
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
