"""Monte Carlo standard errors of simulated proportions, means and medians (shared by the tables)."""

from __future__ import annotations

import numpy as np

__all__ = ["_mean", "_median", "_proportion", "proportion_of"]


def _proportion(x: np.ndarray) -> tuple[float, float]:
    """Share of True in ``x`` and its Monte Carlo standard error (see :func:`proportion_of`)."""
    return proportion_of(float(np.count_nonzero(x)), x.size)


def proportion_of(wins: float, n: float) -> tuple[float, float]:
    """``wins / n`` and its Monte Carlo standard error, from counts (NaN for no trials)."""
    if not n:
        return np.nan, np.nan
    p = wins / n
    if p in (0.0, 1.0):
        # the plug-in sqrt(p(1 - p)/N) is 0 here; the Wilson score interval at z = 1 is [0, 1/(N+1)]
        # (or [N/(N+1), 1]): its half-width bounds the error honestly
        return p, 0.5 / (n + 1)
    return p, float(np.sqrt(p * (1 - p) / n))


def _mean(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan
    se = float(x.std(ddof=1) / np.sqrt(x.size)) if x.size > 1 else np.nan
    return float(x.mean()), se


def _median(x: np.ndarray) -> tuple[float, float]:
    """Sample median and its MCSE: half the distance between the order statistics at ranks
    ``n/2 -+ sqrt(n)/2`` (a distribution-free one-standard-error interval of the median)."""
    x = np.sort(x[np.isfinite(x)])
    n = x.size
    if n == 0:
        return np.nan, np.nan
    if n < 4:
        return float(np.median(x)), np.nan
    lo = int(np.floor(n / 2 - np.sqrt(n) / 2))
    hi = min(n - 1, int(np.ceil(n / 2 + np.sqrt(n) / 2)))
    return float(np.median(x)), float((x[hi] - x[max(lo, 0)]) / 2)
