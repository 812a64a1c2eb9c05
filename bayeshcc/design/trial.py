"""The trial design: arms, sample size, accrual, dropout, analyses, decision rules and analysis model.

A frozen, validated value object: bad input raises :class:`~bayeshcc.errors.SpecError` naming the
field, the offending value and what was expected, before anything is simulated. Time is in months
throughout. Accrual, dropout and analyses live in :mod:`bayeshcc.design.conduct`, the truth in
:mod:`bayeshcc.design.scenario`, the per-endpoint rules in :mod:`bayeshcc.design.endpoints`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bayeshcc.design._validate import _int
from bayeshcc.design.conduct import Accrual, Analysis, Dropout, follow_up_limit
from bayeshcc.design.endpoints import Endpoint, endpoint_for
from bayeshcc.design.rules import Rule
from bayeshcc.errors import SpecError
from bayeshcc.models.base import ExactModel, Model
from bayeshcc.models.piecewise_exponential import PiecewiseExponential
from bayeshcc.models.priors import LogNormal, Normal

__all__ = ["DEFAULT_ANALYSIS", "SLOW_ACCRUAL_MONTHS", "TrialDesign"]

#: The analysis model when none is given: exponential proportional hazards with vague priors
#: (log hazard ratio Normal(0, 10), the arms' mean log hazard per month Normal(log 0.05, 10)).
DEFAULT_ANALYSIS = PiecewiseExponential(
    cutpoints=[0.0],
    effect="proportional",
    baseline_prior=LogNormal(mu=math.log(0.05), sigma=10.0),
    log_hr_prior=Normal(mu=0.0, sigma=10.0),
)


#: Expected accrual time (months) beyond which a design draws a warning: 10 years of enrolment is
#: rarely a plan, and more often a rate given per year instead of per month.
SLOW_ACCRUAL_MONTHS = 120.0


def _warn_slow_accrual(accrual: Accrual, n: int) -> None:
    t = accrual.expected_time(n)
    if t > SLOW_ACCRUAL_MONTHS:
        warnings.warn(
            f"TrialDesign.accrual: {n} patients at {accrual} take {t:,.0f} months ({t / 12:.0f} years) "
            f"to enter on average, beyond the sanity bound of {SLOW_ACCRUAL_MONTHS:g} months; accrual "
            "rates are patients per month",
            UserWarning,
            stacklevel=3,
        )


#: Largest ``n_patients``: every simulated trial holds its patients in memory.
MAX_PATIENTS = 1_000_000

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
        None means no loss to follow-up. Survival endpoint only (SpecError with a response
        analysis): response is assumed assessed in every enrolled patient.
    analyses : sequence of Analysis
        Looks in order; the last is the final analysis.
    success : Rule or sequence of (Rule or None)
        Success rule at every look, or one per look (None: no stopping for success there).
    futility : Rule or sequence of (Rule or None), optional
        Futility rule at the interim looks (a list's last entry must be None: SpecError
        otherwise). At the final look a trial that does not meet the success rule is counted as
        futility.
    analysis : PiecewiseExponential or BinomialResponse, optional
        The model each look is analysed with; its ``endpoint`` is the trial's (survival or
        response) and, for survival, its ``cutpoints`` are the analysis intervals. Its ``control``,
        if set, must be this design's. Default :data:`DEFAULT_ANALYSIS`:
        ``PiecewiseExponential(cutpoints=[0], effect="proportional", baseline_prior=LogNormal(log
        0.05, 10), log_hr_prior=Normal(0, 10))``, an exponential model whose vague priors carry
        the information of about 0.04 events on the log hazard ratio. Which engine computes which
        model: :mod:`bayeshcc.design.engines`.
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
    analysis: Model | ExactModel
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
        analysis: Model | ExactModel | None = None,
        randomization: Literal["blocked", "simple"] = "blocked",
    ) -> None:
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
        analysis = DEFAULT_ANALYSIS if analysis is None else analysis
        endpoint = endpoint_for(analysis, "TrialDesign.analysis")
        if analysis.control is not None and analysis.control != control:
            raise SpecError(
                f"TrialDesign.analysis.control: {analysis.control!r} is not the design's control "
                f"arm {control!r}; leave it unset or make them equal"
            )
        s(self, "analysis", analysis)
        if randomization not in ("blocked", "simple"):
            raise SpecError(
                f"TrialDesign.randomization: expected 'blocked' or 'simple', got {randomization!r}"
            )
        s(self, "randomization", randomization)
        if not isinstance(allocation, tuple | list) or len(allocation) != 2:
            raise SpecError(
                f"TrialDesign.allocation: expected (control, treatment), got {allocation!r}"
            )
        s(
            self,
            "allocation",
            tuple(_int(f"TrialDesign.allocation[{i}]", a) for i, a in enumerate(allocation)),
        )
        n = _int("TrialDesign.n_patients", n_patients, minimum=2)
        if n > MAX_PATIENTS:
            raise SpecError(
                f"TrialDesign.n_patients: {n:,} exceeds the limit of {MAX_PATIENTS:,} patients per trial"
            )
        s(self, "n_patients", n)
        _check_both_arms(self.allocation, n, self.randomization)
        if not isinstance(accrual, Accrual):
            raise SpecError(
                f"TrialDesign.accrual: expected an Accrual, got {type(accrual).__name__}"
            )
        s(self, "accrual", accrual)
        _warn_slow_accrual(accrual, n)
        if dropout is not None and not isinstance(dropout, Dropout):
            raise SpecError(
                f"TrialDesign.dropout: expected a Dropout or None, got {type(dropout).__name__}"
            )
        s(self, "dropout", dropout)
        s(self, "analyses", _check_analyses(analyses, n))
        endpoint.check_design(analysis=analysis, dropout=dropout, analyses=self.analyses)

        k = len(self.analyses)
        follow_up = follow_up_limit(accrual, self.analyses)
        cutpoints = endpoint.cutpoints(analysis)
        success_rules = _per_look("success", success, k, endpoint, cutpoints, follow_up)
        if success_rules[-1] is None:
            raise SpecError("TrialDesign.success: the final analysis needs a success rule")
        if isinstance(futility, Rule):
            futility = (futility,) * (k - 1) + (None,)
        futility_rules = _per_look("futility", futility, k, endpoint, cutpoints, follow_up)
        if futility_rules[-1] is not None:
            raise SpecError(
                f"TrialDesign.futility[{k - 1}]: the final analysis takes no futility rule (a trial "
                "that does not meet the final success rule already counts as futility); use None"
            )
        for i, (win, lose) in enumerate(zip(success_rules, futility_rules, strict=True)):
            if win is not None and lose is not None and str(win) == str(lose):
                raise SpecError(
                    f"TrialDesign.futility[{i}]: the same rule as success[{i}] ({win}); success is "
                    "checked first, so this futility rule could never stop a trial"
                )
        s(self, "success", success_rules)
        s(self, "futility", futility_rules)

    @property
    def endpoint(self) -> Endpoint:
        """The endpoint of the analysis model (``str(design.endpoint)`` is its name)."""
        return endpoint_for(self.analysis)

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
            f"  analysis model: {self.analysis!r}",
        ]
        for i, a in enumerate(self.analyses):
            kind = "final" if i == len(self.analyses) - 1 else "interim"
            rules = [f"success if {self.success[i]}"] if self.success[i] is not None else []
            if self.futility[i] is not None and i < len(self.analyses) - 1:
                rules.append(f"futility if {self.futility[i]}")
            lines.append(f"  analysis {i + 1} ({kind}) at {a}: " + "; ".join(rules))
        return "\n".join(lines)


def _check_analyses(analyses: object, n: int) -> tuple[Analysis, ...]:
    analyses = tuple(analyses) if isinstance(analyses, list | tuple) else analyses
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
    for trig in ("events", "months", "patients"):
        seq = [(i, a.target) for i, a in enumerate(analyses) if a.trigger == trig]
        for (_, prev), (i, cur) in zip(seq[:-1], seq[1:], strict=False):
            if cur <= prev:
                raise SpecError(
                    f"TrialDesign.analyses[{i}].{trig}: analyses out of order, {cur:g} after "
                    f"{prev:g}; expected increasing"
                )
    return analyses


def _per_look(
    name: str,
    value: object,
    k: int,
    endpoint: Endpoint,
    cutpoints: tuple[float, ...],
    follow_up: float,
) -> tuple[Rule | None, ...]:
    """One rule (or None) per look, checked against the endpoint and bound to the design."""
    if value is None:
        rules: tuple = (None,) * k
    elif isinstance(value, Rule):
        rules = (value,) * k
    elif isinstance(value, list | tuple):
        if len(value) != k:
            raise SpecError(
                f"TrialDesign.{name}: expected one rule (or None) per analysis, {k}, "
                f"got {len(value)}"
            )
        rules = tuple(value)
    else:
        raise SpecError(f"TrialDesign.{name}: expected a Rule or a list of rules, got {value!r}")
    allowed = endpoint.quantities
    bound: list[Rule | None] = []
    for i, r in enumerate(rules):
        if r is None:
            bound.append(None)
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
        try:
            # Interval bounds for printing, and ranges that depend on the design.
            bound.append(r.bind(cutpoints=cutpoints, follow_up=follow_up))
        except SpecError as err:
            raise SpecError(f"TrialDesign.{name}[{i}]: {err}") from None
    return tuple(bound)


#: Largest accepted chance that simple randomization leaves an arm without a patient.
_EMPTY_ARM_TOLERANCE = 1e-6


def _check_both_arms(allocation: tuple[int, int], n: int, randomization: str) -> None:
    """SpecError if the allocation can leave an arm of an ``n``-patient trial without a patient."""
    c, t = allocation
    size = c + t
    if randomization == "blocked":
        # full blocks hold c and t; the last, partial block may hold only the other arm
        fewest = {"control": (n // size) * c + max(0, n % size - t),
                  "treatment": (n // size) * t + max(0, n % size - c)}
        empty = [arm for arm, k in fewest.items() if k < 1]
        if empty:
            raise SpecError(
                f"TrialDesign.allocation: {t}:{c} (treatment:control) in blocks of {size} with "
                f"n_patients={n} can leave the {empty[0]} arm without a patient; enlarge n_patients "
                "or change the allocation"
            )
        return
    p_empty = (t / size) ** n + (c / size) ** n
    if p_empty > _EMPTY_ARM_TOLERANCE:
        raise SpecError(
            f"TrialDesign.allocation: with simple randomization, {t}:{c} and n_patients={n}, a trial "
            f"has no patient in one arm with probability {p_empty:.2g} (accepted: at most "
            f"{_EMPTY_ARM_TOLERANCE:g}); enlarge n_patients or use blocked randomization"
        )

