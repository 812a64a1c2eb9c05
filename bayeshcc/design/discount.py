"""How a source study's posterior is discounted before it becomes a design prior.

A retrospective single-centre study is optimistic evidence for a future randomized trial, so
:meth:`~bayeshcc.design.Scenario.from_fit` always takes a stated discount: a power prior
(:class:`PowerPrior`, the source likelihood raised to ``a0`` and refitted) or a robust mixture
(:class:`RobustMixture`, the source posterior with weight ``w``, a vague component with ``1 - w``).
Both are small frozen values with a spec form (:func:`discount_from_dict`):
``{method = "power", a0 = 0.5}`` or
``{method = "mixture", weight = 0.5, log_hr = {dist = "normal", mu = 0, sigma = 1}}``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bayeshcc.errors import SpecError
from bayeshcc.models.priors import Beta, Logistic, Normal, prior_from_dict

__all__ = ["Discount", "PowerPrior", "RobustMixture", "discount_from_dict"]


ENDPOINTS = ("survival", "response")


def _weight(field: str, value: object, *, zero: bool) -> float:
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)
    if not ok or not ((0 <= value <= 1) if zero else (0 < value <= 1)):
        bounds = "[0, 1]" if zero else "(0, 1]"
        raise SpecError(f"{field}: expected a weight in {bounds}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class PowerPrior:
    """Power-prior discount: the source likelihood raised to ``a0``, and the source model refitted.

    Parameters
    ----------
    a0 : float
        Weight in (0, 1] on the source study's log-likelihood. 1 keeps the source posterior as it
        is (no refit); 0.5 counts every source patient as half a patient.

    Notes
    -----
    :math:`p(\\theta \\mid D_0, a_0) \\propto L(\\theta \\mid D_0)^{a_0}\\, p(\\theta)` (Ibrahim and
    Chen 2000), computed by refitting the source model with ``likelihood_weight=a0`` (MCMC for
    :class:`~bayeshcc.PiecewiseExponential`; closed form
    :math:`\\mathrm{Beta}(\\alpha + a_0 y, \\beta + a_0 (n - y))` for
    :class:`~bayeshcc.BinomialResponse`). Smaller ``a0`` widens the design prior.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> print(bh.PowerPrior(a0=0.5))
    power prior a0=0.5 (source likelihood^0.5, refitted)
    """

    a0: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "a0", _weight("PowerPrior.a0", self.a0, zero=False))

    def as_dict(self) -> dict[str, Any]:
        """Spec form: ``{"method": "power", "a0": ...}``."""
        return {"method": "power", "a0": self.a0}

    def __str__(self) -> str:
        if self.a0 == 1:
            return "power prior a0=1 (the source posterior as it is)"
        return f"power prior a0={self.a0:g} (source likelihood^{self.a0:g}, refitted)"


@dataclass(frozen=True)
class RobustMixture:
    """Robust-mixture discount: each candidate truth comes from the source posterior with
    probability ``weight``, else from a vague component.

    Parameters
    ----------
    weight : float
        Probability in [0, 1] that a truth is a source-posterior draw (1: no discount).
    log_hr : Normal or Logistic, default ``Normal(0, 1)``
        Survival: the vague component's log hazard ratio (one for all periods); the control
        arm's hazards are kept from the source draw, so only the effect is discounted.
    treatment_rate : Beta, default ``Beta(1, 1)``
        Response: the vague component's treatment response rate; the control rate is kept from
        the source draw.

    Notes
    -----
    The mixture :math:`w\\, p(\\theta \\mid D_0) + (1 - w)\\, p_v(\\theta)` of Schmidli et al.
    (2014), applied to the effect. With a joint (survival and response) source, one component
    choice per candidate truth applies to both endpoints. Once applied to a source (the
    ``discount`` of a design prior), it describes only the components of that source's endpoints.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> print(bh.RobustMixture(weight=0.5, log_hr=bh.Normal(0, 0.5)))  # doctest: +NORMALIZE_WHITESPACE
    robust mixture: weight 0.5 on the source posterior, 0.5 on a vague component (log HR ~
    Normal(mu=0, sigma=0.5) with the source's control hazards; treatment response rate ~
    Beta(alpha=1, beta=1) with the source's control rate)
    """

    weight: float
    log_hr: Normal | Logistic = Normal(0.0, 1.0)
    treatment_rate: Beta = Beta(1.0, 1.0)
    # the endpoints of the source it was applied to: what str() describes (not a setting)
    _endpoints: tuple[str, ...] = dataclasses.field(default=ENDPOINTS, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _weight("RobustMixture.weight", self.weight, zero=True))
        if not isinstance(self.log_hr, Normal | Logistic):
            raise SpecError(
                f"RobustMixture.log_hr: expected a bh.Normal (or bh.Logistic) prior on the log hazard "
                f"ratio, got {self.log_hr!r}"
            )
        if not isinstance(self.treatment_rate, Beta):
            raise SpecError(
                f"RobustMixture.treatment_rate: expected a bh.Beta prior on a response rate, got "
                f"{self.treatment_rate!r}"
            )

    def as_dict(self) -> dict[str, Any]:
        """Spec form: ``{"method": "mixture", "weight": ..., "log_hr": {...}, "treatment_rate": {...}}``."""
        return {"method": "mixture", "weight": self.weight, "log_hr": self.log_hr.as_dict(),
                "treatment_rate": self.treatment_rate.as_dict()}

    def _for_source(self, endpoints: Iterable[str]) -> RobustMixture:
        """This mixture, described for a source with only ``endpoints`` (same settings, equal)."""
        given = set(endpoints)
        new = replace(self)
        object.__setattr__(new, "_endpoints", tuple(e for e in ENDPOINTS if e in given))
        return new

    def __str__(self) -> str:
        parts = {
            "survival": f"log HR ~ {self.log_hr} with the source's control hazards",
            "response": f"treatment response rate ~ {self.treatment_rate} with the source's control rate",
        }
        vague = "; ".join(parts[e] for e in self._endpoints)
        return (
            f"robust mixture: weight {self.weight:g} on the source posterior, {1 - self.weight:g} on a "
            f"vague component ({vague})"
        )


Discount = PowerPrior | RobustMixture


def discount_from_dict(spec: Mapping[str, Any] | Discount, *, field: str = "discount") -> Discount:
    """A discount from its spec form.

    Parameters
    ----------
    spec : mapping or PowerPrior or RobustMixture
        ``{"method": "power", "a0": 0.5}`` or ``{"method": "mixture", "weight": 0.5,
        "log_hr": {"dist": "normal", "mu": 0, "sigma": 1}, "treatment_rate": {"dist": "beta", ...}}``
        (``log_hr`` and ``treatment_rate`` optional); a discount object is returned as it is.
    field : str
        Dotted path of the spec, for messages.

    Returns
    -------
    PowerPrior or RobustMixture

    Raises
    ------
    SpecError
        Unknown method or keys, or invalid values, naming ``field``.
    """
    if isinstance(spec, PowerPrior | RobustMixture):
        return spec
    if not isinstance(spec, Mapping) or "method" not in spec:
        raise SpecError(
            f"{field}: expected a table with 'method' ('power' or 'mixture'), e.g. "
            f"{{method = 'power', a0 = 0.5}}, or a bh.PowerPrior / bh.RobustMixture, got {spec!r}"
        )
    keys = {"power": {"a0"}, "mixture": {"weight", "log_hr", "treatment_rate"}}
    method = spec["method"]
    if method not in keys:
        raise SpecError(f"{field}.method: expected 'power' or 'mixture', got {method!r}")
    params = {k: v for k, v in spec.items() if k != "method"}
    unknown = sorted(set(params) - keys[method])
    if unknown:
        raise SpecError(f"{field}: unknown key(s) {unknown} for method {method!r}; expected {sorted(keys[method])}")
    required = "a0" if method == "power" else "weight"
    if required not in params:
        raise SpecError(f"{field}.{required}: missing; method {method!r} needs it")
    for name in ("log_hr", "treatment_rate"):
        if name in params:
            params[name] = prior_from_dict(params[name], field=f"{field}.{name}")
    try:
        return PowerPrior(**params) if method == "power" else RobustMixture(**params)
    except SpecError as e:
        msg = str(e)
        for cls in ("PowerPrior.", "RobustMixture."):
            msg = msg.replace(cls, f"{field}.")
        raise SpecError(msg) from None
