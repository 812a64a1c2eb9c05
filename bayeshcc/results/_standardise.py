"""Per-patient hazards from Cox posterior draws, in chunks: g-computation and pointwise log-likelihood.

The largest array bayeshcc builds is draws x patients x times (4,000 x 10,000 x 20 doubles is
6.4 GB). Here patients are processed in chunks so that no intermediate array exceeds
``memory_budget`` bytes (default :data:`MEMORY_BUDGET`, 256 MB; a few such arrays are alive at
once), and patients sharing a covariate pattern are computed once and weighted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc import piecewise

__all__ = ["MEMORY_BUDGET", "Draws", "flat_draws", "patient_log_likelihood", "standardised"]

#: Bytes allowed for one draws x patients x (times or intervals) intermediate array.
MEMORY_BUDGET = 256 * 2**20


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


def log_hazard(rows, draws: Draws, sl: slice) -> np.ndarray:
    """``log h[sample, patient, interval]`` for the patients in ``sl``."""
    eta = draws.beta @ rows.const[sl].T  # (S, n)
    eta = eta + draws.frailty[:, rows.cluster[sl]]
    out = draws.log_base[:, rows.stratum[sl], :] + eta[:, :, None]
    if rows.tv.shape[1]:
        out = out + np.einsum("nq,sqk->snk", rows.tv[sl], draws.beta_tv)
    return out


def _chunks(n_rows: int, per_row: int, budget: int):
    size = max(1, int(budget // max(1, per_row * 8)))
    for start in range(0, n_rows, size):
        yield slice(start, min(n_rows, start + size))


def standardised(rows, weights: np.ndarray, draws: Draws, cutpoints: np.ndarray, times: np.ndarray,
                 tau: float | None = None, *, memory_budget: int = MEMORY_BUDGET) -> tuple[np.ndarray, np.ndarray | None]:
    """Average survival over patients (weights: patients per row) at ``times``, and the average RMST to ``tau``.

    Returns ``S`` of shape ``(sample, time)`` and the RMST ``(sample,)`` (None without ``tau``).
    """
    c = np.asarray(cutpoints, dtype=float)
    w_t = piecewise.overlap(c, np.zeros_like(times), times)  # (T, K)
    surv = np.zeros((draws.n, len(times)))
    rm = np.zeros(draws.n) if tau is not None else None
    for sl in _chunks(len(weights), draws.n * max(len(c), len(times)), memory_budget):
        h = np.exp(log_hazard(rows, draws, sl))  # (S, n, K)
        wt = weights[sl]
        surv += np.einsum("snt,n->st", np.exp(-np.einsum("snk,tk->snt", h, w_t)), wt)
        if rm is not None:
            rm += piecewise.rmst(h, c, tau) @ wt
    total = weights.sum()
    return surv / total, (rm / total if rm is not None else None)


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


def median_from_grid(surv: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Time where each draw's survival curve (on ``grid``) first reaches 1/2, linearly interpolated; inf if never."""
    below = surv <= 0.5
    reached = below.any(axis=-1)
    j = np.argmax(below, axis=-1)
    j0 = np.maximum(j - 1, 0)
    s0 = np.take_along_axis(surv, j0[:, None], -1)[:, 0]
    s1 = np.take_along_axis(surv, j[:, None], -1)[:, 0]
    t0, t1 = grid[j0], grid[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(s0 > s1, t0 + (s0 - 0.5) / (s0 - s1) * (t1 - t0), t1)
    return np.where(reached, t, np.inf)
