"""The prior vocabulary: small frozen objects that print as what they mean and build PyMC RVs."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Literal

from bayeshcc.errors import SpecError

__all__ = [
    "Beta",
    "Gamma",
    "HalfNormal",
    "LogNormal",
    "Logistic",
    "Mixture",
    "Normal",
    "Prior",
    "effective_sample_size",
    "prior_from_dict",
    "robust",
]


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
class Logistic(Prior):
    """Logistic(mu, s) on the real line. ``Logistic(0, 1)`` on a log-odds is a uniform prior on
    the probability (the logit of a Uniform(0, 1) variable is standard logistic)."""

    mu: float = 0.0
    s: float = 1.0
    _pymc: ClassVar[str] = "Logistic"
    _finite: ClassVar[tuple[str, ...]] = ("mu",)
    _positive: ClassVar[tuple[str, ...]] = ("s",)


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


@dataclass(frozen=True)
class Mixture(Prior):
    """A finite mixture of priors of one support: ``sum_k w_k p_k``.

    Parameters
    ----------
    components : sequence of Prior
        At least one prior (not itself a mixture), all with the same support (e.g. all ``Beta``).
    weights : sequence of float
        One positive weight per component, summing to 1 (within 1e-6; stored renormalised).

    Notes
    -----
    A mixture of Betas is conjugate for a binomial likelihood (RBesT's ``postmix``): with ``y``
    responders of ``n`` the posterior is :math:`\\sum_k w'_k \\mathrm{Beta}(a_k + y, b_k + n - y)` with
    :math:`w'_k \\propto w_k B(a_k + y, b_k + n - y) / B(a_k, b_k)`, the prior weight times the
    component's beta-binomial marginal likelihood. :func:`robust` builds the usual robust prior.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> print(bh.Mixture([bh.Beta(12, 28), bh.Beta(1, 1)], weights=[0.8, 0.2]))
    Mixture(0.8 Beta(alpha=12, beta=28) + 0.2 Beta(alpha=1, beta=1))
    """

    components: tuple[Prior, ...] = ()
    weights: tuple[float, ...] = ()
    _pymc: ClassVar[str] = "Mixture"

    def __post_init__(self) -> None:
        comps, w = self.components, self.weights
        if isinstance(comps, Prior) or not isinstance(comps, list | tuple) or not comps:
            raise SpecError(f"Mixture: components must be a non-empty list of priors, got {comps!r}")
        for i, c in enumerate(comps):
            if not isinstance(c, Prior) or isinstance(c, Mixture):
                raise SpecError(f"Mixture: components[{i}] must be a prior (not a mixture), got {c!r}")
        supports = {c.support for c in comps}
        if len(supports) > 1:
            raise SpecError(
                f"Mixture: components must share one support, got {[str(c) for c in comps]} "
                f"with supports {[c.support for c in comps]}"
            )
        if hasattr(w, "tolist") and getattr(w, "ndim", 1) == 1:  # a numpy array of weights
            w = w.tolist()
        if not isinstance(w, list | tuple) or len(w) != len(comps):
            raise SpecError(f"Mixture: weights must list one number per component ({len(comps)}), got {w!r}")
        for i, v in enumerate(w):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v <= 0:
                raise SpecError(f"Mixture: weights[{i}] must be a finite number > 0, got {v!r}")
        if abs(sum(w) - 1) > 1e-6:
            raise SpecError(f"Mixture: weights must sum to 1, got {list(w)} (sum {sum(w):g})")
        object.__setattr__(self, "components", tuple(comps))
        total = float(sum(float(v) for v in w))
        object.__setattr__(self, "weights", tuple(float(v) / total for v in w))
        object.__setattr__(self, "support", comps[0].support)

    @property
    def params(self) -> dict[str, Any]:
        """Components and weights."""
        return {"components": self.components, "weights": self.weights}

    def to_pymc(self, name: str, *, dims: Any = None):
        """A ``pm.Mixture`` of the components (inside a model context)."""
        import pymc as pm

        comps = [getattr(pm, c._pymc).dist(**c.params) for c in self.components]
        return pm.Mixture(name, w=list(self.weights), comp_dists=comps, dims=dims)

    def as_dict(self) -> dict[str, Any]:
        """Spec form: ``{"dist": "mixture", "components": [...], "weights": [...]}``."""
        return {"dist": "mixture", "components": [c.as_dict() for c in self.components],
                "weights": list(self.weights)}

    def __str__(self) -> str:
        return "Mixture(" + " + ".join(f"{w:g} {c}" for w, c in zip(self.weights, self.components, strict=True)) + ")"


def robust(prior: Beta, weight: float = 0.2, *, vague: Beta | None = None) -> Mixture:
    """A robust version of an informative Beta prior: ``(1 - weight) prior + weight vague``.

    When the data conflict with the informative prior, the posterior weight moves to the vague
    component and the informative prior is discounted automatically (Schmidli et al. 2014).

    Parameters
    ----------
    prior : Beta
        The informative prior (e.g. from historical data).
    weight : float, default 0.2
        Prior weight of the vague component, in (0, 1).
    vague : Beta, default ``Beta(1, 1)``
        The vague component: uniform by default (an effective sample size of 2). RBesT's
        ``robustify`` uses ``Beta(0.5, 0.5)`` (size 1); pass it here to match.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> print(bh.robust(bh.Beta(12, 28), weight=0.2))
    Mixture(0.8 Beta(alpha=12, beta=28) + 0.2 Beta(alpha=1, beta=1))
    """
    vague = Beta(1.0, 1.0) if vague is None else vague
    for name, value in (("prior", prior), ("vague", vague)):
        if not isinstance(value, Beta):
            raise SpecError(f"robust: {name} must be a bh.Beta (a response rate), got {value!r}")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight < 1:
        raise SpecError(f"robust: weight must be a number in (0, 1), got {weight!r}")
    return Mixture([prior, vague], weights=[1 - weight, weight])


def effective_sample_size(prior: Beta | Mixture, method: Literal["moment", "elir"] = "moment") -> float:
    """Effective sample size (in patients) of a Beta or Beta-mixture prior on a response rate.

    Parameters
    ----------
    prior : Beta or Mixture of Beta
    method : {"moment", "elir"}, default "moment"
        ``"moment"``: :math:`a + b` of the Beta with the prior's mean and variance (RBesT's
        ``ess(mix, "moment")``). ``"elir"``: the expected local information ratio of Neuenschwander
        et al. (2020), RBesT's default, which is predictively consistent. Both are :math:`a + b`
        for a single ``Beta(a, b)``; see :func:`bayeshcc.conjugate.beta_mixture_ess`.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> round(bh.effective_sample_size(bh.Beta(12, 28)), 6)
    40.0
    >>> round(bh.effective_sample_size(bh.robust(bh.Beta(12, 28), weight=0.2)), 1)
    7.3
    """
    from bayeshcc.conjugate import beta_mixture_ess

    comps, weights = ((prior,), (1.0,)) if isinstance(prior, Beta) else (
        (prior.components, prior.weights) if isinstance(prior, Mixture) else ((), ()))
    if not comps or not all(isinstance(c, Beta) for c in comps):
        raise SpecError(f"prior: the effective sample size is defined here for Beta priors and Beta mixtures, got {prior}")
    return beta_mixture_ess(weights, [c.alpha for c in comps], [c.beta for c in comps], method=method)


_REGISTRY: dict[str, type[Prior]] = {
    "normal": Normal,
    "lognormal": LogNormal,
    "logistic": Logistic,
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
    if name == "mixture":
        return _mixture_from_dict(spec, field=field)
    if name == "random_walk":
        return _random_walk_from_dict(spec, field=field)
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


def _random_walk_from_dict(spec: Mapping[str, Any], *, field: str):
    """``{dist = "random_walk", scale = {dist = "halfnormal", sigma = 0.5} or 0.1, first = {dist = "normal", ...}}``."""
    from bayeshcc.models.smoothing import RandomWalk

    unknown = sorted(set(spec) - {"dist", "scale", "first"})
    if unknown:
        raise SpecError(f"{field}: unknown parameter(s) {unknown} for random_walk; expected ['first', 'scale']")
    kw: dict[str, Any] = {}
    if "scale" in spec:
        s = spec["scale"]
        kw["scale"] = s if isinstance(s, int | float) and not isinstance(s, bool) else prior_from_dict(
            s, field=f"{field}.scale")
    if "first" in spec:
        kw["first"] = prior_from_dict(spec["first"], field=f"{field}.first")
    try:
        return RandomWalk(**kw)
    except SpecError as e:
        raise SpecError(f"{field}: {e}") from None


def _mixture_from_dict(spec: Mapping[str, Any], *, field: str) -> Mixture:
    """``{dist = "mixture", components = [{dist = "beta", ...}, ...], weights = [...]}``."""
    unknown = sorted(set(spec) - {"dist", "components", "weights"})
    if unknown:
        raise SpecError(f"{field}: unknown parameter(s) {unknown} for mixture; expected ['components', 'weights']")
    comps = spec.get("components")
    if not isinstance(comps, list | tuple) or not comps:
        raise SpecError(f"{field}.components: expected a non-empty list of prior tables, got {comps!r}")
    built = [prior_from_dict(c, field=f"{field}.components[{i}]") for i, c in enumerate(comps)]
    weights = spec.get("weights")
    if isinstance(weights, list):
        weights = tuple(weights)
    try:
        return Mixture(tuple(built), weights=weights)
    except SpecError as e:
        raise SpecError(f"{field}: {e}") from None
