"""Per-patient hazards from Cox posterior draws, in chunks: g-computation and pointwise log-likelihood.

The largest array bayeshcc could build is draws x patients x times (4,000 x 10,000 x 20 doubles
is 6.4 GB). Here it is never built: patients sharing a covariate pattern are computed once and
weighted; the g-computation works on chunks of draws (the log-likelihood on chunks of patients)
so that no draws x patients x intervals array exceeds ``memory_budget`` bytes (default
:data:`MEMORY_BUDGET`, 64 MB; at most four such arrays are alive at once, so the peak is about
four times the budget), and survival at any time comes from the cumulative hazards at the
interval starts, computed once per draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc import piecewise

__all__ = ["MEMORY_BUDGET", "Draws", "Standardised", "flat_draws", "patient_log_likelihood", "standardised"]

#: Bytes allowed for one draws x patients x (times or intervals) intermediate array.
MEMORY_BUDGET = 64 * 2**20


@dataclass(frozen=True)
class Draws:
    """Posterior draws flattened to ``sample = chain x draw`` (first axis)."""

    log_base: np.ndarray  # (S, stratum, K)
    beta: np.ndarray  # (S, P)
    beta_tv: np.ndarray  # (S, Q, K)
    frailty: np.ndarray  # (S, C)

    @property
    def n(self) -> int:
        return self.log_base.shape[0]


def flat_draws(posterior) -> Draws:
    """The Cox posterior's baseline, coefficients and frailties as numpy arrays ``(sample, ...)``."""
    def flat(name: str, dims: tuple[str, ...], empty: tuple[int, ...]) -> np.ndarray:
        n = posterior.sizes["chain"] * posterior.sizes["draw"]
        if name not in posterior:
            return np.zeros((n, *empty))
        return posterior[name].transpose("chain", "draw", *dims).values.reshape(n, *posterior[name].shape[2:])

    base = flat("baseline_hazard", ("stratum", "interval"), ())
    k = base.shape[-1]
    return Draws(log_base=np.log(base), beta=flat("log_hr", ("term",), (0,)),
                 beta_tv=flat("log_hr_tv", ("tv_term", "interval"), (0, k)), frailty=flat("frailty", ("cluster",), (1,)))


def log_hazard(rows, draws: Draws, sl: slice, samples: slice = slice(None)) -> np.ndarray:
    """``log h[sample, patient, interval]`` for the patients in ``sl`` and the draws in ``samples``."""
    eta = draws.beta[samples] @ rows.const[sl].T  # (S, n)
    eta = eta + draws.frailty[samples][:, rows.cluster[sl]]
    out = draws.log_base[samples][:, rows.stratum[sl], :] + eta[:, :, None]
    if rows.tv.shape[1]:
        out = out + np.einsum("nq,sqk->snk", rows.tv[sl], draws.beta_tv[samples])
    return out


