"""The prior vocabulary: small frozen objects that print as what they mean and build PyMC RVs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from bayeshcc.errors import SpecError

__all__ = ["Beta", "Gamma", "HalfNormal", "LogNormal", "Normal", "Prior", "prior_from_dict"]


@dataclass(frozen=True)
class Prior:
    """Base class for priors: parameters are dataclass fields, validated on construction.

    Subclasses name the PyMC distribution (``_pymc``) and which parameters must be finite
    (``_finite``) or strictly positive (``_positive``).
    """

    _pymc: ClassVar[str] = ""
    #: Where the prior puts its mass: "real", "positive" or "unit" (0 to 1).
    support: ClassVar[str] = "real"
    _finite: ClassVar[tuple[str, ...]] = ()
    _positive: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for n in self._finite + self._positive:
            v = getattr(self, n)
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            if n in self._positive:
                ok = ok and v > 0
            if not ok:
                need = "a finite number > 0" if n in self._positive else "a finite number"
                raise SpecError(f"{type(self).__name__}: {n} must be {need}, got {v!r}")

    @property
    def params(self) -> dict[str, float]:
        """Parameter names and values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def to_pymc(self, name: str, *, dims: Any = None):
        """Create the PyMC random variable ``name`` with this prior (inside a model context)."""
        import pymc as pm

        return getattr(pm, self._pymc)(name, **self.params, dims=dims)

    def as_dict(self) -> dict[str, Any]:
        """Spec form: ``{"dist": "normal", "mu": 0.0, "sigma": 2.0}``."""
        return {"dist": type(self).__name__.lower(), **self.params}

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


@dataclass(frozen=True)
class Normal(Prior):
    """Normal(mu, sigma) on the real line (e.g. a log hazard ratio)."""

    mu: float = 0.0
    sigma: float = 1.0
    _pymc: ClassVar[str] = "Normal"
    _finite: ClassVar[tuple[str, ...]] = ("mu",)
    _positive: ClassVar[tuple[str, ...]] = ("sigma",)


@dataclass(frozen=True)
class LogNormal(Prior):
    """LogNormal(mu, sigma): log of the quantity is Normal(mu, sigma) (e.g. a hazard)."""

    mu: float = 0.0
    sigma: float = 1.0
    _pymc: ClassVar[str] = "LogNormal"
    support: ClassVar[str] = "positive"
    _finite: ClassVar[tuple[str, ...]] = ("mu",)
    _positive: ClassVar[tuple[str, ...]] = ("sigma",)


@dataclass(frozen=True)
class Gamma(Prior):
    """Gamma(alpha, beta) with shape alpha and rate beta (mean alpha / beta).

    Conjugate for a hazard with a Poisson or exponential likelihood: with ``d`` events over
    exposure ``E`` the posterior is Gamma(alpha + d, beta + E).
    """

    alpha: float = 1.0
    beta: float = 1.0
    _pymc: ClassVar[str] = "Gamma"
    support: ClassVar[str] = "positive"
    _positive: ClassVar[tuple[str, ...]] = ("alpha", "beta")


@dataclass(frozen=True)
class Beta(Prior):
    """Beta(alpha, beta) on (0, 1) (e.g. a response rate); mean alpha / (alpha + beta).

    Conjugate for a binomial likelihood: with ``y`` responders of ``n`` the posterior is
    Beta(alpha + y, beta + n - y). ``Beta(1, 1)`` is uniform, ``Beta(0.5, 0.5)`` Jeffreys'.
    """

    alpha: float = 1.0
    beta: float = 1.0
    _pymc: ClassVar[str] = "Beta"
    support: ClassVar[str] = "unit"
    _positive: ClassVar[tuple[str, ...]] = ("alpha", "beta")


@dataclass(frozen=True)
class HalfNormal(Prior):
    """HalfNormal(sigma) on the positive half line (e.g. a frailty standard deviation)."""

    sigma: float = 1.0
    _pymc: ClassVar[str] = "HalfNormal"
    support: ClassVar[str] = "positive"
    _positive: ClassVar[tuple[str, ...]] = ("sigma",)


_REGISTRY: dict[str, type[Prior]] = {
    "normal": Normal,
    "lognormal": LogNormal,
    "gamma": Gamma,
    "halfnormal": HalfNormal,
    "beta": Beta,
}


def prior_from_dict(spec: Mapping[str, Any], *, field: str) -> Prior:
    """Build a prior from its spec form, e.g. ``{"dist": "normal", "mu": 0, "sigma": 2}``.

    Raises
    ------
    SpecError
        Unknown ``dist``, unknown or missing parameters, or invalid values; the message names
        ``field``.
    """
    if isinstance(spec, Prior):
        return spec
    if not isinstance(spec, Mapping) or "dist" not in spec:
        raise SpecError(f"{field}: a prior is a table with 'dist' and its parameters, got {spec!r}")
    name = str(spec["dist"]).lower()
    if name not in _REGISTRY:
        raise SpecError(f"{field}: unknown dist {spec['dist']!r}; expected one of {sorted(_REGISTRY)}")
    cls = _REGISTRY[name]
    allowed = {f.name for f in fields(cls)}
    params = {k: v for k, v in spec.items() if k != "dist"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise SpecError(f"{field}: unknown parameter(s) {unknown} for {name}; expected {sorted(allowed)}")
    try:
        return cls(**params)
    except SpecError as e:
        raise SpecError(f"{field}: {e}") from None
