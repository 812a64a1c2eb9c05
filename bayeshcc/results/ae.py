"""Adverse-event results: ``AEFit`` and ``AEComparison`` (per event and grade band)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.errors import DataError, SpecError
from bayeshcc.results.comparison import Comparison, bound_names, check_prob
from bayeshcc.results.fit import Fit

__all__ = ["AEComparison", "AEFit"]

_KEYS = ["grade", "system", "event"]
_UNITS = {"ae_risk_difference": "probability", "ae_odds_ratio": "ratio"}


@dataclass(frozen=True, eq=False, repr=False)
class AEComparison(Comparison):
    """Posterior contrasts of treatment against control for every adverse event and grade band.

    Draws have dim ``cell`` (one event in one grade band) with coordinates ``grade``, ``system``
    and ``event`` along it: ``ae_risk_difference`` (p_T - p_C), ``ae_odds_ratio`` and ``rate``
    (cell, arm).

    Attributes
    ----------
    cells : pandas.DataFrame
        The data per cell: ``grade, system, event, control_count, control_n, treatment_count,
        treatment_n, observed_difference``.
    p_zero : numpy.ndarray or None
        Posterior probability that each cell's log odds ratio is exactly 0 (point-mass model).
    """

    cells: pd.DataFrame = field(default_factory=pd.DataFrame)
    p_zero: np.ndarray | None = None

    def summary(self, prob: float | None = None) -> pd.DataFrame:
        """One row per quantity, grade band and event.

        Parameters
        ----------
        prob : float, optional
            Interval mass (default ``self.interval_prob``), named in the bound columns.

        Returns
        -------
        pandas.DataFrame
            ``quantity, grade, system, event, control_count, control_n, treatment_count,
            treatment_n, observed`` (the raw risk difference or odds ratio), ``mean, sd, median,
            eti{P}_lower, eti{P}_upper, p_higher`` (P(risk higher on treatment | data)),
            ``p_zero`` (point-mass model only: P(log OR = 0 | data)), ``unit``.
        """
        prob = self.interval_prob if prob is None else prob
        check_prob(prob)
        lo_name, hi_name = bound_names(prob)
        c = self.cells
        observed = {
            "ae_risk_difference": c["observed_difference"].to_numpy(float),
            "ae_odds_ratio": _raw_odds_ratio(c),
        }
        frames = []
        for name in ("ae_risk_difference", "ae_odds_ratio"):
            x = self.draws[name].stack(sample=("chain", "draw")).transpose("cell", "sample").values
            lo, med, hi = np.quantile(x, [(1 - prob) / 2, 0.5, (1 + prob) / 2], axis=1)
            t = c.drop(columns="observed_difference").copy()
            t.insert(0, "quantity", name)
            t["observed"] = observed[name]
            t["mean"], t["sd"], t["median"] = x.mean(axis=1), x.std(axis=1, ddof=1), med
            t[lo_name], t[hi_name] = lo, hi
            t["p_higher"] = (x > (0.0 if name == "ae_risk_difference" else 1.0)).mean(axis=1)
            if self.p_zero is not None:
                t["p_zero"] = self.p_zero
            t["unit"] = _UNITS[name]
            frames.append(t)
        return pd.concat(frames, ignore_index=True)

    def flagged(self, threshold: float = 0.9, *, direction: Literal[">", "<"] = ">",
                prob: float | None = None) -> pd.DataFrame:
        """Events whose risk is higher (``">"``) or lower (``"<"``) on treatment with posterior
        probability above ``threshold``: the risk-difference rows of :meth:`summary`, most
        probable first.
        """
        from bayeshcc.quantities import check_direction

        check_direction(direction)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
            raise SpecError(f"threshold must be a probability in (0, 1), got {threshold!r}")
        t = self.summary(prob)
        t = t[t["quantity"] == "ae_risk_difference"]
        if direction == ">":
            p = t["p_higher"]
        else:  # not 1 - p_higher: under the point-mass model the difference can be exactly 0
            p = pd.Series((self.draws["ae_risk_difference"] < 0).mean(("chain", "draw")).values, index=t.index)
        out = t.assign(p_flag=p)[p > threshold].sort_values("p_flag", ascending=False, kind="stable")
        return out.reset_index(drop=True)

    def prob(self, quantity: str, direction: Literal["<", ">"], value: float, **selectors: Any) -> float:
        """``P(quantity <direction> value | data)`` for one cell, picked by ``event=`` and
        ``grade=`` (and ``system=`` where an event name repeats); per-arm ``rate`` also takes
        ``arm=``."""
        sel = {k: selectors.pop(k) for k in _KEYS if k in selectors}
        mask = np.ones(self.draws.sizes["cell"], dtype=bool)
        for k, v in sel.items():
            have = self.draws.coords[k].values
            if str(v) not in set(have):
                raise SpecError(f"{k}={v!r} is not in this comparison; available: {list(dict.fromkeys(have))}")
            mask &= have == str(v)
        if mask.sum() != 1:
            cells = list(self.draws.coords["cell"].values[mask])
            raise SpecError(f"{quantity}: select one event and grade band (e.g. event=..., grade=...); "
                            f"{len(cells)} match: {cells[:5]}")
        one = self.draws.isel(cell=int(np.flatnonzero(mask)[0]))
        return Comparison(draws=one, treatment=self.treatment, control=self.control).prob(
            quantity, direction, value, **selectors)

    def __repr__(self) -> str:
        n = self.draws.sizes["cell"]
        head = (f"AEComparison: {self.treatment} vs {self.control}, {n} event x grade cells "
                f"({self.interval_prob:.0%} equal-tailed intervals)")
        t = self.summary()
        t = t[t["quantity"] == "ae_risk_difference"]
        lo, hi = (c for c in t.columns if c.startswith("eti"))
        cols = ["grade", "event", "observed", "mean", lo, hi, "p_higher"] + (["p_zero"] if "p_zero" in t else [])
        return f"{head}\nrisk difference (p_T - p_C):\n" + t[cols].to_string(
            index=False, float_format=lambda v: f"{v:.3f}")


@dataclass(eq=False, repr=False)
class AEFit(Fit):
    """Posterior of :class:`~bayeshcc.HierarchicalAE`: one ``cell`` per event and grade band."""

    def cells(self) -> pd.DataFrame:
        """The data per cell: ``cell, grade, system, event``, counts and n per arm, raw difference."""
        prepared = self.model.prepare(self.data)
        x, y, n = prepared.extra, prepared.arrays["events"], prepared.arrays["patients"]
        return pd.DataFrame({
            "cell": prepared.coords["cell"], "grade": x["cell_grade"], "system": x["cell_system"],
            "event": x["cell_event"], "control_count": y[:, 0], "control_n": n[:, 0],
            "treatment_count": y[:, 1], "treatment_n": n[:, 1],
            "observed_difference": y[:, 1] / n[:, 1] - y[:, 0] / n[:, 0],
        })

    def log_or(self) -> xr.DataArray:
        """Posterior draws of each cell's log odds ratio (treatment vs the model's control).

        With ``effect_prior="point_mass"`` the indicator is drawn from its conditional posterior
        (``p_zero`` per draw) with a generator seeded by the fit's seed: the same fit gives the
        same draws.
        """
        post = self.idata.posterior
        if "log_or" in post:
            return post["log_or"]
        rng = np.random.default_rng([self.seed, 7])
        zero = rng.random(post["p_zero"].shape) < post["p_zero"].values
        return post["log_or_slab"].where(~zero, 0.0).rename("log_or")

    def compare(self, *, treatment: str | None = None, control: str | None = None,
                prob: float = 0.95) -> AEComparison:
        """Per event and grade band: risk difference, odds ratio and each arm's risk, as draws.

        Parameters
        ----------
        treatment, control : str, optional
            Default: the fit's control and the other arm. Swapping them flips the contrasts.
        prob : float
            Interval mass of the summary (default 0.95).

        Returns
        -------
        AEComparison
        """
        check_prob(prob)
        treatment, control = self.pair(treatment, control)
        sign = 1.0 if control == self.arms[0] else -1.0
        post = self.idata.posterior
        theta = sign * self.log_or()
        gamma = post["baseline_logit"]
        p_t, p_c = _expit(gamma + theta / 2), _expit(gamma - theta / 2)
        cells = self.cells()
        if sign < 0:
            cells = _swap(cells)
        aux = {k: ("cell", cells[k].to_numpy(str)) for k in _KEYS}
        draws = xr.Dataset({
            "rate": xr.concat([p_c, p_t], dim=xr.DataArray([control, treatment], dims="arm")),
            "ae_risk_difference": p_t - p_c,
            "ae_odds_ratio": np.exp(theta),
        }, attrs={"treatment": treatment, "control": control}).assign_coords(aux)
        for name, unit in (*_UNITS.items(), ("rate", "probability")):
            draws[name].attrs["unit"] = unit
        p_zero = post["p_zero"].mean(("chain", "draw")).values if "p_zero" in post else None
        notes = ["adverse events: p_higher is P(risk higher on treatment | data); each grade band "
                 "has its own hierarchy"]
        return AEComparison(draws=draws, treatment=treatment, control=control, interval_prob=prob,
                            notes=notes, cells=cells.drop(columns="cell"), p_zero=p_zero)

    def flagged(self, threshold: float = 0.9, *, direction: Literal[">", "<"] = ">",
                prob: float = 0.95) -> pd.DataFrame:
        """Events with P(risk higher on treatment | data) > ``threshold`` (see
        :meth:`AEComparison.flagged`)."""
        return self.compare(prob=prob).flagged(threshold, direction=direction)

    def shrinkage(self, prob: float = 0.95, *, p_values: pd.DataFrame | None = None) -> pd.DataFrame:
        """Each event's raw risk difference beside its hierarchical posterior, one row per cell.

        Parameters
        ----------
        prob : float
            Interval mass of the posterior interval.
        p_values : pandas.DataFrame, optional
            Published per-event p-values to show alongside: columns ``grade, event, p_value``
            (and optionally ``p_value_text``).

        Returns
        -------
        pandas.DataFrame
            ``grade, system, event, control, treatment`` (counts as ``y/n``),
            ``observed_difference``, [``p_value``], ``posterior_mean, eti{P}_lower,
            eti{P}_upper, p_higher``, [``p_zero``], ``shrinkage`` (1 - posterior mean / raw
            difference: 0 means none, 1 means pulled all the way to no difference).
        """
        t = self.compare(prob=prob).summary(prob)
        t = t[t["quantity"] == "ae_risk_difference"].reset_index(drop=True)
        lo, hi = bound_names(prob)
        out = t[_KEYS].copy()
        out["control"] = t["control_count"].astype(str) + "/" + t["control_n"].astype(str)
        out["treatment"] = t["treatment_count"].astype(str) + "/" + t["treatment_n"].astype(str)
        out["observed_difference"] = t["observed"]
        if p_values is not None:
            on = ["grade", "system", "event"] if "system" in p_values else ["grade", "event"]
            dup = p_values.duplicated(on, keep=False)
            if dup.any():  # one event name in two body systems needs the system to be told apart
                raise DataError(f"p_values: rows {list(p_values.index[dup][:6])} repeat {on}; give one p-value per "
                                f"{' and '.join(on)}" + ("" if "system" in p_values else " (add a 'system' column)"))
            keep = [c for c in (*on, "p_value", "p_value_text") if c in p_values]
            out = out.merge(p_values[keep], on=on, how="left")
        out["posterior_mean"], out[lo], out[hi], out["p_higher"] = t["mean"], t[lo], t[hi], t["p_higher"]
        if "p_zero" in t:
            out["p_zero"] = t["p_zero"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["shrinkage"] = np.where(t["observed"] != 0, 1 - t["mean"] / t["observed"], np.nan)
        return out


def _expit(x: xr.DataArray) -> xr.DataArray:
    return 1 / (1 + np.exp(-x))


def _raw_odds_ratio(c: pd.DataFrame) -> np.ndarray:
    """Observed odds ratio (inf or nan where a cell has no events or only events)."""
    yt, nt, yc, nc = (c[k].to_numpy(float) for k in ("treatment_count", "treatment_n", "control_count", "control_n"))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (yt * (nc - yc)) / ((nt - yt) * yc)


def _swap(cells: pd.DataFrame) -> pd.DataFrame:
    out = cells.copy()
    for a, b in (("control_count", "treatment_count"), ("control_n", "treatment_n")):
        out[a], out[b] = cells[b], cells[a]
    out["observed_difference"] = -cells["observed_difference"]
    return out
