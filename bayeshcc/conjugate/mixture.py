"""Beta-mixture posteriors of response rates: the conjugate update, exact probabilities and ESS.

A prior :math:`\\sum_k w_k \\mathrm{Beta}(a_k, b_k)` with ``y`` responders of ``n`` has the posterior
:math:`\\sum_k w'_k \\mathrm{Beta}(a_k + y, b_k + n - y)` with
:math:`w'_k \\propto w_k B(a_k + y, b_k + n - y) / B(a_k, b_k)` (RBesT's ``postmix``): each
component is updated as a Beta, and its weight by its beta-binomial marginal likelihood (the
binomial coefficient is common to all components and cancels).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import integrate, special

from bayeshcc.conjugate.base import BatchPosterior
from bayeshcc.conjugate.response import prob_difference_above
from bayeshcc.errors import SpecError

__all__ = ["BetaMixturePosterior", "beta_mixture_ess", "beta_mixture_update", "beta_mixture_moments"]


def beta_mixture_update(weights, alpha, beta, responders, n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior of a Beta-mixture prior after ``responders`` of ``n``.

    Parameters
    ----------
    weights, alpha, beta : array_like, shape ``(K,)``
        The prior's component weights and Beta parameters.
    responders, n : array_like
        Counts, any shape ``S`` (e.g. ``(trial, arm)``).

    Returns
    -------
    weights, alpha, beta : numpy.ndarray, shape ``S + (K,)``
        Posterior component weights (summing to 1 over the last axis) and Beta parameters.
    """
    w, a, b = (np.asarray(v, dtype=float) for v in (weights, alpha, beta))
    y = np.asarray(responders, dtype=float)[..., None]
    m = np.asarray(n, dtype=float)[..., None]
    a_post, b_post = a + y, b + m - y
    log_w = np.log(w) + special.betaln(a_post, b_post) - special.betaln(a, b)
    log_w -= special.logsumexp(log_w, axis=-1, keepdims=True)
    return np.exp(log_w), a_post, b_post


def beta_mixture_moments(weights, alpha, beta) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of Beta mixtures (components on the last axis)."""
    w, a, b = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (weights, alpha, beta)))
    m_k = a / (a + b)
    second = a * (a + 1) / ((a + b) * (a + b + 1))
    mean = (w * m_k).sum(axis=-1)
    return mean, (w * second).sum(axis=-1) - mean**2


def beta_mixture_ess(weights, alpha, beta, method: Literal["moment", "elir"] = "moment") -> float:
    """Effective sample size of one Beta mixture, in patients.

    Parameters
    ----------
    weights, alpha, beta : array_like, shape ``(K,)``
    method : {"moment", "elir"}
        ``"moment"`` (RBesT's ``ess(mix, "moment")``): the mixture's mean :math:`m` and variance
        :math:`v` are matched by one Beta, whose :math:`a + b = m(1 - m)/v - 1` is the ESS.
        ``"elir"`` (expected local information ratio, Neuenschwander et al. 2020; RBesT's
        default): :math:`E_{\\theta \\sim p}[\\, -(\\log p)''(\\theta)\\, \\theta (1 - \\theta)]`, the
        prior's curvature over the binomial Fisher information :math:`1/(\\theta(1 - \\theta))`,
        averaged over the prior; it is predictively consistent (the prior-predictive average of the
        posterior ESS after ``n`` patients is the prior ESS plus ``n``). Computed by adaptive
        quadrature; it needs every component's parameters >= 1 (otherwise the integral diverges).

    Notes
    -----
    Both give :math:`a + b` for a single ``Beta(a, b)``. For a robust mixture the moment ESS is
    usually much smaller than the informative component's :math:`a + b` (the vague component
    inflates the variance), and the ELIR lies between.
    """
    w, a, b = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (weights, alpha, beta))
    if method == "moment":
        mean, var = beta_mixture_moments(w, a, b)
        return float(mean * (1 - mean) / var - 1)
    if method != "elir":
        raise SpecError(f"method: expected 'moment' or 'elir', got {method!r}")
    if (a < 1).any() or (b < 1).any():
        raise SpecError(
            "method='elir' needs every component's alpha and beta >= 1 (the expected curvature "
            f"diverges otherwise); got alpha={a.tolist()}, beta={b.tolist()}; use method='moment'"
        )
    log_norm = np.log(w) - special.betaln(a, b)

    def integrand(t: float) -> float:
        g = (a - 1) / t - (b - 1) / (1 - t)  # d/dt log f_k
        dg = -(a - 1) / t**2 - (b - 1) / (1 - t) ** 2
        f = np.exp(log_norm + (a - 1) * np.log(t) + (b - 1) * np.log1p(-t))
        p, dp, d2p = f.sum(), (f * g).sum(), (f * (g**2 + dg)).sum()
        return t * (1 - t) * (dp**2 / p - d2p) if p > 0 else 0.0

    value, _ = integrate.quad(integrand, 0.0, 1.0, limit=200, epsabs=1e-10, epsrel=1e-10)
    return float(value)


class BetaMixturePosterior(BatchPosterior):
    """Exact posterior of two response rates, each a Beta mixture (independent arms).

    Arrays have shape ``(trial, arm, component)`` (arm 0 control, arm 1 treatment).
    """

    def __init__(self, w: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        self.w, self.a, self.b = w, a, b

    def _prob(self, quantity: str, direction: str, value: float, **selectors) -> np.ndarray:
        self._check(quantity, "risk_difference", selectors)
        p = prob_mixture_difference_above(self.w, self.a, self.b, value)
        return p if direction == ">" else 1 - p

    def summary(self) -> dict[str, np.ndarray]:
        mean, var = beta_mixture_moments(self.w, self.a, self.b)
        return {
            "risk_difference_mean": mean[:, 1] - mean[:, 0],
            "risk_difference_sd": np.sqrt(var.sum(axis=1)),
            "prob_benefit": self.prob("risk_difference", ">", 0.0),
        }

    def sample(self, rng: np.random.Generator, draws: int) -> np.ndarray:
        m, arms, k = self.w.shape
        u = rng.random((m, draws, arms, 1))
        comp = (u > np.cumsum(self.w, axis=-1)[:, None]).sum(axis=-1).clip(max=k - 1)
        pick = np.broadcast_to(np.arange(arms), comp.shape)
        idx = np.arange(m)[:, None, None]
        a, b = self.a[idx, pick, comp], self.b[idx, pick, comp]
        x, y = rng.standard_gamma(a), rng.standard_gamma(b)
        return x / (x + y)


def prob_mixture_difference_above(w, a, b, delta: float) -> np.ndarray:
    """``P(p_t - p_c > delta)`` for Beta-mixture rates; arrays ``(trial, arm, component)``.

    The mixture of differences is a double sum over the two arms' components, each term the exact
    two-Beta probability of :func:`~bayeshcc.conjugate.prob_difference_above` (quadrature).
    """
    wc, wt = w[:, 0, :, None], w[:, 1, None, :]
    p = prob_difference_above(a[:, 1, None, :], b[:, 1, None, :], a[:, 0, :, None], b[:, 0, :, None], delta)
    return np.clip((wc * wt * p).sum(axis=(1, 2)), 0.0, 1.0)
