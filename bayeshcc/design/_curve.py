"""The success curve of the sample-size search: P(success | size), fitted to simulated trials.

Power at a fixed effect is modelled as :math:`\\Phi(a + b x)` and assurance under a design prior as
:math:`\\Phi((a + b x) / \\sqrt{1 + c x^2})`, :math:`c \\ge 0`, with :math:`x = \\sqrt{\\text{size}}`
(scaled). Both are the normal-approximation forms (Schoenfeld; O'Hagan, Stevens and Campbell 2005):
with a normal design prior :math:`\\theta \\sim N(\\mu, \\tau^2)` on the log hazard ratio and
information :math:`I = p(1-p)d`, the assurance is :math:`\\Phi((-\\mu\\sqrt{I} - z_{1-\\alpha}) /
\\sqrt{1 + \\tau^2 I})`, which levels off at :math:`\\Phi(-\\mu/\\tau) = P(\\theta < 0)` rather than
at 1. The parameters are fitted by binomial maximum likelihood with half a success and half a failure
added at every size, which keeps them finite when the simulated proportions are all 0 or 1 or
perfectly separated (and moves none by more than ``0.5 / (n + 1)``); their covariance is the
inverse Fisher information, scaled by the Pearson dispersion when the curve fits the simulated
points worse than binomial noise allows.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

__all__ = ["SuccessCurve"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_BOUND = 1e3  # |a|, |b| on the probit scale: far beyond any probability a simulation can resolve


class SuccessCurve:
    """``P(success | size)`` fitted to ``wins`` successes of ``trials`` at each ``size``.

    Parameters
    ----------
    size, wins, trials : ndarray
        One entry per simulated size.
    plateau : bool
        Fit the assurance form (with ``c``, levelling off below 1) instead of the power form.

    Attributes
    ----------
    theta, cov : ndarray
        ``(a, b)`` or ``(a, b, c)`` and their covariance (dispersion included).
    dispersion : float
        Pearson :math:`X^2` per degree of freedom when above 1 (else 1): the factor applied to
        the covariance.
    lack_of_fit : float
        p-value of the Pearson :math:`X^2` test of the curve against the simulated points (NaN
        without degrees of freedom).
    """

    def __init__(self, size: np.ndarray, wins: np.ndarray, trials: np.ndarray, *, plateau: bool) -> None:
        size, wins, trials = (np.asarray(v, float) for v in (size, wins, trials))
        self.window = (float(size.min()), float(size.max()))
        self.plateau = plateau
        self.scale = math.sqrt(size.max())
        x = np.sqrt(size) / self.scale
        self.theta = _fit(x, wins, trials, plateau)
        info = _information(self.theta, x, trials)
        cov = np.linalg.pinv(info) if np.linalg.cond(info) > 1e12 else np.linalg.inv(info)
        mu = stats.norm.cdf(_eta(self.theta, x))
        var = np.maximum(trials * mu * (1 - mu), 1e-12)
        pearson = float(np.sum((wins - trials * mu) ** 2 / var))
        df = size.size - self.theta.size
        self.lack_of_fit = float(stats.chi2.sf(pearson, df)) if df > 0 else math.nan
        self.dispersion = max(1.0, pearson / df) if df > 0 else 1.0
        self.cov = cov * self.dispersion

    @property
    def label(self) -> str:
        """The fitted form, for plots."""
        return "probit in sqrt size, levelling off" if self.plateau else "probit in sqrt size"

    def predict(self, s) -> tuple[np.ndarray, np.ndarray]:
        """Fitted probability of success at sizes ``s`` and its Monte Carlo standard error."""
        x = np.sqrt(np.atleast_1d(np.asarray(s, float))) / self.scale
        eta = _eta(self.theta, x)
        J = _jacobian(self.theta, x)
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, self.cov, J), 0.0))
        return stats.norm.cdf(eta), stats.norm.pdf(eta) * se

    def level(self) -> float:
        """The probability of success the curve tends to as the size grows."""
        a, b, c = (*self.theta, 0.0)[:3]
        if c > 0:
            return float(stats.norm.cdf(b / math.sqrt(c)))
        return 1.0 if b > 0 else 0.0 if b < 0 else float(stats.norm.cdf(a))

    def increasing(self) -> bool:
        """Whether the fitted probability rises with size over the window fitted."""
        x = np.sqrt(np.array(self.window)) / self.scale
        return bool(np.all(_slope(self.theta, x) > 0))

    def crossing(self, target: float) -> tuple[float, float]:
        """Smallest size where the curve rises through ``target``, and its standard error.

        NaN (both) when it never does: it levels off below ``target``, does not rise, or is
        above ``target`` at every size. The error is the delta method on the implicit function
        ``eta(x) = q``.
        """
        q = float(stats.norm.ppf(target))
        x = _root(self.theta, q)
        if x is None:
            return math.nan, math.nan
        grad = -_jacobian(self.theta, np.array([x]))[0] / _slope(self.theta, np.array([x]))[0]
        se_x = math.sqrt(max(float(grad @ self.cov @ grad), 0.0))
        return float((x * self.scale) ** 2), float(2 * x * self.scale**2 * se_x)


def _eta(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    a, b = theta[0], theta[1]
    c = theta[2] if theta.size == 3 else 0.0
    return (a + b * x) / np.sqrt(1 + c * x**2)


def _jacobian(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d eta / d theta, shape (point, parameter)."""
    a, b = theta[0], theta[1]
    if theta.size == 2:
        return np.column_stack([np.ones_like(x), x])
    r = np.sqrt(1 + theta[2] * x**2)
    return np.column_stack([1 / r, x / r, -(a + b * x) * x**2 / (2 * r**3)])


