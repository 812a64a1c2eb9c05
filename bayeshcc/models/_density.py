"""A posterior's log density written in numpy: what ``sampler="numpy"`` hands to nutpie's NUTS.

A family that can write its log density and gradient out by hand (see
:func:`bayeshcc.models._survival_numpy.piecewise_density`) returns a :class:`Density` from
``Model.density(prepared)``; nothing is compiled, so a fit in a new process starts sampling at once
(PyMC's C code or nutpie's numba code take 2-30 s to compile or load). The coordinates are PyMC's
unconstrained ones (positive parameters on the log scale, with the log-Jacobian), so the
density equals the one PyMC builds from the same model (tested, constants included).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from bayeshcc.models.priors import Gamma, HalfNormal, Logistic, LogNormal, Normal, Prior

__all__ = ["Block", "Density", "TermsFn", "joint_prior", "prior_block"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
#: A likelihood term: flattened hazards ``h`` (``arm * K + interval``) -> (log-likelihood, gradient).
TermsFn = Callable[[np.ndarray], tuple[float, np.ndarray]]


@dataclass(frozen=True, eq=False)
class Density:
    """Log density and gradient on the unconstrained space, and the posterior variables it implies.

    Attributes
    ----------
    ndim : int
        Length of the unconstrained vector.
    logp_grad : callable
        ``x -> (log density, gradient)`` (float and float64 array of length ``ndim``).
    expand : callable
        ``x -> {name: array}``: the posterior variables (constrained), shaped as ``shapes``.
    shapes, dims : dict
        Each posterior variable's shape and dimension names; ``coords`` the dimensions' labels.
    centre : numpy.ndarray
        Starting point before jitter: each prior's centre on the unconstrained scale (its median for
        LogNormal and Normal; PyMC starts a LogNormal at its mean instead; either serves).
    blocks : dict
        The free parameters in the order they fill ``x``, with their shapes (unconstrained).
    """

    ndim: int
    logp_grad: Callable[[np.ndarray], tuple[float, np.ndarray]]
    expand: Callable[[np.ndarray], dict[str, np.ndarray]]
    shapes: dict[str, tuple[int, ...]]
    dims: dict[str, tuple[str, ...]]
    coords: dict[str, list]
    centre: np.ndarray
    blocks: dict[str, tuple[int, ...]]


@dataclass(frozen=True, eq=False)
class Block:
    """One prior over an array of parameters, on PyMC's unconstrained scale (log for positive
    priors, with the Jacobian): ``logp_grad(u) -> (sum of log densities, gradient)``; ``normal``
    holds ``(mu, sigma)`` where that density is Normal (so blocks can be joined into one)."""

    shape: tuple[int, ...]
    centre: float
    logp_grad: Callable[[np.ndarray], tuple[float, np.ndarray]]
    normal: tuple[float, float] | None = None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


def prior_block(prior: Prior, shape: tuple[int, ...]) -> Block | None:
    """The prior's log density over ``shape`` parameters, or None when it has no numpy form here."""
    n = int(np.prod(shape))
    if isinstance(prior, Normal | LogNormal):  # LogNormal on the log scale is Normal (Jacobian included)
        mu, sigma = prior.mu, prior.sigma
        const = -n * (math.log(sigma) + _HALF_LOG_2PI)

        def f(u):
            z = (u - mu) / sigma
            return const - 0.5 * float(z @ z), -z / sigma

        return Block(shape, mu, f, (mu, sigma))
    if isinstance(prior, Logistic):
        mu, s = prior.mu, prior.s

        def f(u):
            z = (u - mu) / s
            return float(np.sum(-z - 2.0 * np.logaddexp(0.0, -z))) - n * math.log(s), -np.tanh(z / 2) / s

        return Block(shape, mu, f)
    if isinstance(prior, Gamma):
        a, b = prior.alpha, prior.beta
        const = n * (a * math.log(b) - float(gammaln(a)))

        def f(u):
            e = np.exp(u)
            return const + float(np.sum(a * u - b * e)), a - b * e

        return Block(shape, math.log(a / b), f)
    if isinstance(prior, HalfNormal):
        s2 = prior.sigma**2
        const = n * (math.log(2.0) - _HALF_LOG_2PI - math.log(prior.sigma))

        def f(u):
            e2 = np.exp(2 * u)
            return const + float(np.sum(u - e2 / (2 * s2))), 1.0 - e2 / s2

        return Block(shape, math.log(prior.sigma), f)
    return None


def joint_prior(blocks: list[Block]) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """The blocks' joint log density over the flat vector they fill in order (one vectorised
    Normal when every block is Normal on its scale, the usual case)."""
    if all(b.normal is not None for b in blocks):
        mu = np.concatenate([np.full(b.size, b.normal[0]) for b in blocks])
        inv = np.concatenate([np.full(b.size, 1.0 / b.normal[1]) for b in blocks])
        const = float(np.sum(np.log(inv))) - mu.size * _HALF_LOG_2PI

        def normal(x):
            z = (x - mu) * inv
            return const - 0.5 * float(z @ z), -z * inv

        return normal
    ends = np.cumsum([b.size for b in blocks])
    starts = ends - [b.size for b in blocks]

    def f(x):
        total, grads = 0.0, []
        for b, s, e in zip(blocks, starts, ends, strict=True):
            lp, g = b.logp_grad(x[s:e])
            total += lp
            grads.append(np.broadcast_to(g, (e - s,)))
        return total, np.concatenate(grads)

    return f
