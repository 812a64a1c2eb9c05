"""The prior vocabulary: small frozen objects that print as what they mean and build PyMC RVs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from bayeshcc.errors import SpecError

__all__ = ["Gamma", "HalfNormal", "LogNormal", "Normal", "Prior", "prior_from_dict"]


@dataclass(frozen=True)
class Prior:
    """Base class for priors. Subclasses validate their parameters on construction."""

    def to_pymc(self, name: str, *, dims: Any = None):  # pragma: no cover - abstract
        raise NotImplementedError

    def _positive(self, *names: str) -> None:
        for n in names:
            v = getattr(self, n)
            if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
                raise SpecError(f"{type(self).__name__}: {n} must be a finite number > 0, got {v!r}")

    def _finite(self, *names: str) -> None:
        for n in names:
            v = getattr(self, n)
            if not (isinstance(v, int | float) and math.isfinite(v)):
                raise SpecError(f"{type(self).__name__}: {n} must be a finite number, got {v!r}")

    def as_dict(self) -> dict[str, Any]:
        """Spec form: ``{"dist": "normal", "mu": 0.0, "sigma": 2.0}``."""
        return {"dist": type(self).__name__.lower(), **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass(frozen=True)
class Normal(Prior):
    """Normal(mu, sigma) on the real line (e.g. a log hazard ratio)."""

    mu: float = 0.0
    sigma: float = 1.0

    def __post_init__(self) -> None:
        self._finite("mu")
        self._positive("sigma")

    def to_pymc(self, name: str, *, dims: Any = None):
        import pymc as pm

        return pm.Normal(name, mu=self.mu, sigma=self.sigma, dims=dims)

    def __str__(self) -> str:
        return f"Normal(mu={self.mu:g}, sigma={self.sigma:g})"


@dataclass(frozen=True)
class LogNormal(Prior):
    """LogNormal(mu, sigma): log of the quantity is Normal(mu, sigma) (e.g. a hazard)."""

    mu: float = 0.0
    sigma: float = 1.0

    def __post_init__(self) -> None:
        self._finite("mu")
        self._positive("sigma")

    def to_pymc(self, name: str, *, dims: Any = None):
        import pymc as pm

        return pm.LogNormal(name, mu=self.mu, sigma=self.sigma, dims=dims)

    def __str__(self) -> str:
        return f"LogNormal(mu={self.mu:g}, sigma={self.sigma:g})"


@dataclass(frozen=True)
class Gamma(Prior):
    """Gamma(alpha, beta) with shape alpha and rate beta (mean alpha / beta).

    Conjugate for a hazard with a Poisson or exponential likelihood: with ``d`` events over
    exposure ``E`` the posterior is Gamma(alpha + d, beta + E).
    """

    alpha: float = 1.0
    beta: float = 1.0

    def __post_init__(self) -> None:
        self._positive("alpha", "beta")

    def to_pymc(self, name: str, *, dims: Any = None):
        import pymc as pm

        return pm.Gamma(name, alpha=self.alpha, beta=self.beta, dims=dims)

    def __str__(self) -> str:
        return f"Gamma(alpha={self.alpha:g}, beta={self.beta:g})"


@dataclass(frozen=True)
class HalfNormal(Prior):
    """HalfNormal(sigma) on the positive half line (e.g. a frailty standard deviation)."""

    sigma: float = 1.0

    def __post_init__(self) -> None:
        self._positive("sigma")

    def to_pymc(self, name: str, *, dims: Any = None):
        import pymc as pm

        return pm.HalfNormal(name, sigma=self.sigma, dims=dims)

    def __str__(self) -> str:
        return f"HalfNormal(sigma={self.sigma:g})"


_REGISTRY: dict[str, type[Prior]] = {
    "normal": Normal,
    "lognormal": LogNormal,
    "gamma": Gamma,
    "halfnormal": HalfNormal,
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
