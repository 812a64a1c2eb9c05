"""Tables a trial planner reads from a :class:`~bayeshcc.design.oc.SimulationResult`: cumulative
stopping probabilities by look, quantiles of trial duration, expected patients, events and
duration by outcome. Each value has its Monte Carlo standard error; each table carries its scenario,
engine, seed and number of trials in ``DataFrame.attrs``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from bayeshcc.design.oc import _mean, _proportion
from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.design.oc import SimulationResult

__all__ = ["duration_quantiles", "expected_size", "stopping_table"]

#: Mass of +/- one standard deviation of a normal: the ranks bounding a quantile's MCSE.
_ONE_SD = stats.norm.cdf(1) - stats.norm.cdf(-1)


def _attrs(result: SimulationResult) -> dict:
    t = result.trials
    return {"scenario": str(result.scenario), "engine": result.engine, "seed": str(result.seed),
            "n_trials": result.n_trials, "looks": t.attrs.get("looks", ""), "unit": "months"}


def _result(result: object) -> SimulationResult:
    from bayeshcc.design.oc import SimulationResult

    if not isinstance(result, SimulationResult):
        raise SpecError(f"result: expected a SimulationResult, got {type(result).__name__}")
    return result


def stopping_table(result: SimulationResult) -> pd.DataFrame:
    """Cumulative probability of having stopped, by look.

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    pandas.DataFrame
        Indexed by analysis (1-based). ``p_success_cumulative``: proportion of trials that stopped
        for success at this analysis or an earlier one; ``p_futility_cumulative``: for futility at
        an interim (a trial failing the final rule is not a futility stop, see
        ``operating_characteristics``); ``p_stopped_cumulative``: either; ``look_time_mean``: mean
        calendar time (months) of the look among trials that reached it. Each with ``_mcse``.
        ``attrs``: scenario, engine, seed, n_trials, looks, unit.

    Notes
    -----
    MCSEs of proportions as in :func:`~bayeshcc.design.operating_characteristics` (binomial, and
    the Wilson half-width :math:`1/(2(N+1))` at 0 or 1).
    """
    t = _result(result).trials
    decision, stop = t["decision"].values, t["stop_analysis"].values
    rows = []
    for k in t["analysis"].values:
        by = stop <= k
        reached = t["look_time"].sel(analysis=k).values
        rows.append([
            *_proportion((decision == 1) & by),
            *_proportion((decision == -1) & by),
            *_proportion((decision != 0) & by),
            *_mean(reached[np.isfinite(reached)]),
        ])
    names = ["p_success_cumulative", "p_futility_cumulative", "p_stopped_cumulative", "look_time_mean"]
    table = pd.DataFrame(rows, index=pd.Index(t["analysis"].values, name="analysis"),
                         columns=[c for n in names for c in (n, f"{n}_mcse")])
    table.attrs.update(_attrs(result))
    return table


def _rank_value(sorted_x: np.ndarray, rank: float) -> float:
    # value of the 1-based order statistic, ranks clipped to the sample
    return float(sorted_x[int(np.clip(rank, 1, sorted_x.size)) - 1])


def duration_quantiles(
    result: SimulationResult, q: Sequence[float] = (0.5, 0.9), *, prob: float = 0.95
) -> pd.DataFrame:
    """Quantiles of trial duration: "a fraction ``q`` of trials have ended by month X".

    Parameters
    ----------
    result : SimulationResult
    q : sequence of float, default (0.5, 0.9)
        Fractions of trials, each in (0, 1).
    prob : float, default 0.95
        Mass of the distribution-free interval for each quantile.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``q``: ``duration_months`` (the smallest simulated duration by which at least a
        fraction ``q`` of trials had ended: the order statistic of rank :math:`\\lceil Nq \\rceil`),
        ``duration_months_mcse`` and the interval ``ci{100 prob}_lower`` / ``_upper``. ``attrs``:
        scenario, engine, seed, n_trials, looks, unit, prob.

    Notes
    -----
    The number of simulated durations below the true quantile :math:`\\xi_q` is Binomial(N, q),
    so the order statistics of ranks :math:`F^{-1}(\\alpha/2)` and :math:`F^{-1}(1-\\alpha/2)+1`
    of that binomial bound an interval covering :math:`\\xi_q` with probability at least ``prob``
    (:math:`\\alpha = 1 -` ``prob``; exact up to the ranks' clipping to 1..N). The MCSE is half the
    width of the same interval at :math:`\\pm 1` standard deviation (mass 0.683), the
    order-statistic analogue of ArviZ's quantile MCSE. Durations sit on few distinct values when
    looks are at fixed calendar times; the interval may then have zero width.
    """
    result = _result(result)
    qs = np.atleast_1d(np.asarray(q, dtype=float))
    if qs.ndim != 1 or qs.size == 0 or np.any(~np.isfinite(qs)) or np.any((qs <= 0) | (qs >= 1)):
        raise SpecError(f"q: expected fractions in (0, 1), got {q!r}")
    if isinstance(prob, bool) or not isinstance(prob, int | float) or not 0 < prob < 1:
        raise SpecError(f"prob: expected an interval mass in (0, 1), got {prob!r}")
    x = np.sort(result.trials["duration"].values)
    n = x.size
    rows = []
    for p in qs:
        est = _rank_value(x, np.ceil(n * p - 1e-12))
        lo = _rank_value(x, stats.binom.ppf((1 - prob) / 2, n, p))
        hi = _rank_value(x, stats.binom.ppf((1 + prob) / 2, n, p) + 1)
        sd_lo = _rank_value(x, stats.binom.ppf((1 - _ONE_SD) / 2, n, p))
        sd_hi = _rank_value(x, stats.binom.ppf((1 + _ONE_SD) / 2, n, p) + 1)
        rows.append([est, (sd_hi - sd_lo) / 2, lo, hi])
    level = f"ci{100 * prob:g}"
    table = pd.DataFrame(rows, index=pd.Index(qs, name="q"),
                         columns=["duration_months", "duration_months_mcse", f"{level}_lower", f"{level}_upper"])
    table.attrs.update(_attrs(result), prob=prob)
    return table


def expected_size(result: SimulationResult) -> pd.DataFrame:
    """Expected patients, events and duration, over all trials and by outcome.

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    pandas.DataFrame
        Rows ``patients``, ``events``, ``duration_months`` (at the stopping look); columns ``all``
        and, among trials that ended so, ``success``, ``futility`` (stopped at an interim) and
        ``no_success_final``, each with ``_mcse`` (sample sd over the square root of the number of
        such trials; NaN where none did). ``attrs``: scenario, engine, seed, n_trials, looks, unit.
    """
    t = _result(result).trials
    decision = t["decision"].values
    groups = {"all": np.ones(decision.size, dtype=bool), "success": decision == 1,
              "futility": decision == -1, "no_success_final": decision == 0}
    rows = []
    for var in ("patients", "events", "duration"):
        values = t[var].values
        rows.append([v for mask in groups.values() for v in _mean(values[mask])])
    table = pd.DataFrame(rows, index=pd.Index(["patients", "events", "duration_months"], name="quantity"),
                         columns=[c for g in groups for c in (g, f"{g}_mcse")])
    table.attrs.update(_attrs(result))
    return table