def _chunks(n_rows: int, per_row: int, budget: int):
    size = max(1, int(budget // max(1, per_row * 8)))
    for start in range(0, n_rows, size):
        yield slice(start, min(n_rows, start + size))


@dataclass(frozen=True)
class Standardised:
    """Standardised (covariate-averaged) survival of one arm per posterior draw.

    Attributes
    ----------
    survival : numpy.ndarray
        ``(sample, time)``: the average of the patients' survival at each time.
    rmst : numpy.ndarray or None
        ``(sample,)``: the average restricted mean survival time to ``tau`` (None without ``tau``).
    median : numpy.ndarray
        ``(sample,)``: where the average survival curve reaches 1/2 (exact, no grid; inf if never).
    """

    survival: np.ndarray
    rmst: np.ndarray | None
    median: np.ndarray


def standardised(rows, weights: np.ndarray, draws: Draws, cutpoints: np.ndarray, times: np.ndarray,
                 tau: float | None = None, *, memory_budget: int = MEMORY_BUDGET) -> Standardised:
    """Average survival over patients (``weights``: patients per row) at ``times``, RMST to ``tau`` and median.

    Draws are processed in chunks so that a ``(draws, rows, intervals)`` array stays within
    ``memory_budget`` bytes (one draw's ``rows x intervals`` is the floor: 1.7 MB for 10,000
    distinct rows and 21 intervals); without time-varying terms no such array is built.

    Notes
    -----
    Without time-varying terms patient ``i``'s cumulative hazard is ``r_i H0_s(t)``, with ``r_i``
    its relative hazard and ``H0_s`` its stratum's baseline cumulative hazard, so survival at a
    time costs one exponential per patient and draw. Within interval ``k`` every patient's
    hazard is constant, so the average survival ``S(c_k + u) = sum_i w_i S_i(c_k) exp(-h_ik u)``
    a mixture of exponentials, so ``log S`` is convex in ``u``: the median is found exactly by
    bisection over the interval starts, then Newton's method on ``log S(u) = log 1/2`` started
    from the chord of ``log S`` over the interval (after one step every iterate stays left of
    the root and converges monotonically), to ``1e-10`` relative accuracy. The RMST is the
    average of each patient's closed-form RMST, accumulated interval by interval with one
    ``expm1`` per patient and interval (the formula of :func:`bayeshcc.piecewise.rmst`, which
    the tests check it against, without its ``(draws, patients, intervals)`` temporaries).
    """
    c = np.asarray(cutpoints, dtype=float)
    times = np.asarray(times, dtype=float)
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    surv = np.empty((draws.n, len(times)))
    rm = np.empty(draws.n) if tau is not None else None
    med = np.empty(draws.n)
    for sl in _chunks(draws.n, len(w) * len(c), memory_budget):
        haz = _Hazards(rows, draws, sl, c)
        for j, t in enumerate(times):
            surv[sl, j] = haz.survival(np.full(haz.n, t)) @ w
        if rm is not None:
            rm[sl] = _rmst(haz, c, tau) @ w
        med[sl] = _median(haz, w, c)
    return Standardised(survival=surv, rmst=rm, median=med)


class _Hazards:
    """Each patient's hazard and survival for a chunk of draws (``n`` draws), at one time per draw."""

    def __init__(self, rows, draws: Draws, sl: slice, c: np.ndarray) -> None:
        self.c = c
        self.n = len(range(*sl.indices(draws.n)))
        self.stratum = rows.stratum
        if rows.tv.shape[1]:  # a hazard per patient and interval: (draws, patients, intervals)
            self.full = np.exp(log_hazard(rows, draws, slice(None), sl))
        else:  # proportional: relative hazard (draws, patients) times the stratum's baseline
            self.full = None
            self.rel = np.exp(draws.beta[sl] @ rows.const.T + draws.frailty[sl][:, rows.cluster])
            self.base = np.exp(draws.log_base[sl])  # (draws, strata, intervals)

    def _per_patient(self, x: np.ndarray) -> np.ndarray:
        """``(draws, strata, ...)`` -> ``(draws, patients, ...)``, times the relative hazards."""
        x = x[:, :1] if x.shape[1] == 1 else x[:, self.stratum]
        return (self.rel if x.ndim == 2 else self.rel[:, :, None]) * x

    def survival(self, t: np.ndarray) -> np.ndarray:
        """``S_i(t_s)``, ``(draws, patients)``, at one time ``t_s`` per draw."""
        if self.full is not None:
            return np.exp(-piecewise.cumulative_hazard_at(t[:, None], self.c, self.full))
        return np.exp(-self._per_patient(piecewise.cumulative_hazard_at(t[:, None], self.c, self.base)))

    def hazard_in(self, k: np.ndarray) -> np.ndarray:
        """``h_i`` in interval ``k_s`` (one interval per draw), ``(draws, patients)``."""
        idx = np.arange(self.n)
        return self.full[idx, :, k] if self.full is not None else self._per_patient(self.base[idx, :, k])



def _rmst(haz: _Hazards, c: np.ndarray, tau: float) -> np.ndarray:
    """Each patient's RMST to ``tau``, ``(draws, patients)``: ``sum_k S(c_k) len_k (1 - e^-x_k) / x_k``, ``x_k = h_k len_k``."""
    lengths = np.diff(np.append(c[c < tau], tau))
    out = np.zeros((haz.n, len(haz.stratum)))
    surv = np.ones_like(out)
    for k, length in enumerate(lengths):
        x = haz.hazard_in(np.full(haz.n, k))
        x *= length
        np.maximum(x, 1e-300, out=x)  # hazards are positive; (1 - e^-x) / x -> 1 as x -> 0
        em = np.expm1(np.negative(x))
        np.divide(em, x, out=x)  # -(1 - e^-x) / x
        x *= surv
        x *= length
        out -= x
        em += 1.0
        surv *= em
    return out


def _median(haz: _Hazards, w: np.ndarray, c: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Exact median of ``sum_i w_i S_i(t)`` per draw: bisection over the interval starts, then Newton."""
    n = haz.n
    lo, hi = np.zeros(n, dtype=int), np.full(n, len(c))  # avg S(c[lo]) > 1/2 >= avg S(c[hi]); c[len(c)] = inf
    s_hi = np.zeros(n)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        move = hi - lo > 1
        s_mid = haz.survival(c[np.minimum(mid, len(c) - 1)]) @ w
        above = move & (s_mid > 0.5)
        below = move & ~(s_mid > 0.5)
        lo, hi, s_hi = np.where(above, mid, lo), np.where(below, mid, hi), np.where(below, s_mid, s_hi)
    start = c[lo]
    a = haz.survival(start) * w  # weighted survival at the start of the interval holding the median
    b = haz.hazard_in(lo)
    s_lo = a.sum(axis=-1)
    bounded = hi < len(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.where(bounded, c[np.minimum(hi, len(c) - 1)] - start, np.nan)
        chord = width * np.log(s_lo / 0.5) / np.log(s_lo / s_hi)  # right of the root (log S is convex)
        tangent = np.log(s_lo / 0.5) / ((a * b).sum(axis=-1) / s_lo)  # left of the root
    u = np.where(bounded & np.isfinite(chord), chord, tangent)
    for _ in range(100):
        e = a * np.exp(-b * u[:, None])
        f = e.sum(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.log(f / 0.5) / ((e * b).sum(axis=-1) / f)  # Newton on log S(u) - log 1/2
        restart = np.isfinite(u) & (np.isnan(step) | (step == -np.inf))  # underflow right of the root
        step = np.where(np.isfinite(u) & ~restart, step, 0.0)
        u = np.where(restart, 0.0, u + step)  # from the interval's start Newton cannot underflow
        if not restart.any() and np.all((np.abs(step) <= tol * (1.0 + np.abs(u))) | ~np.isfinite(u)):
            break
    return np.where(np.isfinite(u) & (u >= 0), start + u, np.inf)


def patient_log_likelihood(rows, time: np.ndarray, event: np.ndarray, cutpoints: np.ndarray, draws: Draws,
                           *, memory_budget: int = MEMORY_BUDGET) -> np.ndarray:
    """Each patient's ``d log h(t) - H(t)`` per draw, ``(sample, patient)``."""
    c = np.asarray(cutpoints, dtype=float)
    # the interval holding each time; an event at a cutpoint ends the interval before it (as split)
    k = np.maximum(np.searchsorted(c, time, side="left") - 1, 0)
    exposure = piecewise.overlap(c, np.zeros_like(time), time)  # (n, K)
    out = np.empty((draws.n, len(time)))
    for sl in _chunks(len(time), draws.n * len(c), memory_budget):
        lh = log_hazard(rows, draws, sl)
        idx = np.arange(sl.start, sl.stop)
        at_t = lh[:, idx - sl.start, k[sl]]
        big_h = np.einsum("snk,nk->sn", np.exp(lh), exposure[sl])
        out[:, sl] = np.where(event[sl] > 0, at_t, 0.0) - big_h
    return out
