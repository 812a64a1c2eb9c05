"""``Comparison``: posterior draws of contrasts between two arms, their summary and probabilities.

A Comparison answers ``prob(quantity, direction, value, **selectors)`` (the
:class:`~bayeshcc.quantities.Posterior` protocol), so a decision rule applies to it exactly as it
applies to a simulated trial's posterior: ``rule.evaluate(comparison)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.diagnostics import bound_names, check_prob
from bayeshcc.errors import DataError, SpecError

__all__ = ["Comparison", "bound_names", "check_prob"]  # the last two re-exported


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
    time_unit : str or None
        Unit of time of the data (None for contrasts without time).
    notes : list of str
        Caveats, e.g. medians not reached within the data.
    """

    draws: xr.Dataset
    treatment: str
    control: str
    interval_prob: float = 0.95
    time_unit: str | None = None
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
            Columns ``quantity, arm, time, interval, tau, mean, sd, median, eti{P}_lower,
            eti{P}_upper, p_benefit, prior_only, unit``. ``prior_only`` is True for rows the data do
            not inform (e.g. a per-arm hazard ratio in an interval where one arm has no patient at
            risk: its posterior is the prior's). ``tau`` is the RMST horizon (rmst rows);
            ``p_benefit`` is the posterior probability that the treatment is better on a contrast,
            in the quantity's benefit direction (:mod:`bayeshcc.quantities`): P(HR < 1),
            P(difference > 0), P(ratio > 1); empty for per-arm rows. A median not reached within
            the data shows as ``inf`` ("not reached"): its mean is ``inf`` and its bounds are
            ``inf`` when beyond.
        """
        from bayeshcc.quantities import QUANTITIES

        prob = self.interval_prob if prob is None else prob
        check_prob(prob)
        lo_name, hi_name = bound_names(prob)
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
                contrast = QUANTITIES.get(name)
                p_benefit = np.nan
                if contrast is not None and defined.size:
                    better = defined < contrast.null if contrast.benefit == "<" else defined > contrast.null
                    p_benefit = float(better.mean())
                rows.append(
                    {
                        "quantity": name,
                        "arm": labels.get("arm", ""),
                        "time": labels.get("time", np.nan),
                        "interval": labels.get("interval", ""),
                        "tau": self.draws.attrs.get("tau", np.nan) if name.startswith("rmst") else np.nan,
                        "mean": _mean(defined),
                        "sd": float(np.std(defined, ddof=1)) if np.all(np.isfinite(defined)) and defined.size > 1 else np.nan,
                        "median": med,
                        lo_name: lo,
                        hi_name: hi,
                        "p_benefit": p_benefit,
                        "prior_only": str(labels.get("interval", "")) in da.attrs.get("prior_only", ()),
                        "unit": da.attrs.get("unit", ""),
                    }
                )
        return pd.DataFrame(rows)

    def prob(self, quantity: str, direction: Literal["<", ">"], value: float, **selectors: Any) -> float:
        """Posterior probability that ``quantity`` is below (``"<"``) or above (``">"``) ``value``.

        Selectors pick one value of a quantity with dims, and mean what they mean in decision
        rules (:mod:`bayeshcc.quantities`): ``interval=k`` (0-based), ``time=t``, ``tau=t`` (must
        be the comparison's RMST horizon) and, for per-arm quantities, ``arm=name``. E.g.
        ``cmp.prob("survival_difference", ">", 0, time=12)``.
        """
        from bayeshcc.quantities import QUANTITIES, check_direction

        if not isinstance(quantity, str) or quantity not in self.draws:
            raise SpecError(f"quantity {quantity!r} is not in this comparison; available: {list(self.draws.data_vars)}")
        check_direction(direction)
        if quantity in QUANTITIES:
            value = QUANTITIES[quantity].check_value(value, "value")
        elif isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) or not np.isfinite(value):
            raise SpecError(f"value must be a finite number, got {value!r}")
        da = _select(self.draws, quantity, selectors)
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
        unit = f"time in {self.time_unit}, " if self.time_unit else ""
        head = f"Comparison: {self.treatment} vs {self.control} ({unit}{self.interval_prob:.0%} equal-tailed intervals)"
        table = self.summary().drop(columns=["sd"])
        empty = [c for c in ("arm", "time", "interval", "tau") if table[c].isna().all() or (table[c] == "").all()]
        if not table["prior_only"].any():
            empty.append("prior_only")
        table = table.drop(columns=empty).to_string(index=False, float_format=lambda v: f"{v:.3f}")
        notes = "".join(f"\nNote: {n}" for n in self.notes)
        return f"{head}\n{table}{notes}"


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


def _select(draws: xr.Dataset, quantity: str, selectors: dict[str, Any]) -> xr.DataArray:
    """One value per draw of ``quantity``: apply the selectors, then refuse leftover dims."""
    da = draws[quantity]
    sel = dict(selectors)
    if "tau" in sel:
        tau, given = draws.attrs.get("tau"), sel.pop("tau")
        if tau is None or not quantity.startswith("rmst"):
            raise SpecError(f"tau: only used with rmst and rmst_difference, not with {quantity!r}")
        if isinstance(given, bool) or not isinstance(given, int | float | np.integer | np.floating):
            raise SpecError(f"tau: expected a number (the RMST horizon), got {given!r}")
        if not np.isclose(float(given), tau):
            raise SpecError(f"tau: this comparison's RMST horizon is {tau:g}, got {given!r}; compare again with tau=")
    for key, v in sel.items():
        if key not in da.dims:
            raise SpecError(f"{quantity} has no selector {key!r}; it has dims {[d for d in da.dims if d not in ('chain', 'draw')]}")
        labels = list(da.coords[key].values)
        if key == "interval" and isinstance(v, int | np.integer) and not isinstance(v, bool):
            if not 0 <= v < len(labels):
                raise SpecError(f"interval: {v} is out of range; expected 0 to {len(labels) - 1} "
                                f"({[_plain(x) for x in labels]})")
            da = da.isel(interval=int(v))
            continue
        matches = [i for i, lab in enumerate(labels) if _same(lab, v)]
        if not matches:
            raise SpecError(f"{key}={v!r} is not in this comparison; computed: {[_plain(x) for x in labels]}")
        da = da.isel({key: matches[0]})
    if "interval" in da.dims and da.sizes["interval"] == 1:
        da = da.isel(interval=0)  # one analysis interval: its HR is the HR, as in the simulator
    extra = [d for d in da.dims if d not in ("chain", "draw")]
    if extra:
        raise SpecError(f"{quantity} has dimension(s) {extra}; select one value, e.g. prob({quantity!r}, ..., {extra[0]}=...)")
    return da


def _same(label: Any, v: Any) -> bool:
    if isinstance(label, str) or isinstance(v, str):
        return str(label) == str(v)
    try:
        return bool(np.isclose(float(label), float(v)))
    except (TypeError, ValueError):
        return False


def _plain(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x
