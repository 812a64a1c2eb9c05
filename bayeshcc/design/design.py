"""The trial design: arms, sample size, accrual, dropout, analyses, decision rules and priors.

Everything here is a frozen, validated value object: bad input raises :class:`~bayeshcc.errors.SpecError`
naming the field, the offending value and what was expected, before anything is simulated. Time is in
months throughout. Accrual, dropout and analyses live in :mod:`bayeshcc.design.conduct`, priors in
:mod:`bayeshcc.design.priors`, the truth in :mod:`bayeshcc.design.scenario`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bayeshcc.design._validate import _cutpoints, _int
from bayeshcc.design.conduct import Accrual, Analysis, Dropout, follow_up_limit
from bayeshcc.design.priors import ResponsePrior, SurvivalPrior
from bayeshcc.design.scenario import Scenario
from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.design.rules import Rule

__all__ = [
    "Accrual",
    "Analysis",
    "Dropout",
    "ResponsePrior",
    "Scenario",
    "SurvivalPrior",
    "TrialDesign",
]


@dataclass(frozen=True, init=False)
class TrialDesign:
    """A two-arm randomized trial with interim and final Bayesian decisions.

    Parameters
    ----------
    control, treatment : str
        Arm names.
    allocation : (control, treatment), default (1, 1)
        Randomization ratio, positive integers.
    n_patients : int
        Planned sample size.
    accrual : Accrual
    dropout : Dropout, optional
        None means no loss to follow-up. Survival endpoint only (SpecError with ``"response"``):
        response is assumed assessed in every enrolled patient.
    analyses : sequence of Analysis
        Looks in order; the last is the final analysis.
    success : Rule or sequence of (Rule or None)
        Success rule at every look, or one per look (None: no stopping for success there).
    futility : Rule or sequence of (Rule or None), optional
        Futility rule at the interim looks (a list's last entry must be None: SpecError
        otherwise). At the final look a trial that does not meet the
        success rule is counted as futility.
    prior : SurvivalPrior or ResponsePrior, optional
        Defaults to the vague :class:`SurvivalPrior` or uniform :class:`ResponsePrior`.
    endpoint : {"survival", "response"}
    cutpoints : sequence of float, default ``(0,)``
        Intervals of the analysis model: the baseline hazard's (``laplace``, ``mcmc``) or each
        arm's own hazards (``conjugate``); ``(0,)`` is exponential.
    randomization : {"blocked", "simple"}
        Permuted blocks of size ``sum(allocation)``, or independent assignment.

    Notes
    -----
    If a look meets both the success and the futility rule, success is taken.
    """

    control: str
    treatment: str
    allocation: tuple[int, int]
    n_patients: int
    accrual: Accrual
    dropout: Dropout | None
    analyses: tuple[Analysis, ...]
    success: tuple[Rule | None, ...]
    futility: tuple[Rule | None, ...]
    prior: SurvivalPrior | ResponsePrior
    endpoint: Literal["survival", "response"]
    cutpoints: tuple[float, ...]
    randomization: Literal["blocked", "simple"]

    def __init__(
        self,
        *,
        control: str,
        treatment: str,
        allocation: tuple[int, int] = (1, 1),
        n_patients: int,
        accrual: Accrual,
        dropout: Dropout | None = None,
        analyses: Sequence[Analysis],
        success: Rule | Sequence[Rule | None],
        futility: Rule | Sequence[Rule | None] | None = None,
        prior: SurvivalPrior | ResponsePrior | None = None,
        endpoint: Literal["survival", "response"] = "survival",
        cutpoints: Sequence[float] = (0.0,),
        randomization: Literal["blocked", "simple"] = "blocked",
    ) -> None:
        from bayeshcc.design.rules import Rule, quantities_for

        s = object.__setattr__
        for name, value in (("control", control), ("treatment", treatment)):
            if not isinstance(value, str) or not value:
                raise SpecError(f"TrialDesign.{name}: expected a non-empty arm name, got {value!r}")
        if control == treatment:
            raise SpecError(
                f"TrialDesign.treatment: must differ from control, both are {control!r}"
            )
        s(self, "control", control)
        s(self, "treatment", treatment)
        if endpoint not in ("survival", "response"):
            raise SpecError(
                f"TrialDesign.endpoint: expected 'survival' or 'response', got {endpoint!r}"
            )
        s(self, "endpoint", endpoint)
        if randomization not in ("blocked", "simple"):
            raise SpecError(
                f"TrialDesign.randomization: expected 'blocked' or 'simple', got {randomization!r}"
            )
        s(self, "randomization", randomization)
        if not isinstance(allocation, (tuple, list)) or len(allocation) != 2:
            raise SpecError(
                f"TrialDesign.allocation: expected (control, treatment), got {allocation!r}"
            )
        s(
            self,
            "allocation",
            tuple(_int(f"TrialDesign.allocation[{i}]", a) for i, a in enumerate(allocation)),
        )
        n = _int("TrialDesign.n_patients", n_patients, minimum=2)
        s(self, "n_patients", n)
        if not isinstance(accrual, Accrual):
            raise SpecError(
                f"TrialDesign.accrual: expected an Accrual, got {type(accrual).__name__}"
            )
        s(self, "accrual", accrual)
        if dropout is not None and not isinstance(dropout, Dropout):
            raise SpecError(
                f"TrialDesign.dropout: expected a Dropout or None, got {type(dropout).__name__}"
            )
        if dropout is not None and endpoint == "response":
            raise SpecError(
                "TrialDesign.dropout: the response endpoint assumes every enrolled patient is "
                f"assessed; dropout {dropout} would be ignored. Leave dropout=None (or inflate "
                "n_patients for non-evaluable patients)"
            )
        s(self, "dropout", dropout)
        s(self, "cutpoints", _cutpoints("TrialDesign.cutpoints", cutpoints))

        analyses = tuple(analyses) if isinstance(analyses, (list, tuple)) else analyses
        if not isinstance(analyses, tuple) or not analyses:
            raise SpecError(
                f"TrialDesign.analyses: expected a non-empty list of Analysis, got {analyses!r}"
            )
        for i, a in enumerate(analyses):
            if not isinstance(a, Analysis):
                raise SpecError(
                    f"TrialDesign.analyses[{i}]: expected an Analysis, got {type(a).__name__}"
                )
            if a.events is not None and a.events > n:
                raise SpecError(
                    f"TrialDesign.analyses[{i}].events: {a.events} events cannot be reached with "
                    f"n_patients={n}; expected at most {n}"
                )
            if a.patients is not None and a.patients > n:
                raise SpecError(
                    f"TrialDesign.analyses[{i}].patients: {a.patients} exceeds n_patients={n}"
                )
            if endpoint == "response" and a.events is not None:
                raise SpecError(
                    f"TrialDesign.analyses[{i}].events: the response endpoint has no events; "
                    "trigger on patients or months"
                )
        for trig in ("events", "months", "patients"):
            seq = [(i, a.target) for i, a in enumerate(analyses) if a.trigger == trig]
            for (_, prev), (i, cur) in zip(seq[:-1], seq[1:], strict=False):
                if cur <= prev:
                    raise SpecError(
                        f"TrialDesign.analyses[{i}].{trig}: analyses out of order, {cur:g} after "
                        f"{prev:g}; expected increasing"
                    )
        s(self, "analyses", analyses)

        k = len(analyses)
        allowed = quantities_for(endpoint)

        def per_look(name: str, value: object) -> tuple[Rule | None, ...]:
            if value is None:
                rules: tuple = (None,) * k
            elif isinstance(value, Rule):
                rules = (value,) * k
            elif isinstance(value, (list, tuple)):
                if len(value) != k:
                    raise SpecError(
                        f"TrialDesign.{name}: expected one rule (or None) per analysis, {k}, got {len(value)}"
                    )
                rules = tuple(value)
            else:
                raise SpecError(
                    f"TrialDesign.{name}: expected a Rule or a list of rules, got {value!r}"
                )
            for i, r in enumerate(rules):
                if r is None:
                    continue
                if not isinstance(r, Rule):
                    raise SpecError(f"TrialDesign.{name}[{i}]: expected a Rule or None, got {r!r}")
                bad = r.quantities() - allowed
                if bad:
                    raise SpecError(
                        f"TrialDesign.{name}[{i}]: rule {r} uses {sorted(bad)}, which the "
                        f"{endpoint} endpoint does not produce; expected one of {sorted(allowed)}"
                    )
                if r.uses_predictive() and i == k - 1:
                    raise SpecError(
                        f"TrialDesign.{name}[{i}]: a predictive-probability rule needs a later "
                        "analysis to predict; it cannot be used at the final analysis"
                    )
            return tuple(_bind(f"TrialDesign.{name}[{i}]", r) for i, r in enumerate(rules))

        follow_up = follow_up_limit(accrual, analyses)

        def _bind(path: str, rule: Rule | None) -> Rule | None:
            # Interval bounds for printing, and ranges that depend on the design.
            if rule is None:
                return None
            try:
                return rule.bind(cutpoints=self.cutpoints, follow_up=follow_up)
            except SpecError as err:
                raise SpecError(f"{path}: {err}") from None

        success_rules = per_look("success", success)
        if success_rules[-1] is None:
            raise SpecError("TrialDesign.success: the final analysis needs a success rule")
        futility_rules = per_look(
            "futility",
            futility if not isinstance(futility, Rule) else (futility,) * (k - 1) + (None,),
        )
        if futility_rules[-1] is not None:
            raise SpecError(
                f"TrialDesign.futility[{k - 1}]: the final analysis takes no futility rule (a trial "
                "that does not meet the final success rule already counts as futility); use None"
            )
        s(self, "success", success_rules)
        s(self, "futility", futility_rules)

        if prior is None:
            prior = SurvivalPrior() if endpoint == "survival" else ResponsePrior()
        expected = SurvivalPrior if endpoint == "survival" else ResponsePrior
        if not isinstance(prior, expected):
            raise SpecError(
                f"TrialDesign.prior: the {endpoint} endpoint needs a {expected.__name__}, "
                f"got {type(prior).__name__}"
            )
        s(self, "prior", prior)

    @property
    def p_treatment(self) -> float:
        """Probability that a patient is randomized to treatment."""
        c, t = self.allocation
        return t / (c + t)

    def __str__(self) -> str:
        lines = [
            f"TrialDesign: {self.treatment} vs {self.control} ({self.endpoint}), "
            f"allocation {self.allocation[1]}:{self.allocation[0]}, {self.n_patients} patients",
            f"  accrual: {self.accrual}",
            f"  dropout: {self.dropout or 'none'}",
        ]
        for i, a in enumerate(self.analyses):
            kind = "final" if i == len(self.analyses) - 1 else "interim"
            rules = [f"success if {self.success[i]}"] if self.success[i] is not None else []
            if self.futility[i] is not None and i < len(self.analyses) - 1:
                rules.append(f"futility if {self.futility[i]}")
            lines.append(f"  analysis {i + 1} ({kind}) at {a}: " + "; ".join(rules))
        return "\n".join(lines)
