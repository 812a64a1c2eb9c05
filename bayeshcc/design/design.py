"""Trial design objects: accrual, dropout, analyses and the design itself.

Everything here is a frozen, validated value object: bad input raises :class:`~bayeshcc.errors.SpecError`
naming the field, the offending value and what was expected, before anything is simulated. Time is in
months throughout. Priors live in :mod:`bayeshcc.design.priors`, the truth in
:mod:`bayeshcc.design.scenario`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from bayeshcc.design._validate import ARMS, _cutpoints, _int, _per_arm, _positive, _vector
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
class Accrual:
    """How patients enter the trial.

    Either a Poisson process with a piecewise-constant rate (patients per month) and an optional
    linear ramp-up, or a fixed duration over which the planned patients enter uniformly.

    Parameters
    ----------
    rate : float or sequence of float, optional
        Patients per month, one value per accrual period starting at ``cutpoints``.
    cutpoints : sequence of float, default ``(0,)``
        Start of each rate period (months), beginning at 0.
    ramp_up : float, default 0
        Months over which the rate rises linearly from 0 to its full value.
    duration : float, optional
        Accrual duration (months): the planned patients enter at uniform random times in
        ``[0, duration]``. Exclusive with ``rate``.

    Notes
    -----
    With a rate :math:`\\lambda(t)` the entry times are the first ``n`` points of a Poisson process,
    :math:`t_k = \\Lambda^{-1}(\\Gamma_k)` with :math:`\\Gamma_k` the partial sums of unit
    exponentials and :math:`\\Lambda` the cumulative rate (exactly inverted: linear pieces, and
    quadratic ones during the ramp-up). With a duration the entry times are uniform order
    statistics, :math:`t_k = D\\,\\Gamma_k/\\Gamma_{n+1}`.
    """

    rate: tuple[float, ...] | None
    cutpoints: tuple[float, ...]
    ramp_up: float
    duration: float | None

    def __init__(
        self,
        rate: float | Sequence[float] | None = None,
        *,
        cutpoints: Sequence[float] = (0.0,),
        ramp_up: float = 0.0,
        duration: float | None = None,
    ) -> None:
        if (rate is None) == (duration is None):
            raise SpecError(
                f"Accrual: give exactly one of rate (patients per month) or duration (months); "
                f"got rate={rate!r}, duration={duration!r}"
            )
        if duration is not None:
            object.__setattr__(self, "duration", _positive("Accrual.duration", duration))
            object.__setattr__(self, "rate", None)
            object.__setattr__(self, "cutpoints", (0.0,))
            if ramp_up:
                raise SpecError("Accrual.ramp_up: only available with a rate, not with a duration")
            object.__setattr__(self, "ramp_up", 0.0)
            return
        cuts = _cutpoints("Accrual.cutpoints", cutpoints)
        rates = _vector("Accrual.rate", rate, allow_zero=True)
        if len(rates) != len(cuts):
            raise SpecError(
                f"Accrual.rate: expected {len(cuts)} values (one per cutpoint), got {len(rates)}"
            )
        if rates[-1] <= 0:
            raise SpecError(f"Accrual.rate: the last period's rate must be > 0, got {rates[-1]}")
        object.__setattr__(self, "rate", rates)
        object.__setattr__(self, "cutpoints", cuts)
        object.__setattr__(self, "ramp_up", _positive("Accrual.ramp_up", ramp_up, allow_zero=True))
        object.__setattr__(self, "duration", None)

    def __str__(self) -> str:
        if self.duration is not None:
            return f"uniform over {self.duration:g} months"
        parts = [f"{r:g}/month from {c:g}" for r, c in zip(self.rate, self.cutpoints, strict=True)]
        ramp = f", ramp-up {self.ramp_up:g} months" if self.ramp_up else ""
        return ", ".join(parts) + ramp

    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Breakpoints, intercept and slope of the accrual rate, linear on each segment."""
        breaks = sorted(set(self.cutpoints) | ({self.ramp_up} if self.ramp_up else set()))
        rates = np.asarray(self.rate)
        idx = np.searchsorted(self.cutpoints, breaks, side="right") - 1
        level = rates[idx]
        ramp = np.array(breaks) < self.ramp_up
        slope = np.where(ramp, level / max(self.ramp_up, 1e-300), 0.0)
        intercept = np.where(ramp, 0.0, level)
        return np.array(breaks, dtype=float), intercept, slope

    def expected_time(self, n: int) -> float:
        """Calendar time (months) by which ``n`` patients are expected to have entered."""
        if self.duration is not None:
            return self.duration
        breaks, a, b = self.segments()
        target, cum = float(n), 0.0
        for k, t0 in enumerate(breaks):
            t1 = breaks[k + 1] if k + 1 < len(breaks) else math.inf
            mass = a[k] * (t1 - t0) + (b[k] / 2 * (t1**2 - t0**2) if b[k] else 0.0)
            if cum + mass >= target:
                rest = target - cum
                if b[k] == 0:
                    return t0 + rest / a[k]
                return math.sqrt(t0**2 + 2 * rest / b[k])
            cum += mass
        raise AssertionError("unreachable: last accrual rate is positive")


