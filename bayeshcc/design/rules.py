"""Decision rules: posterior probability and predictive probability, combined with ``&`` and ``|``.

A rule is a small callable-like object evaluated on the posterior of every simulated trial at once.
It prints as what it means: ``PosteriorProbability("hazard_ratio", "<", 1, prob=0.975)`` prints
``P(HR < 1 | data) > 0.975``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.design.engines import Posterior

__all__ = ["AllOf", "AnyOf", "PosteriorProbability", "PredictiveProbability", "Rule"]

Direction = Literal["<", ">"]

#: Quantities each endpoint's engines produce, and how they print.
QUANTITIES = {
    "survival": {"hazard_ratio": "HR"},
    "response": {"risk_difference": "risk difference"},
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
    quantity : {"hazard_ratio", "risk_difference"}
        Hazard ratio treatment/control (survival) or response-rate difference treatment - control.
    direction : {"<", ">"}
    value : float
        Threshold on the quantity's scale.
    prob : float
        The posterior probability that must be exceeded.

    Notes
    -----
    The probability comes from the engine's posterior: exact (conjugate) or the normal
    approximation of the log hazard ratio (laplace), :math:`P(\\text{HR} < c) =
    \\Phi((\\log c - \\mu)/\\sigma)`.

    Examples
    --------
    >>> print(PosteriorProbability("hazard_ratio", "<", 1, prob=0.975))
    P(HR < 1 | data) > 0.975
    """

    def __init__(self, quantity: str, direction: Direction, value: float, *, prob: float) -> None:
        known = set().union(*(set(q) for q in QUANTITIES.values()))
        if quantity not in known:
            raise SpecError(
                f"PosteriorProbability.quantity: unknown quantity {quantity!r}; expected one of {sorted(known)}"
            )
        self.quantity = quantity
        self.direction = _direction("PosteriorProbability.direction", direction)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise SpecError(f"PosteriorProbability.value: expected a number, got {value!r}")
        if quantity == "hazard_ratio" and value <= 0:
            raise SpecError(
                f"PosteriorProbability.value: a hazard ratio threshold must be > 0, got {value}"
            )
        self.value = float(value)
        self.prob = _probability("PosteriorProbability.prob", prob)

    def evaluate(self, ctx: LookContext) -> np.ndarray:
        return ctx.posterior.prob(self.quantity, self.direction, self.value) > self.prob

    def quantities(self) -> set[str]:
        return {self.quantity}

    def __str__(self) -> str:
        return f"P({_symbol(self.quantity)} {self.direction} {self.value:g} | data) > {self.prob:g}"


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
