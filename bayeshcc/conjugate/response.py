"""Response posteriors per trial: independent Beta rates and the exact probability of their difference."""

from __future__ import annotations

import numpy as np
from scipy import special

from bayeshcc.conjugate.base import BatchPosterior
from bayeshcc.errors import SpecError

__all__ = ["BetaPosterior", "RateDrawsPosterior", "prob_difference_above"]

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
# Gauss-Legendre on (0, 1) after u = s^4 (35 - 84s + 70s^2 - 20s^3), du = 140 s^3 (1 - s)^3 ds:
# nodes crowd both ends, where the integrand behaves like a fractional power of u or 1 - u.
_S = (_GL_NODES + 1) / 2
_SMOOTH_NODES = _S**4 * (35 - 84 * _S + 70 * _S**2 - 20 * _S**3)
_SMOOTH_WEIGHTS = _GL_WEIGHTS / 2 * 140 * _S**3 * (1 - _S) ** 3


class BetaPosterior(BatchPosterior):
    """Exact posterior of two response rates with independent beta priors."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a, self.b = a, b  # (trial, arm)

    def _prob(self, quantity: str, direction: str, value: float, **selectors) -> np.ndarray:
        self._check(quantity, "risk_difference", selectors)
        p = prob_difference_above(self.a[:, 1], self.b[:, 1], self.a[:, 0], self.b[:, 0], value)
        return p if direction == ">" else 1 - p

    def summary(self) -> dict[str, np.ndarray]:
        a, b = self.a, self.b
        mean = a / (a + b)
        var = a * b / ((a + b) ** 2 * (a + b + 1))
        return {
            "risk_difference_mean": mean[:, 1] - mean[:, 0],
            "risk_difference_sd": np.sqrt(var.sum(axis=1)),
            "prob_benefit": self.prob("risk_difference", ">", 0.0),
        }

    def sample(self, rng: np.random.Generator, draws: int) -> np.ndarray:
        m = self.a.shape[0]
        x = rng.standard_gamma(self.a[:, None, :], size=(m, draws, 2))
        y = rng.standard_gamma(self.b[:, None, :], size=(m, draws, 2))
        return x / (x + y)


class RateDrawsPosterior(BatchPosterior):
    """Posterior from draws of the response rates, shape ``(trial, draw, arm)`` (arm 0 control)."""

    def __init__(self, rates: np.ndarray) -> None:
        self.rates = rates

    def _prob(self, quantity: str, direction: str, value: float, **selectors) -> np.ndarray:
        self._check(quantity, "risk_difference", selectors)
        diff = self.rates[..., 1] - self.rates[..., 0]
        return (diff > value).mean(axis=1) if direction == ">" else (diff < value).mean(axis=1)

    def summary(self) -> dict[str, np.ndarray]:
        diff = self.rates[..., 1] - self.rates[..., 0]
        return {
            "risk_difference_mean": diff.mean(axis=1),
            "risk_difference_sd": diff.std(axis=1, ddof=1),
            "prob_benefit": self.prob("risk_difference", ">", 0.0),
        }

    def sample(self, rng: np.random.Generator, draws: int) -> np.ndarray:
        raise SpecError("engine: predictive-probability rules are not available with the mcmc engine")


def prob_difference_above(a_t, b_t, a_c, b_c, delta: float) -> np.ndarray:
    """``P(p_t - p_c > delta)`` for independent Beta(a_t, b_t) and Beta(a_c, b_c), per element.

    Notes
    -----
    The integral is taken on one arm's probability scale, so beta densities that are unbounded
    (a parameter below 1, such as the Jeffreys prior's 0.5) never enter it. On the control's scale,
    with :math:`x_c(u) = I^{-1}_u(a_c, b_c)`,

    .. math:: P(p_t - p_c > \\delta) = 1 - \\int_0^1 I_{\\mathrm{clip}(x_c(u) + \\delta)}(a_t, b_t)\\,du,

    and on the treatment's scale :math:`\\int_0^1 I_{\\mathrm{clip}(x_t(u) - \\delta)}(a_c, b_c)\\,du`.
    Each element uses the arm with the smaller posterior variance, whose quantiles the other arm's
    CDF crosses smoothly. The range of ``u`` where the clipped CDF is constant (0 or 1) is added
    exactly, so the integrand has no kink; the rest is integrated by 48-point Gauss-Legendre
    quadrature after the substitution :math:`u = s^4(35 - 84s + 70s^2 - 20s^3)`, which flattens
    the integrand's power-law ends. Agrees with adaptive quadrature to about 1e-10 for parameters
    in {0.5, 1, 3, 30} and :math:`|\\delta| \\le 0.1` (checked in the tests). Repeated parameter
    sets (common in simulated binomial trials) are computed once.
    """
    a_t, b_t, a_c, b_c = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (a_t, b_t, a_c, b_c))
    )
    shape = a_t.shape
    params = np.stack([a_t.ravel(), b_t.ravel(), a_c.ravel(), b_c.ravel()], axis=1)
    if params.shape[0] > 1:
        params, inverse = np.unique(params, axis=0, return_inverse=True)
    else:
        inverse = np.zeros(params.shape[0], dtype=np.intp)
    a_t, b_t, a_c, b_c = params.T
    var_t = a_t * b_t / ((a_t + b_t) ** 2 * (a_t + b_t + 1))
    var_c = a_c * b_c / ((a_c + b_c) ** 2 * (a_c + b_c + 1))
    on_t = var_t < var_c
    # Integrate P(p_o <= x_s(u) + c) over u: s is the integration arm, o the other.
    a_s, b_s = np.where(on_t, a_t, a_c), np.where(on_t, b_t, b_c)
    a_o, b_o = np.where(on_t, a_c, a_t), np.where(on_t, b_c, b_t)
    c = np.where(on_t, -float(delta), float(delta))
    p = _cdf_over_quantiles(a_s, b_s, a_o, b_o, c)
    p = np.where(on_t, p, 1 - p)
    return np.clip(p, 0.0, 1.0)[inverse].reshape(shape)


def _cdf_over_quantiles(a_s, b_s, a_o, b_o, c) -> np.ndarray:
    """``P(p_o <= p_s + c) = int_0^1 I_clip(x_s(u) + c)(a_o, b_o) du`` (1-d arrays)."""
    # The clipped CDF is 0 for x_s <= -c and 1 for x_s >= 1 - c: integrate between those only.
    lo = np.where(c < 0, special.betainc(a_s, b_s, np.clip(-c, 0.0, 1.0)), 0.0)
    hi = np.where(c > 0, special.betainc(a_s, b_s, np.clip(1 - c, 0.0, 1.0)), 1.0)
    hi = np.maximum(hi, lo)
    u = lo[:, None] + (hi - lo)[:, None] * _SMOOTH_NODES
    x = special.betaincinv(a_s[:, None], b_s[:, None], u)
    cdf = special.betainc(a_o[:, None], b_o[:, None], np.clip(x + c[:, None], 0.0, 1.0))
    return (hi - lo) * (cdf * _SMOOTH_WEIGHTS).sum(axis=1) + (1 - hi)