@dataclass(frozen=True, init=False)
class Dropout:
    """Exponential loss to follow-up, per arm.

    Parameters
    ----------
    rate : float or mapping, optional
        Dropout hazard per month; a scalar for both arms or ``{"control": .., "treatment": ..}``.
    proportion : float or mapping, optional
        Proportion lost by month ``by`` (exclusive with ``rate``).
    by : float, optional
        The time (months) at which ``proportion`` applies, e.g. ``by=12`` for "5% per year".

    Notes
    -----
    ``rate = -log(1 - proportion) / by``: dropout time :math:`D \\sim \\mathrm{Exp}(\\text{rate})`,
    independent of the event time (non-informative censoring).
    """

    rate: tuple[float, float]

    def __init__(
        self,
        rate: float | Mapping[str, float] | None = None,
        *,
        proportion: float | Mapping[str, float] | None = None,
        by: float | None = None,
    ) -> None:
        if (rate is None) == (proportion is None):
            raise SpecError(
                f"Dropout: give exactly one of rate or proportion (with by); "
                f"got rate={rate!r}, proportion={proportion!r}"
            )
        if rate is not None:
            if by is not None:
                raise SpecError(f"Dropout.by: only used with proportion, got by={by!r}")
            object.__setattr__(self, "rate", _per_arm("Dropout.rate", rate))
            return
        if by is None:
            raise SpecError("Dropout.by: required with proportion (the month it applies at)")
        by = _positive("Dropout.by", by)
        props = _per_arm("Dropout.proportion", proportion)
        for arm, p in zip(ARMS, props, strict=True):
            if p >= 1:
                raise SpecError(f"Dropout.proportion['{arm}']: expected a value in [0, 1), got {p}")
        object.__setattr__(self, "rate", tuple(-math.log1p(-p) / by for p in props))

    def __str__(self) -> str:
        c, t = self.rate
        return f"exponential, rate {c:.4g}/month" + ("" if c == t else f" (treatment {t:.4g})")


@dataclass(frozen=True, init=False)
class Analysis:
    """One look at the data: interim or final.

    Parameters
    ----------
    events : int, optional
        Triggered when this many events (both arms) have been observed.
    months : float, optional
        Triggered at this calendar time since the first patient entered.
    patients : int, optional
        Triggered ``min_follow_up`` months after this many patients have entered.
    min_follow_up : float, default 0
        With ``patients``: follow-up after the last of them entered. With ``events``: the look is
        not before every planned patient has this much follow-up (SAS SEQDESIGN's minimum
        follow-up). For the response endpoint, a patient is evaluable ``min_follow_up`` months
        after entry.

    Notes
    -----
    When the event target is never reached in a simulated trial (dropout, cure), the look happens
    once every patient's outcome is known.
    """

    events: int | None
    months: float | None
    patients: int | None
    min_follow_up: float

    def __init__(
        self,
        *,
        events: int | None = None,
        months: float | None = None,
        patients: int | None = None,
        min_follow_up: float = 0.0,
    ) -> None:
        given = [
            k
            for k, v in (("events", events), ("months", months), ("patients", patients))
            if v is not None
        ]
        if len(given) != 1:
            raise SpecError(
                f"Analysis: give exactly one trigger of events, months or patients; got {given or 'none'}"
            )
        object.__setattr__(
            self, "events", None if events is None else _int("Analysis.events", events)
        )
        object.__setattr__(
            self, "months", None if months is None else _positive("Analysis.months", months)
        )
        object.__setattr__(
            self, "patients", None if patients is None else _int("Analysis.patients", patients)
        )
        fu = _positive("Analysis.min_follow_up", min_follow_up, allow_zero=True)
        if months is not None and fu:
            raise SpecError(
                "Analysis.min_follow_up: not used with a calendar-time (months) trigger"
            )
        object.__setattr__(self, "min_follow_up", fu)

    @property
    def trigger(self) -> Literal["events", "months", "patients"]:
        """Which quantity triggers the look."""
        if self.events is not None:
            return "events"
        return "months" if self.months is not None else "patients"

    @property
    def target(self) -> float:
        """The trigger's value."""
        return float(getattr(self, self.trigger))

    def __str__(self) -> str:
        fu = f" + {self.min_follow_up:g} months follow-up" if self.min_follow_up else ""
        what = {"events": "{:g} events", "months": "month {:g}", "patients": "{:g} patients"}
        return what[self.trigger].format(self.target) + fu


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
        None means no loss to follow-up. Survival endpoint only: response is assumed assessed in
        every enrolled patient.
    analyses : sequence of Analysis
        Looks in order; the last is the final analysis.
    success : Rule or sequence of (Rule or None)
        Success rule at every look, or one per look (None: no stopping for success there).
    futility : Rule or sequence of (Rule or None), optional
        Futility rule at the interim looks. At the final look a trial that does not meet the
        success rule is counted as futility.
    prior : SurvivalPrior or ResponsePrior, optional
        Defaults to the vague :class:`SurvivalPrior` or uniform :class:`ResponsePrior`.
    endpoint : {"survival", "response"}
    cutpoints : sequence of float, default ``(0,)``
        Baseline intervals of the analysis model (``laplace``, ``mcmc``); ``(0,)`` is exponential.
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
            return rules

        success_rules = per_look("success", success)
        if success_rules[-1] is None:
            raise SpecError("TrialDesign.success: the final analysis needs a success rule")
        futility_rules = per_look(
            "futility",
            futility if not isinstance(futility, Rule) else (futility,) * (k - 1) + (None,),
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
