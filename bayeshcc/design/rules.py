"""Decision rules: posterior probability and predictive probability, combined with ``&`` and ``|``.

A rule is a small callable-like object evaluated on the posterior of every simulated trial at once.
It prints as what it means: ``PosteriorProbability("hazard_ratio", "<", 1, prob=0.975)`` prints
``P(HR < 1 | data) > 0.975``.

Quantities (treatment vs control) and the selector each takes:

``hazard_ratio``
    HR = hazard_T / hazard_C; ``interval=k`` picks the k-th analysis interval (0-based) of a
    per-arm piecewise model (``conjugate`` engine with several cutpoints), printed ``HR[a, b)``.
    Without ``interval`` it is the single (exponential or proportional-hazards) HR.
``survival_difference``
    :math:`S_T(t) - S_C(t)` at ``time=t`` months (``conjugate`` engine).
``rmst_difference``
    Restricted mean survival time difference :math:`\\int_0^\\tau [S_T(t) - S_C(t)]\\,dt` to
    ``tau`` months (``conjugate`` engine).
``risk_difference``
    Response-rate difference :math:`p_T - p_C` (response endpoint).

Which engine produces which quantity is checked before simulating
(:meth:`bayeshcc.design.engines.Engine.check`); ranges that depend on the design (``interval``
beyond the design's intervals, ``time`` or ``tau`` beyond the longest possible follow-up) are
checked when the rule is given to a :class:`~bayeshcc.design.TrialDesign`.
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.design.engines import Posterior

__all__ = ["AllOf", "AnyOf", "PosteriorProbability", "PredictiveProbability", "Rule"]

Direction = Literal["<", ">"]

#: Quantities each endpoint's engines can produce, and how they print.
QUANTITIES = {
    "survival": {
        "hazard_ratio": "HR",
        "survival_difference": "S_T - S_C",
        "rmst_difference": "RMST_T - RMST_C",
    },
    "response": {"risk_difference": "risk difference"},
}

#: The selector each quantity takes: (name, required). Quantities not listed take none.
SELECTORS = {
    "hazard_ratio": ("interval", False),
    "survival_difference": ("time", True),
    "rmst_difference": ("tau", True),
}


def quantities_for(endpoint: str) -> set[str]:
    """Names of the quantities the engines produce for ``endpoint``."""
    return set(QUANTITIES[endpoint])


def _symbol(quantity: str) -> str:
    for names in QUANTITIES.values():
        if quantity in names:
            return names[quantity]
    return quantity


def _direction(name: str, value: object) -> Direction:
    if value not in ("<", ">"):
        raise SpecError(f"{name}: expected '<' or '>', got {value!r}")
    return value  # type: ignore[return-value]


def _probability(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise SpecError(f"{name}: expected a probability, got {value!r}")
    if not 0 <= value <= 1:
        raise SpecError(f"{name}: expected a probability in [0, 1], got {value!r}")
    return float(value)


def _interval_label(cutpoints: Sequence[float], k: int) -> str:
    right = f"{cutpoints[k + 1]:g}" if k + 1 < len(cutpoints) else "inf"
    return f"[{cutpoints[k]:g}, {right})"


class LookContext(Protocol):
    """What a rule sees at one look: the posterior of each active trial, and a predictive hook."""

    posterior: Posterior

    def predictive_success(self, rule: Rule, draws: int) -> np.ndarray:
        """Probability per trial that the final analysis meets ``rule``."""


class Rule(ABC):
    """A decision rule evaluated for many trials at once; combine with ``&`` and ``|``."""

    @abstractmethod
    def evaluate(self, ctx: LookContext) -> np.ndarray:
        """Boolean array, one per trial."""

    @abstractmethod
    def quantities(self) -> set[str]:
        """Posterior quantities the rule reads."""

    def uses_predictive(self) -> bool:
        """Whether evaluating the rule simulates the rest of the trial."""
        return False

    def leaves(self) -> list[PosteriorProbability]:
        """The posterior-probability rules this rule reads (a predictive rule's own final rule too)."""
        return []

    def bind(self, *, cutpoints: Sequence[float], follow_up: float = math.inf) -> Rule:
        """This rule for a design with analysis ``cutpoints`` and longest follow-up ``follow_up``.

        Checks the design-dependent ranges (``interval``, ``time``, ``tau``) and returns a copy
        that prints interval bounds (or ``self`` when nothing depends on the design). Called by
        :class:`~bayeshcc.design.TrialDesign`; the caller's rule is not changed.
        """
        return self

    def __and__(self, other: Rule) -> AllOf:
        return AllOf(self, other)

    def __or__(self, other: Rule) -> AnyOf:
        return AnyOf(self, other)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"


class PosteriorProbability(Rule):
    """``P(quantity <direction> value | data) > prob``.

    Parameters
    ----------
    quantity : {"hazard_ratio", "survival_difference", "rmst_difference", "risk_difference"}
        Treatment vs control: hazard ratio, survival difference at ``time``, RMST difference to
        ``tau`` (survival), or response-rate difference (response); see the module docstring.
    direction : {"<", ">"}
    value : float
        Threshold on the quantity's scale (months for an RMST difference).
    prob : float
        The posterior probability that must be exceeded.
    interval : int, optional
        ``hazard_ratio`` only: the analysis interval (0-based index into the design's
        ``cutpoints``) whose hazard ratio is judged. Required with the ``conjugate`` engine and
        several cutpoints (each interval has its own HR there); not available with ``laplace``
        or ``mcmc``, whose single HR is proportional.
    time : float
        ``survival_difference`` only (required): months at which survival is compared.
    tau : float
        ``rmst_difference`` only (required): the RMST horizon in months.

    Notes
    -----
    The probability comes from the engine's posterior: exact for hazard ratios with the
    conjugate engine (a beta integral of two gamma posteriors, per interval), the normal
    approximation of the log hazard ratio with laplace, :math:`P(\\text{HR} < c) =
    \\Phi((\\log c - \\mu)/\\sigma)`, and Monte Carlo from the exact gamma posteriors for
    survival and RMST differences (standard deviation at most :math:`0.5/\\sqrt{\\text{draws}}`;
    see :class:`~bayeshcc.design.engines.ConjugateEngine`).

    Examples
    --------
    >>> print(PosteriorProbability("hazard_ratio", "<", 1, prob=0.975))
    P(HR < 1 | data) > 0.975
    >>> print(PosteriorProbability("rmst_difference", ">", 0, prob=0.95, tau=24))
    P(RMST_T(24) - RMST_C(24) > 0 | data) > 0.95
    >>> print(PosteriorProbability("survival_difference", ">", 0.1, prob=0.9, time=12))
    P(S_T(12) - S_C(12) > 0.1 | data) > 0.9
    >>> rule = PosteriorProbability("hazard_ratio", "<", 1, prob=0.975, interval=2)
    >>> print(rule)
    P(HR[interval 2] < 1 | data) > 0.975
    >>> print(rule.bind(cutpoints=[0, 6, 12]))
    P(HR[12, inf) < 1 | data) > 0.975
    """

    def __init__(
        self,
        quantity: str,
        direction: Direction,
        value: float,
        *,
        prob: float,
        interval: int | None = None,
        time: float | None = None,
        tau: float | None = None,
    ) -> None:
        known = set().union(*(set(q) for q in QUANTITIES.values()))
        if quantity not in known:
            raise SpecError(
                f"PosteriorProbability.quantity: unknown quantity {quantity!r}; expected one of {sorted(known)}"
            )
        self.quantity = quantity
        self.direction = _direction("PosteriorProbability.direction", direction)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise SpecError(f"PosteriorProbability.value: expected a number, got {value!r}")
        if not math.isfinite(value):
            raise SpecError(f"PosteriorProbability.value: expected a finite number, got {value!r}")
        if quantity == "hazard_ratio" and value <= 0:
            raise SpecError(
                f"PosteriorProbability.value: a hazard ratio threshold must be > 0, got {value}"
            )
        if quantity == "survival_difference" and not -1 < value < 1:
            raise SpecError(
                f"PosteriorProbability.value: a survival difference threshold must be in (-1, 1), got {value}"
            )
        self.value = float(value)
        self.prob = _probability("PosteriorProbability.prob", prob)
        given = {
            k: v for k, v in (("interval", interval), ("time", time), ("tau", tau)) if v is not None
        }
        name, required = SELECTORS.get(quantity, (None, False))
        for key in given:
            if key != name:
                users = [q for q, (sel, _) in SELECTORS.items() if sel == key]
                raise SpecError(
                    f"PosteriorProbability.{key}: only used with {' or '.join(users)}, not with {quantity!r}"
                )
        if required and name not in given:
            raise SpecError(
                f"PosteriorProbability.{name}: {quantity} needs {name}= (months), e.g. "
                f"PosteriorProbability({quantity!r}, {direction!r}, {value:g}, prob={prob}, {name}=24)"
            )
        self.interval: int | None = None
        self.time: float | None = None
        self.tau: float | None = None
        if interval is not None:
            if (
                isinstance(interval, bool)
                or not isinstance(interval, (int, np.integer))
                or interval < 0
            ):
                raise SpecError(
                    f"PosteriorProbability.interval: expected a 0-based interval index (integer >= 0), got {interval!r}"
                )
            self.interval = int(interval)
        for key in ("time", "tau"):
            v = given.get(key)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
                raise SpecError(
                    f"PosteriorProbability.{key}: expected a number of months, got {v!r}"
                )
            if not (math.isfinite(v) and v > 0):
                raise SpecError(f"PosteriorProbability.{key}: expected months > 0, got {v!r}")
            setattr(self, key, float(v))
        if self.tau is not None and not abs(self.value) < self.tau:
            raise SpecError(
                f"PosteriorProbability.value: an RMST difference to tau={self.tau:g} lies in "
                f"(-{self.tau:g}, {self.tau:g}), got {value}"
            )
        self._bounds: str | None = None

    @property
    def selectors(self) -> dict[str, float | int]:
        """The selector given (``{"interval": k}``, ``{"time": t}``, ``{"tau": tau}`` or ``{}``)."""
        return {
            k: getattr(self, k) for k in ("interval", "time", "tau") if getattr(self, k) is not None
        }

    def evaluate(self, ctx: LookContext) -> np.ndarray:
        p = ctx.posterior.prob(self.quantity, self.direction, self.value, **self.selectors)
        return p > self.prob

    def quantities(self) -> set[str]:
        return {self.quantity}

    def leaves(self) -> list[PosteriorProbability]:
        return [self]

    def bind(self, *, cutpoints: Sequence[float], follow_up: float = math.inf) -> Rule:
        cuts = tuple(float(c) for c in cutpoints)
        if self.interval is not None and self.interval >= len(cuts):
            labels = ", ".join(f"{k}: {_interval_label(cuts, k)}" for k in range(len(cuts)))
            raise SpecError(
                f"PosteriorProbability.interval: {self.interval} is out of range; the design's "
                f"cutpoints {list(cuts)} give {len(cuts)} interval(s) ({labels})"
            )
        for key in ("time", "tau"):
            v = getattr(self, key)
            if v is not None and v > follow_up:
                raise SpecError(
                    f"PosteriorProbability.{key}: {v:g} months is beyond what the design can "
                    f"observe; no patient is followed longer than {follow_up:g} months by the last "
                    "analysis"
                )
        if self.interval is None:
            return self
        new = copy.copy(self)
        new._bounds = _interval_label(cuts, self.interval)
        return new

    def __str__(self) -> str:
        sym = _symbol(self.quantity)
        if self.quantity == "hazard_ratio" and self.interval is not None:
            sym = f"HR{self._bounds or f'[interval {self.interval}]'}"
        elif self.quantity == "survival_difference":
            sym = f"S_T({self.time:g}) - S_C({self.time:g})"
        elif self.quantity == "rmst_difference":
            sym = f"RMST_T({self.tau:g}) - RMST_C({self.tau:g})"
        return f"P({sym} {self.direction} {self.value:g} | data) > {self.prob:g}"


class PredictiveProbability(Rule):
    """``P(final analysis succeeds | data) <direction> prob``, by simulating the rest of the trial.

    Parameters
    ----------
    direction : {"<", ">"}
        ``"<"`` for futility ("unlikely to succeed"), ``">"`` for early success.
    prob : float
        Threshold on the predictive probability.
    rule : Rule, optional
        The success rule at the final analysis; defaults to the design's.
    draws : int, default 200
        Posterior draws, each continuing the trial once; the Monte Carlo error of the predictive
        probability is at most :math:`0.5/\\sqrt{\\text{draws}}`.

    Notes
    -----
    For each trial still running, parameters are drawn from the current posterior (the engine's
    normal approximation or exact conjugate posterior); patients still at risk get residual event
    and dropout times from those parameters (memoryless within intervals), patients not yet
    enrolled get full event times; the final analysis is cut by its own trigger and analysed with
    the same engine. Entry times and arms of future patients are those already simulated; they
    carry no outcome information. See Spiegelhalter, Freedman and Blackburn (1986), and Saville
    et al. (2014) *Clinical Trials* 11:485 for predictive probabilities in adaptive trials.

    Examples
    --------
    >>> print(PredictiveProbability("<", prob=0.1))
    P(success at final | data) < 0.1
    """

    def __init__(
        self, direction: Direction, *, prob: float, rule: Rule | None = None, draws: int = 200
    ) -> None:
        self.direction = _direction("PredictiveProbability.direction", direction)
        self.prob = _probability("PredictiveProbability.prob", prob)
        if rule is not None and (not isinstance(rule, Rule) or rule.uses_predictive()):
            raise SpecError(
                f"PredictiveProbability.rule: expected a posterior-probability rule, got {rule!r}"
            )
        self.rule = rule
        if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 2:
            raise SpecError(f"PredictiveProbability.draws: expected an integer >= 2, got {draws!r}")
        self.draws = int(draws)

    def evaluate(self, ctx: LookContext) -> np.ndarray:
        pp = ctx.predictive_success(self.rule, self.draws)
        return pp < self.prob if self.direction == "<" else pp > self.prob

    def quantities(self) -> set[str]:
        return self.rule.quantities() if self.rule is not None else set()

    def uses_predictive(self) -> bool:
        return True

    def leaves(self) -> list[PosteriorProbability]:
        return self.rule.leaves() if self.rule is not None else []

    def bind(self, *, cutpoints: Sequence[float], follow_up: float = math.inf) -> Rule:
        if self.rule is None:
            return self
        bound = self.rule.bind(cutpoints=cutpoints, follow_up=follow_up)
        if bound is self.rule:
            return self
        new = copy.copy(self)
        new.rule = bound
        return new

    def __str__(self) -> str:
        target = "success at final" if self.rule is None else f"final {self.rule}"
        return f"P({target} | data) {self.direction} {self.prob:g}"


class _Combined(Rule):
    word = ""

    def __init__(self, *rules: Rule) -> None:
        flat: list[Rule] = []
        for r in rules:
            if not isinstance(r, Rule):
                raise SpecError(f"{type(self).__name__}: expected rules, got {r!r}")
            flat.extend(r.rules if type(r) is type(self) else [r])
        self.rules = tuple(flat)

    def quantities(self) -> set[str]:
        return set().union(*(r.quantities() for r in self.rules))

    def uses_predictive(self) -> bool:
        return any(r.uses_predictive() for r in self.rules)

    def leaves(self) -> list[PosteriorProbability]:
        return [leaf for r in self.rules for leaf in r.leaves()]

    def bind(self, *, cutpoints: Sequence[float], follow_up: float = math.inf) -> Rule:
        bound = tuple(r.bind(cutpoints=cutpoints, follow_up=follow_up) for r in self.rules)
        if all(b is r for b, r in zip(bound, self.rules, strict=True)):
            return self
        new = copy.copy(self)
        new.rules = bound
        return new

    def __str__(self) -> str:
        parts = [f"({r})" if isinstance(r, _Combined) else str(r) for r in self.rules]
        return f" {self.word} ".join(parts)


class AllOf(_Combined):
    """All of the rules hold (``a & b``)."""

    word = "and"

    def evaluate(self, ctx: LookContext) -> np.ndarray:
        out = self.rules[0].evaluate(ctx)
        for r in self.rules[1:]:
            out = out & r.evaluate(ctx)
        return out


class AnyOf(_Combined):
    """At least one of the rules holds (``a | b``)."""

    word = "or"

    def evaluate(self, ctx: LookContext) -> np.ndarray:
        out = self.rules[0].evaluate(ctx)
        for r in self.rules[1:]:
            out = out | r.evaluate(ctx)
        return out