def _slope(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d eta / d x."""
    a, b = theta[0], theta[1]
    c = theta[2] if theta.size == 3 else 0.0
    return (b - a * c * x) / (1 + c * x**2) ** 1.5


def _root(theta: np.ndarray, q: float) -> float | None:
    """Smallest x > 0 where eta rises through q (sizes up to 10^4 times the largest fitted); None if none."""
    xs = np.sqrt(np.geomspace(1e-8, 1e4, 4001))
    d = _eta(theta, xs) - q
    up = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0))
    if not up.size:
        return None
    i = int(up[0])
    return float(optimize.brentq(lambda x: float(_eta(theta, np.array([x]))[0]) - q, xs[i], xs[i + 1], xtol=1e-14))


def _weights(eta: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Fisher weights n phi^2 / (Phi (1 - Phi)), computed on the log scale."""
    log_w = -(eta**2) - 2 * _LOG_SQRT_2PI - special.log_ndtr(eta) - special.log_ndtr(-eta)
    return trials * np.exp(log_w)


def _information(theta: np.ndarray, x: np.ndarray, trials: np.ndarray) -> np.ndarray:
    J = _jacobian(theta, x)
    return J.T @ (_weights(_eta(theta, x), trials)[:, None] * J)


def _fit(x: np.ndarray, wins: np.ndarray, trials: np.ndarray, plateau: bool) -> np.ndarray:
    """Maximum likelihood with half a success and half a failure added at every size (a penalty
    that keeps the estimates finite when proportions are 0, 1 or separated)."""
    w, n = wins + 0.5, trials + 1.0

    total = n.sum()

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:  # mean log-likelihood per trial
        eta = _eta(theta, x)
        log_p, log_q = special.log_ndtr(eta), special.log_ndtr(-eta)
        # d loglik / d eta = w phi / Phi - (n - w) phi / (1 - Phi), on the log scale
        log_phi = -0.5 * eta**2 - _LOG_SQRT_2PI
        score = w * np.exp(log_phi - log_p) - (n - w) * np.exp(log_phi - log_q)
        return -float(np.sum(w * log_p + (n - w) * log_q)) / total, -(score @ _jacobian(theta, x)) / total

    X = np.column_stack([np.ones_like(x), x])
    start = np.linalg.lstsq(X, stats.norm.ppf(w / n), rcond=None)[0]
    starts = [start]
    bounds = [(-_BOUND, _BOUND)] * 2
    if plateau:
        starts = [np.append(start * math.sqrt(1 + c), c) for c in (0.0, 1.0, 10.0, 100.0)]
        bounds.append((0.0, _BOUND**2))
    best = None
    for s in starts:
        res = optimize.minimize(objective, s, jac=True, method="L-BFGS-B", bounds=bounds,
                                options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 500})
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    return np.asarray(best.x if best is not None else starts[0], float)
