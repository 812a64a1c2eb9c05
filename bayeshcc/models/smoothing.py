"""Smoothing priors across intervals: a Gaussian random walk on the log scale.

With many short intervals, independent priors let each interval's hazard follow its few events
(overfitting); a random walk ties neighbours together by an amount the data choose (the scale has
its own prior), so fine cutpoints stop being a risk:

.. math::

    \\alpha_1 \\sim N(m, s^2), \\qquad \\alpha_k = \\alpha_{k-1} + \\tau z_k,\\quad z_k \\sim N(0, 1),
    \\qquad \\tau \\sim \\text{scale prior},

with :math:`\\alpha_k` the log hazard (or log hazard ratio) of interval :math:`k`, sampled
non-centred (the :math:`z_k`). As :math:`\\tau \\to 0` every interval shares :math:`\\alpha_1`: a
constant hazard, or a proportional effect, is the walk's limit; the posterior of :math:`\\tau`
says how far the data pull away from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from bayeshcc.errors import SpecError
from bayeshcc.models.priors import HalfNormal, Normal, Prior

__all__ = ["RandomWalk"]


@dataclass(frozen=True)
class RandomWalk:
    """Gaussian random walk of a log hazard (or log hazard ratio) across intervals.

    Parameters
    ----------
    scale : Prior or float, default ``HalfNormal(0.5)``
        Prior of the walk's step sd :math:`\\tau` (on the log scale), or a fixed value. The default
        lets neighbouring intervals' hazards differ by about a factor of 2 (one sd) but shrinks
        towards no change.
    first : Normal, optional
        Prior of the first interval's log value. Default: for a baseline hazard, the
        data-relative centre of :class:`~bayeshcc.PiecewiseExponential` (``Normal(log r, 2)``,
        ``r`` the pooled crude rate); for a log hazard ratio, ``Normal(0, 2)``.

    Notes
    -----
    See the module docstring for the maths. Used as ``baseline_prior`` (log hazards; each arm its
    own walk with ``effect="per_arm"``) or as ``log_hr_prior`` with ``effect="time_varying"``.
    """

    scale: Prior | float = HalfNormal(0.5)
    first: Normal | None = None
    support: ClassVar[str] = "walk"

    def __post_init__(self) -> None:
        s = self.scale
        if isinstance(s, bool) or not (isinstance(s, Prior) or isinstance(s, int | float)):
            raise SpecError(f"RandomWalk.scale: expected a prior (e.g. bh.HalfNormal(0.5)) or a number, got {s!r}")
        if isinstance(s, Prior) and s.support != "positive":
            raise SpecError(f"RandomWalk.scale: {s} has {s.support} support; a step sd needs e.g. bh.HalfNormal")
        if isinstance(s, int | float) and not (math.isfinite(s) and s > 0):
            raise SpecError(f"RandomWalk.scale: a fixed step sd must be a finite number > 0, got {s!r}")
        if self.first is not None and not isinstance(self.first, Normal):
            raise SpecError(f"RandomWalk.first: expected a bh.Normal on the log scale, got {self.first!r}")

    def to_pymc_log(self, name: str, *, dims, n: int, centre=None, spread: float = 2.0):
        """The walk's log values (a PyTensor tensor over the last dim ``dims[-1]``, length ``n``).

        Creates ``{name}_first``, ``{name}_steps`` (non-centred) and, for a prior scale,
        ``{name}_scale``. ``centre``/``spread`` are the first value's prior when ``first`` is None.
        """
        import pymc as pm
        import pytensor.tensor as pt

        dims = (dims,) if isinstance(dims, str) else tuple(dims)
        lead = dims[:-1]
        if self.first is not None:
            first = pm.Normal(f"{name}_first", mu=self.first.mu, sigma=self.first.sigma, dims=lead or None)
        else:
            first = pm.Normal(f"{name}_first", mu=0.0 if centre is None else centre, sigma=spread, dims=lead or None)
        if n == 1:
            return first[..., None] if lead else pt.reshape(first, (1,))
        tau = self.scale.to_pymc(f"{name}_scale") if isinstance(self.scale, Prior) else pt.as_tensor(float(self.scale))
        model = pm.modelcontext(None)
        shape = (*(int(model.dim_lengths[d].eval()) for d in lead), n - 1)
        steps = pm.Normal(f"{name}_steps", 0.0, 1.0, shape=shape)
        walk = pt.cumsum(tau * steps, axis=-1)
        first_ = first[..., None] if lead else pt.reshape(first, (1,))
        return pt.concatenate([first_, first_ + walk], axis=-1)

    def __str__(self) -> str:
        first = "data-relative" if self.first is None else str(self.first)
        return f"RandomWalk(scale={self.scale}, first={first})"
