"""Decision rules: posterior probability and predictive probability, combined with ``&`` and ``|``.

A rule prints as what it means (``P(HR < 1 | data) > 0.975``). ``rule.evaluate(x)`` returns a
:class:`Decision` through one call, ``x.prob(quantity, direction, value, **selectors)`` (the
:class:`~bayeshcc.quantities.Posterior` protocol), whether ``x`` is a fitted
:class:`~bayeshcc.Comparison` (has the study already cleared the bar?) or, inside
:func:`~bayeshcc.simulate`, the look of many trials (one decision per trial). Quantities and
selectors are the registry's (:mod:`bayeshcc.quantities`).
"""

from __future__ import annotations

import copy
import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from bayeshcc import quantities as registry
from bayeshcc.design.decision import Decision
from bayeshcc.errors import SpecError
from bayeshcc.quantities import Direction, check_direction, interval_label

__all__ = ["AllOf", "AnyOf", "Decision", "PosteriorProbability", "PredictiveProbability", "Rule"]

_SELECTORS = ("interval", "time", "tau")


def _threshold(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise SpecError(f"{name}: expected a probability, got {value!r}")
    if not 0 < value < 1:
        raise SpecError(
            f"{name}: expected a probability strictly between 0 and 1, got {value!r} (a bar of 0 "
            "or 1 is always or never cleared: the rule would decide nothing)"
        )
    return float(value)


class Rule(ABC):
    """A decision rule; combine with ``&`` and ``|``."""

    @abstractmethod
    def evaluate(self, x: Any) -> Decision:
        """Whether ``x`` meets the rule: a :class:`Decision`.

        ``x`` is a fitted :class:`~bayeshcc.Comparison` or anything else with the posterior
        protocol's ``prob(quantity, direction, value, **selectors)`` (in ``simulate``, a look).
        """

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

        Checks the ranges that depend on the design and returns a copy that prints interval
        bounds (or ``self``); the caller's rule is not changed.
        """
        return self

    def __and__(self, other: Rule) -> AllOf:
        return AllOf(self, other)

    def __or__(self, other: Rule) -> AnyOf:
        return AnyOf(self, other)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"


class PosteriorProbability(Rule):
    """``P(quantity <direction> value | data) > threshold``.

    Parameters
    ----------
    quantity : {"hazard_ratio", "survival_difference", "rmst_difference", "risk_difference", ...}
        A registered contrast of treatment vs control (:data:`bayeshcc.quantities.QUANTITIES`).
    direction : {"<", ">"}
    value : float
        Bound on the quantity's scale (the time unit for an RMST difference).
    threshold : float
        The posterior probability that must be exceeded.
    interval : int, optional
        ``hazard_ratio`` only: the analysis interval (0-based index into the analysis model's
        ``cutpoints``) whose HR is judged, where each has its own (``effect="per_arm"``).
    time : float
        ``survival_difference`` only (required): the time at which survival is compared.
    tau : float
        ``rmst_difference`` only (required): the RMST horizon.

    Notes
    -----
    The probability is whatever ``x.prob`` says: inside the simulator the engine's posterior
    (:mod:`bayeshcc.design.engines`), for a fitted study the proportion of posterior draws.

    Examples
    --------
    >>> print(PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975))
    P(HR < 1 | data) > 0.975
    >>> print(PosteriorProbability("rmst_difference", ">", 0, threshold=0.95, tau=24))
    P(RMST_T(24) - RMST_C(24) > 0 | data) > 0.95
    >>> rule = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975, interval=2)
    >>> print(rule.bind(cutpoints=[0, 6, 12]))
    P(HR[12, inf) < 1 | data) > 0.975
    """

    def __init__(
        self,
        quantity: str,
        direction: Direction,
        value: float,
        *,
        threshold: float,
        interval: int | None = None,
        time: float | None = None,
        tau: float | None = None,
    ) -> None:
        q = registry.get(quantity, "PosteriorProbability.quantity")
        self.quantity = q.name
        self.direction = check_direction(direction, "PosteriorProbability.direction")
        self.value = q.check_value(value, "PosteriorProbability.value")
        self.threshold = _threshold("PosteriorProbability.threshold", threshold)
        given = {k: v for k, v in zip(_SELECTORS, (interval, time, tau), strict=True) if v is not None}
        for key in given:
            if key != q.selector:
                raise SpecError(
                    f"PosteriorProbability.{key}: only used with "
                    f"{' or '.join(registry.taking(key))}, not with {quantity!r}"
                )
        if q.required and q.selector not in given:
            raise SpecError(
                f"PosteriorProbability.{q.selector}: {quantity} needs {q.selector}=, e.g. "
                f"PosteriorProbability({quantity!r}, {direction!r}, {value:g}, "
                f"threshold={threshold}, {q.selector}=24)"
            )
        self.interval: int | None = None
        self.time: float | None = None
        self.tau: float | None = None
        if interval is not None:
            if isinstance(interval, bool) or not isinstance(interval, int | np.integer) or interval < 0:
                raise SpecError(
                    "PosteriorProbability.interval: expected a 0-based interval index "
                    f"(integer >= 0), got {interval!r}"
                )
            self.interval = int(interval)
        for key in ("time", "tau"):
            v = given.get(key)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
                raise SpecError(f"PosteriorProbability.{key}: expected a time, got {v!r}")
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
        return {k: getattr(self, k) for k in _SELECTORS if getattr(self, k) is not None}

    def evaluate(self, x: Any) -> Decision:
        if not callable(getattr(x, "prob", None)):
            raise SpecError(
                f"{self}: evaluate() takes a fitted Comparison (fit.compare(...)) or another "
                f"posterior with prob(), got {type(x).__name__}"
            )
        p = x.prob(self.quantity, self.direction, self.value, **self.selectors)
        met = p > self.threshold
        return Decision(str(self), bool(met) if np.ndim(met) == 0 else met, {str(self): p})

    def quantities(self) -> set[str]:
        return {self.quantity}

    def leaves(self) -> list[PosteriorProbability]:
        return [self]

    def bind(self, *, cutpoints: Sequence[float], follow_up: float = math.inf) -> Rule:
        cuts = tuple(float(c) for c in cutpoints)
        if self.interval is not None and self.interval >= len(cuts):
            labels = ", ".join(f"{k}: {interval_label(cuts, k)}" for k in range(len(cuts)))
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
        new._bounds = interval_label(cuts, self.interval)
        return new

    def __str__(self) -> str:
        label = registry.get(self.quantity).label(**self.selectors, bounds=self._bounds)
        return f"P({label} {self.direction} {self.value:g} | data) > {self.threshold:g}"


class PredictiveProbability(Rule):
    """``P(final analysis succeeds | data) <direction> threshold``, simulating the rest of the trial.

    Only inside :func:`~bayeshcc.simulate` (a fitted study has no rest of the trial to simulate).

    Parameters
    ----------
    direction : {"<", ">"}
        ``"<"`` for futility ("unlikely to succeed"), ``">"`` for early success.
    threshold : float
        Bound on the predictive probability.
    rule : Rule, optional
        The success rule at the final analysis; defaults to the design's.
    draws : int, default 200
        Posterior draws, each continuing the trial once; the Monte Carlo error of the predictive
        probability is at most :math:`0.5/\\sqrt{\\text{draws}}`.

    Notes
    -----
    For each running trial, parameters are drawn from the current posterior; patients at risk get
    residual event and dropout times from them, patients not yet enrolled full times (entry times
    and arms are those already simulated); the final analysis is cut by its own trigger and
    analysed with the same engine (Spiegelhalter, Freedman and Blackburn 1986; Saville et al.
    2014, *Clinical Trials* 11:485).

    Examples
    --------
    >>> print(PredictiveProbability("<", threshold=0.1))
    P(success at final | data) < 0.1
    """

    def __init__(
        self, direction: Direction, *, threshold: float, rule: Rule | None = None, draws: int = 200
    ) -> None:
        self.direction = check_direction(direction, "PredictiveProbability.direction")
        self.threshold = _threshold("PredictiveProbability.threshold", threshold)
        if rule is not None and (not isinstance(rule, Rule) or rule.uses_predictive()):
            raise SpecError(
                f"PredictiveProbability.rule: expected a posterior-probability rule, got {rule!r}"
            )
        self.rule = rule
        if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 2:
            raise SpecError(f"PredictiveProbability.draws: expected an integer >= 2, got {draws!r}")
        self.draws = int(draws)

    def evaluate(self, x: Any) -> Decision:
        if not callable(getattr(x, "predictive_success", None)):
            raise SpecError(
                f"{self}: predictive rules apply inside simulate (they simulate the rest of a "
                f"trial); a {type(x).__name__} has no rest of the trial to simulate"
            )
        pp = x.predictive_success(self.rule, self.draws)
        met = pp < self.threshold if self.direction == "<" else pp > self.threshold
        return Decision(str(self), met, {str(self): pp})

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
        return f"P({target} | data) {self.direction} {self.threshold:g}"


class _Combined(Rule):
    word = ""

    def __init__(self, *rules: Rule) -> None:
        flat: list[Rule] = []
        for r in rules:
            if not isinstance(r, Rule):
                raise SpecError(f"{type(self).__name__}: expected rules, got {r!r}")
            flat.extend(r.rules if type(r) is type(self) else [r])
        self.rules = tuple(flat)

    combine: Any = None  # operator.and_ or operator.or_

    def evaluate(self, x: Any) -> Decision:
        decisions = [r.evaluate(x) for r in self.rules]
        met = decisions[0].met
        for d in decisions[1:]:
            met = self.combine(met, d.met)
        probabilities = {k: v for d in decisions for k, v in d.probabilities.items()}
        return Decision(str(self), met, probabilities)

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
    combine = staticmethod(operator.and_)


class AnyOf(_Combined):
    """At least one of the rules holds (``a | b``)."""

    word = "or"
    combine = staticmethod(operator.or_)
