"""Piecewise-constant hazards: cumulative hazard, survival, median and RMST, vectorised.

Pure numpy. Hazards are arrays whose last axis is the interval ``[c_k, c_{k+1})`` with the last
interval open. Used by the fitted models (on posterior draws) and by the trial simulator.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "cumulative_hazard",
    "cumulative_hazard_at",
    "event_probability",
    "inverse_cumulative_hazard",
    "median_survival",
    "overlap",
    "rmst",
    "survival",
]


def overlap(cutpoints: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Length of ``[lower, upper)`` falling in each interval; shape ``(*lower.shape, K)``."""
    c = np.asarray(cutpoints, dtype=float)
    right = np.append(c[1:], np.inf)
    lo = np.asarray(lower, dtype=float)[..., None]
    hi = np.asarray(upper, dtype=float)[..., None]
    return np.clip(np.minimum(hi, right) - np.maximum(lo, c), 0.0, None)


def cumulative_hazard(hazard: np.ndarray, cutpoints: np.ndarray, times: np.ndarray) -> np.ndarray:
    """H(t) for each time: shape ``(*hazard.shape[:-1], len(times))``."""
    w = overlap(cutpoints, np.zeros_like(np.asarray(times, float)), times)  # (T, K)
    return np.einsum("...k,tk->...t", hazard, w)


def cumulative_hazard_at(times: np.ndarray, cutpoints: np.ndarray, hazard: np.ndarray) -> np.ndarray:
    """H(t) elementwise: ``hazard`` of shape ``(..., K)`` broadcasts with ``times[..., None]``.

    Unlike :func:`cumulative_hazard` (every time for every hazard vector), each time here goes
    with its own hazard vector, e.g. one per simulated patient.
    """
    c = np.asarray(cutpoints, dtype=float)
    widths = np.diff(np.append(c, np.inf))
    inside = np.clip(np.asarray(times, dtype=float)[..., None] - c, 0.0, widths)
    return (inside * hazard).sum(axis=-1)


def inverse_cumulative_hazard(target: np.ndarray, cutpoints: np.ndarray, hazard: np.ndarray) -> np.ndarray:
    """The time t with H(t) = ``target``, elementwise (``hazard`` broadcasts with ``target[..., None]``).

    ``inf`` where the hazards never accumulate ``target`` (zero hazard in the last interval).
    Drawing ``target`` from a unit exponential gives event times with these hazards.
    """
    c = np.asarray(cutpoints, dtype=float)
    hazard = np.asarray(hazard, dtype=float)
    target = np.asarray(target, dtype=float)
    if c.size == 1:
        with np.errstate(divide="ignore"):
            return target / hazard[..., 0]
    widths = np.diff(np.append(c, np.inf))
    with np.errstate(invalid="ignore"):
        cum = np.cumsum(hazard[..., :-1] * widths[:-1], axis=-1)
    cum = np.concatenate([np.zeros(cum.shape[:-1] + (1,)), cum], axis=-1)
    j = (target[..., None] >= cum).sum(axis=-1) - 1
    hj = np.take_along_axis(np.broadcast_to(hazard, j.shape + hazard.shape[-1:]), j[..., None], -1)[..., 0]
    cj = np.take_along_axis(np.broadcast_to(cum, j.shape + cum.shape[-1:]), j[..., None], -1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = c[j] + (target - cj) / hj
    return np.where(hj > 0, t, np.inf)


def survival(hazard: np.ndarray, cutpoints: np.ndarray, times: np.ndarray) -> np.ndarray:
    """S(t) = exp(-H(t)) for each time."""
    return np.exp(-cumulative_hazard(hazard, cutpoints, times))


def median_survival(hazard: np.ndarray, cutpoints: np.ndarray) -> np.ndarray:
    """Time at which S(t) = 1/2, solving the piecewise-linear H(t) = ln 2 exactly.

    Returns ``inf`` where the hazards never accumulate ln 2 (zero hazard in the last interval).
    """
    c = np.asarray(cutpoints, dtype=float)
    lam = np.asarray(hazard, dtype=float)
    widths = np.diff(c)
    h_at = np.concatenate(
        [np.zeros(lam.shape[:-1] + (1,)), np.cumsum(lam[..., :-1] * widths, axis=-1)], axis=-1
    )
    target = np.log(2.0)
    # interval k holds the median if H(c_k) <= ln2 < H(c_{k+1}); the last interval is open
    k = np.sum(h_at <= target, axis=-1) - 1
    h_k = np.take_along_axis(h_at, k[..., None], axis=-1)[..., 0]
    lam_k = np.take_along_axis(lam, k[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore"):
        return np.where(lam_k > 0, c[k] + (target - h_k) / lam_k, np.inf)


def rmst(hazard: np.ndarray, cutpoints: np.ndarray, tau: float) -> np.ndarray:
    """Restricted mean survival time, the integral of S(t) from 0 to ``tau``, in closed form."""
    c = np.asarray(cutpoints, dtype=float)
    lam = np.asarray(hazard, dtype=float)
    length = overlap(c, np.array(0.0), np.array(float(tau)))  # (K,)
    h_start = cumulative_hazard(lam, c, np.minimum(c, tau))  # H at each interval start
    x = lam * length
    with np.errstate(invalid="ignore", divide="ignore"):
        g = np.where(x > 1e-10, -np.expm1(-x) / np.where(x > 0, x, 1.0), 1.0 - x / 2)
    return np.sum(np.exp(-h_start) * length * g, axis=-1)


def event_probability(hazard: np.ndarray, cutpoints: np.ndarray, *, competing_rate: float = 0.0) -> np.ndarray:
    """P(T < D): the event comes before an independent exponential competing time D (e.g. dropout).

    Notes
    -----
    With hazards :math:`h_j` on intervals of width :math:`w_j` starting at :math:`c_j` and competing
    rate :math:`\\delta`, :math:`P(T < D) = \\sum_j h_j e^{-H(c_j) - \\delta c_j}
    (1 - e^{-(h_j + \\delta) w_j}) / (h_j + \\delta)`; 1 when :math:`\\delta = 0` and the last hazard is
    positive.
    """
    c = np.asarray(cutpoints, dtype=float)
    h = np.asarray(hazard, dtype=float)
    widths = np.diff(np.append(c, np.inf))
    rate = h + competing_rate
    with np.errstate(invalid="ignore"):
        piece = np.where(
            rate > 0,
            h * np.exp(-cumulative_hazard(h, c, c) - competing_rate * c) * -np.expm1(-rate * widths)
            / np.where(rate > 0, rate, 1.0),
            0.0,
        )
    return piece.sum(axis=-1)
