"""Posterior predictive checks of piecewise-hazard survival fits.

Patient-level data are checked through the Kaplan-Meier curve (observed against replicated
curves); life tables through each row's event count. Pure numpy on the posterior hazard draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bayeshcc import piecewise
from bayeshcc.diagnostics import bound_names, check_prob
from bayeshcc.errors import DataError, SpecError

__all__ = ["posterior_predictive_check"]

# elements per temporary array (draws x patients x intervals) when replicating patient data
_CHUNK_ELEMENTS = 2_000_000


def posterior_predictive_check(
    fit,
    *,
    times: Sequence[float] | None = None,
    draws: int = 200,
    seed: int | None = 0,
    prob: float = 0.95,
) -> pd.DataFrame:
    """Observed data against data replicated from the posterior of a survival fit.

    Parameters
    ----------
    fit : SurvivalFit
        A fit to patient-level :class:`~bayeshcc.SurvivalData` or a life table
        (:class:`~bayeshcc.IntervalData`). Fits to published summaries are refused (SpecError):
        there are no data to replicate.
    times : sequence of float, optional
        Patient data only: times at which the Kaplan-Meier curves are compared (default: 50
        points in ``(0, h]``, ``h`` the shortest arm horizon). Times beyond ``h`` raise DataError.
    draws : int
        Number of posterior draws used, chosen at random without replacement (all of them when
        the fit has fewer). One replicated dataset per draw.
    seed : int, optional
        Seed of the draw subset and the replicates; the same seed gives the same table.
    prob : float
        Mass of the equal-tailed predictive interval (default 0.95); the bound columns name it,
        e.g. ``eti95_lower``.

    Returns
    -------
    pandas.DataFrame
        Patient data, one row per arm and time: ``arm, time, observed`` (the observed Kaplan-Meier
        estimate), ``median, eti{P}_lower, eti{P}_upper`` (of the replicated estimates),
        ``outside`` (observed outside the interval), ``share_outside`` (share of the arm's times
        that are outside), ``prob, unit``.

        Life tables, one row per informative table row: ``arm, start, end, kind`` (``closed``,
        ``window`` or ``actuarial``), ``at_risk, observed`` (events), ``median, eti{P}_lower,
        eti{P}_upper`` (of the replicated events), ``p_value``, ``outside``, ``prob``, ``unit``.

    Raises
    ------
    DataError
        Interval-censored patient data (no Kaplan-Meier estimate to compare; see Notes), or
        times outside ``[0, h]``.
    SpecError
        Published-summary data, a bad ``prob`` or ``draws``.

    Notes
    -----
    **Patient data.** For each selected draw and arm, every patient's event time is drawn from
    the arm's piecewise-constant hazard by inversion, ``T = H^{-1}(H(e) + E)`` with
    ``E ~ Exp(1)`` and ``e`` the patient's entry time, so that it is conditioned on survival to
    entry (left truncation). The censoring time of a censored patient is their own; that of a
    patient with an event is unknown beyond their event time, so it is drawn from the arm's
    reverse Kaplan-Meier estimate of the censoring distribution (censorings as events, with the
    same risk sets as the Kaplan-Meier estimate, delayed entry included) conditional on being at
    least the observed event time; mass beyond the last censoring means no censoring. The
    replicate is observed at ``min(T, C)`` with an event when ``T <= C``, and its Kaplan-Meier
    estimate is computed at ``times``. The interval is pointwise: at the truth the observed curve
    is outside it at about ``1 - prob`` of the times on average, but a Kaplan-Meier curve is
    strongly autocorrelated, so one dataset can leave the band for a long run of times (in
    simulations with 150 patients per arm at the true hazards, the share exceeded 0.1 in about one
    dataset in six and reached 0.6-0.7 in one of 30). Read it with the plot: a share near 1, or
    the observed curve on one side of the band over most of the follow-up, says the hazards do
    not describe the data (posterior predictive assessment, Gelman, Meng and Stern 1996).

    Interval-censored patient data are refused: their event times are unknown, so there is no
    Kaplan-Meier estimate to compare (Turnbull's estimate would be needed).

    **Life tables.** Each row's events are replicated with the row likelihood of the fit,
    conditional on the row's observed ``at_risk``: closed rows
    ``Binomial(at_risk, 1 - exp(-H(start, end)))``; rows with a follow-up window ``[u, v]``
    ``Binomial(at_risk, p)`` with ``p = 1 - E[exp(-H(start, C))]``, ``C ~ Uniform(u, v)`` (in
    closed form); actuarial rows (censoring without a window) approximately
    ``Binomial(n', 1 - exp(-H(start, end)))`` with the half-at-risk ``n' = at_risk -
    censored / 2`` (a non-integer ``n'`` is rounded up or down at random, so the mean is
    ``n' p``). Rows without information (an open row without censoring, a window that ends at
    the row start) are left out. ``p_value`` is the two-sided posterior predictive p-value
    ``min(1, 2 min(P(y_rep >= y), P(y_rep <= y)))``.
    """
    from bayeshcc.data import IntervalData, SurvivalData

    check_prob(prob)
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 1:
        raise SpecError(f"draws must be a positive integer, got {draws!r}")
    data = fit.data
    if not isinstance(data, SurvivalData | IntervalData):
        raise SpecError(
            f"posterior_predictive_check: the fit's data are {type(data).__name__} (several sources or "
            "published summaries), not one patient-level dataset or life table; check a fit to the "
            "patient data or table alone, and compare the posterior with the published figures with "
            "fit.evidence()"
        )
    rng = np.random.default_rng(seed)
    hazard = fit.hazard.transpose("chain", "draw", "arm", "interval")
    flat = hazard.values.reshape(-1, *hazard.shape[2:])  # (sample, arm, interval)
    if draws < flat.shape[0]:
        flat = flat[np.sort(rng.choice(flat.shape[0], size=draws, replace=False))]
    arms = [str(a) for a in hazard.coords["arm"].values]
    lo_name, hi_name = bound_names(prob)
    if isinstance(data, IntervalData):
        out = _table_check(data, flat, arms, fit.cutpoints, rng, prob)
    else:
        out = _km_check(data, flat, arms, fit.cutpoints, times, rng, prob)
    out = out.rename(columns={"lower": lo_name, "upper": hi_name})
    return out.assign(prob=prob, unit=data.time_unit)


# -- patient data ---------------------------------------------------------------------------------
def _km_check(data, hazard, arms, cutpoints, times, rng, prob) -> pd.DataFrame:
    if data.interval_censored.any():
        raise DataError(
            "posterior_predictive_check: the data have interval-censored rows, whose event times "
            "are unknown; there is no Kaplan-Meier estimate to compare replicates with"
        )
    limit = min(data.horizon.values())
    if times is None:
        t = np.linspace(0.0, limit, 51)[1:]
    else:
        from bayeshcc.results.survival import check_times

        t = check_times(times)
        if (t > limit).any():
            raise DataError(f"times {t[t > limit].tolist()} lie beyond the shortest arm horizon "
                            f"{limit:g} {data.time_unit}; the observed curves end there")
    f = data.frame
    entry_all = data.entry
    q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
    parts = []
    for arm in data.arms:
        sel = (f["arm"] == arm).to_numpy()
        y = f["time"].to_numpy(float)[sel]
        event = f["event"].to_numpy(bool)[sel]
        entry = entry_all[sel]
        observed = kaplan_meier_at(y[None], event[None], entry, t)[0]
        rep = _replicate_km(hazard[:, arms.index(arm)], cutpoints, y, event, entry, t, rng)
        lo, med, hi = np.quantile(rep, q, axis=0)
        outside = (observed < lo) | (observed > hi)
        parts.append(pd.DataFrame({"arm": arm, "time": t, "observed": observed, "median": med,
                                   "lower": lo, "upper": hi, "outside": outside,
                                   "share_outside": outside.mean()}))
    return pd.concat(parts, ignore_index=True)


def _replicate_km(hazard, cutpoints, y, event, entry, times, rng) -> np.ndarray:
    """Kaplan-Meier at ``times`` of one replicate per hazard draw: ``(draw, time)``."""
    n, k = y.size, hazard.shape[-1]
    atoms, cum = _reverse_km(y, event, entry)
    # censoring of patients with an event: C ~ G | C >= y, by inversion of G's distribution
    from_mass = np.concatenate([[0.0], cum])[np.searchsorted(atoms, y[event], side="left")]
    chunk = max(1, _CHUNK_ELEMENTS // (n * k))
    out = []
    for s in range(0, hazard.shape[0], chunk):
        lam = hazard[s:s + chunk, None, :]
        d = lam.shape[0]
        h_entry = piecewise.cumulative_hazard_at(entry, cutpoints, lam)  # (d, n): survival to entry
        t_event = piecewise.inverse_cumulative_hazard(h_entry + rng.exponential(size=(d, n)), cutpoints, lam)
        cens = np.broadcast_to(y, (d, n)).copy()
        u = from_mass + rng.random((d, from_mass.size)) * (1.0 - from_mass)
        cens[:, event] = atoms[np.minimum(np.searchsorted(cum, u, side="right"), atoms.size - 1)]
        out.append(kaplan_meier_at(np.minimum(t_event, cens), t_event <= cens, entry, times))
    return np.concatenate(out, axis=0)


def _reverse_km(y, event, entry) -> tuple[np.ndarray, np.ndarray]:
    """Atoms of the reverse Kaplan-Meier censoring distribution (``inf`` last) and its CDF there."""
    c = np.unique(y[~event])
    at_risk = ((y[None, :] >= c[:, None]) & ((entry[None, :] < c[:, None]) | (entry[None, :] == 0))).sum(1)
    m = (~event[None, :] & (y[None, :] == c[:, None])).sum(1)
    surv = np.cumprod(1.0 - m / np.maximum(at_risk, 1))
    return np.append(c, np.inf), np.append(1.0 - surv, 1.0)


def kaplan_meier_at(y: np.ndarray, event: np.ndarray, entry: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Kaplan-Meier estimates at ``times`` of many samples at once.

    Parameters
    ----------
    y, event : numpy.ndarray
        Shape ``(sample, patient)``: observed times and event indicators.
    entry : numpy.ndarray
        Shape ``(patient,)``: entry times shared by the samples (0: at risk from the start).
    times : numpy.ndarray

    Returns
    -------
    numpy.ndarray
        Shape ``(sample, time)``: the product-limit estimate just after each time, with the
        conventions of :meth:`SurvivalData.kaplan_meier` (events before censorings at ties; at
        risk at ``t`` when ``entry < t <= y``).

    Notes
    -----
    Sorting each sample by time (events first at ties), the patient in position ``j`` sees the
    risk set ``n - j`` less those entering later; multiplying ``1 - 1/r_j`` over the events in a
    tie telescopes to the usual ``1 - d/r``, so no grouping by distinct times is needed.
    """
    y = np.asarray(y, dtype=float)
    event = np.asarray(event, dtype=bool)
    n = y.shape[-1]
    order = np.lexsort((~event, y), axis=-1)
    ys = np.take_along_axis(y, order, -1)
    es = np.take_along_axis(event, order, -1)
    r = (n - np.arange(n)).astype(float)
    late = np.sort(entry[entry > 0])
    if late.size:
        r = r - (late.size - np.searchsorted(late, ys, side="left"))
    with np.errstate(divide="ignore"):
        log_s = np.cumsum(np.where(es, np.log1p(-1.0 / np.maximum(r, 1.0)), 0.0), axis=-1)
    log_s = np.concatenate([np.zeros(ys.shape[:-1] + (1,)), log_s], axis=-1)
    idx = np.stack([np.searchsorted(row, times, side="right") for row in ys.reshape(-1, n)])
    return np.exp(np.take_along_axis(log_s.reshape(-1, n + 1), idx, -1)).reshape(*ys.shape[:-1], len(times))


# -- life tables ----------------------------------------------------------------------------------
def _table_check(data, hazard, arms, cutpoints, rng, prob) -> pd.DataFrame:
    f = data.frame
    c = np.asarray(cutpoints, dtype=float)
    q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
    rows = []
    for r in f.itertuples():
        lam = hazard[:, arms.index(r.arm)]  # (D, K)
        windowed = not np.isnan(r.censor_from)
        if windowed and r.censor_to > r.start:
            kind, n = "window", np.full(lam.shape[0], r.at_risk)
            p = _window_probability(lam, c, r.start, r.censor_from, r.censor_to)
        elif not windowed and r.censored > 0:
            kind, n_eff = "actuarial", r.at_risk - r.censored / 2
            n = np.floor(n_eff) + (rng.random(lam.shape[0]) < n_eff - np.floor(n_eff))
            p = -np.expm1(-_row_hazard(lam, c, r.start, r.end))
        elif not windowed and np.isfinite(r.end):
            kind, n = "closed", np.full(lam.shape[0], r.at_risk)
            p = -np.expm1(-_row_hazard(lam, c, r.start, r.end))
        else:
            continue  # no information: everyone dies in an open row, or follow-up ends at its start
        rep = rng.binomial(n.astype(np.int64), np.clip(p, 0.0, 1.0))
        lo, med, hi = np.quantile(rep, q)
        p_value = min(1.0, 2 * min(np.mean(rep >= r.events), np.mean(rep <= r.events)))
        rows.append((r.arm, r.start, r.end, kind, r.at_risk, r.events, med, lo, hi, p_value,
                     not lo <= r.events <= hi))
    return pd.DataFrame(rows, columns=["arm", "start", "end", "kind", "at_risk", "observed", "median",
                                       "lower", "upper", "p_value", "outside"])


def _row_hazard(lam: np.ndarray, c: np.ndarray, start: float, end: float) -> np.ndarray:
    """H(start, end) per draw."""
    return piecewise.overlap(c, np.array(start), np.array(end)) @ lam.T


def _window_probability(lam, c, start, u, v) -> np.ndarray:
    """``1 - E[exp(-H(start, C))]`` with ``C ~ Uniform(u, v)`` (a point when ``u == v``), per draw."""
    if v <= u:
        return -np.expm1(-_row_hazard(lam, c, start, u))
    right = np.append(c[1:], np.inf)
    lo, hi = np.maximum(u, c), np.minimum(v, right)
    length = np.clip(hi - lo, 0.0, None)  # (K,) pieces of the window
    h_to = (piecewise.overlap(c, np.full(c.size, start), lo) @ lam.T).T  # (D, K): H(start, piece start)
    x = lam * length
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(x > 1e-10, -np.expm1(-x) / x, 1.0 - x / 2)
    return 1.0 - (length / (v - u) * np.exp(-h_to) * g).sum(axis=-1)
