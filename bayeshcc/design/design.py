"""Trial design objects: accrual, dropout, analyses, priors, the design itself and the true scenario.

Everything here is a frozen, validated value object: bad input raises :class:`~bayeshcc.errors.SpecError`
naming the field, the offending value and what was expected, before anything is simulated. Time is in
months throughout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

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

ARMS = ("control", "treatment")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(f"{name}: expected a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise SpecError(f"{name}: expected a finite number, got {value!r}")
    return value


def _positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    value = _number(name, value)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise SpecError(f"{name}: expected a number {bound}, got {value!r}")
    return value


def _int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SpecError(f"{name}: expected an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise SpecError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _vector(name: str, value: object, *, allow_zero: bool = True) -> tuple[float, ...]:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (Sequence, np.ndarray)):
        raise SpecError(f"{name}: expected a number or a sequence of numbers, got {value!r}")
    if len(value) == 0:
        raise SpecError(f"{name}: expected at least one value, got an empty sequence")
    return tuple(_positive(f"{name}[{i}]", v, allow_zero=allow_zero) for i, v in enumerate(value))


def _cutpoints(name: str, value: object) -> tuple[float, ...]:
    cuts = _vector(name, value, allow_zero=True)
    if cuts[0] != 0:
        raise SpecError(f"{name}: expected the first cutpoint to be 0, got {cuts[0]!r}")
    if any(b <= a for a, b in zip(cuts[:-1], cuts[1:], strict=False)):
        raise SpecError(f"{name}: expected strictly increasing cutpoints, got {list(cuts)}")
    return cuts


def _per_arm(name: str, value: object, *, allow_zero: bool = True) -> tuple[float, float]:
    """A scalar (same in both arms) or a mapping ``{"control": x, "treatment": y}``."""
    if isinstance(value, Mapping):
        unknown = set(value) - set(ARMS)
        missing = set(ARMS) - set(value)
        if unknown or missing:
            raise SpecError(
                f"{name}: expected keys 'control' and 'treatment', got {sorted(map(str, value))}"
            )
        return tuple(_positive(f"{name}['{a}']", value[a], allow_zero=allow_zero) for a in ARMS)
    v = _positive(name, value, allow_zero=allow_zero)
    return (v, v)


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
        given = [k for k, v in (("events", events), ("months", months), ("patients", patients)) if v is not None]
        if len(given) != 1:
            raise SpecError(
                f"Analysis: give exactly one trigger of events, months or patients; got {given or 'none'}"
            )
        object.__setattr__(self, "events", None if events is None else _int("Analysis.events", events))
        object.__setattr__(self, "months", None if months is None else _positive("Analysis.months", months))
        object.__setattr__(
            self, "patients", None if patients is None else _int("Analysis.patients", patients)
        )
        fu = _positive("Analysis.min_follow_up", min_follow_up, allow_zero=True)
        if months is not None and fu:
            raise SpecError("Analysis.min_follow_up: not used with a calendar-time (months) trigger")
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


@dataclass(frozen=True)
class SurvivalPrior:
    """Priors of the survival analysis model used for the in-simulation posteriors.

    Parameters
    ----------
    log_hr : (mean, sd), default (0, 10)
        Normal prior on the log hazard ratio (treatment vs control); ``laplace`` and ``mcmc``.
    log_hazard : (mean, sd), default (log 0.05, 10)
        Normal prior on each baseline (control) log hazard per month; ``laplace``.
    hazard : (shape, rate), default (0.001, 0.001)
        Gamma prior on each arm's hazard per month; ``conjugate``.

    Notes
    -----
    The defaults are vague: with sd 10 on the log scale the prior carries the information of
    about :math:`4/10^2 = 0.04` events on the log hazard ratio, so the posterior is the likelihood.
    """

    log_hr: tuple[float, float] = (0.0, 10.0)
    log_hazard: tuple[float, float] = (math.log(0.05), 10.0)
    hazard: tuple[float, float] = (0.001, 0.001)

    def __post_init__(self) -> None:
        for name in ("log_hr", "log_hazard", "hazard"):
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise SpecError(f"SurvivalPrior.{name}: expected a pair of numbers, got {value!r}")
            _number(f"SurvivalPrior.{name}[0]", value[0])
            _positive(f"SurvivalPrior.{name}[1]", value[1])
            object.__setattr__(self, name, (float(value[0]), float(value[1])))
        _positive("SurvivalPrior.hazard[0]", self.hazard[0])


@dataclass(frozen=True)
class ResponsePrior:
    """Beta priors on the response rate of each arm (``(a, b)``, default uniform ``(1, 1)``)."""

    control: tuple[float, float] = (1.0, 1.0)
    treatment: tuple[float, float] = (1.0, 1.0)

    def __post_init__(self) -> None:
        for name in ARMS:
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise SpecError(f"ResponsePrior.{name}: expected a pair (a, b), got {value!r}")
            object.__setattr__(
                self, name, tuple(_positive(f"ResponsePrior.{name}[{i}]", v) for i, v in enumerate(value))
            )


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
        None means no loss to follow-up.
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
            raise SpecError(f"TrialDesign.treatment: must differ from control, both are {control!r}")
        s(self, "control", control)
        s(self, "treatment", treatment)
        if endpoint not in ("survival", "response"):
            raise SpecError(f"TrialDesign.endpoint: expected 'survival' or 'response', got {endpoint!r}")
        s(self, "endpoint", endpoint)
        if randomization not in ("blocked", "simple"):
            raise SpecError(
                f"TrialDesign.randomization: expected 'blocked' or 'simple', got {randomization!r}"
            )
        s(self, "randomization", randomization)
        if not isinstance(allocation, (tuple, list)) or len(allocation) != 2:
            raise SpecError(f"TrialDesign.allocation: expected (control, treatment), got {allocation!r}")
        s(self, "allocation", tuple(_int(f"TrialDesign.allocation[{i}]", a) for i, a in enumerate(allocation)))
        n = _int("TrialDesign.n_patients", n_patients, minimum=2)
        s(self, "n_patients", n)
        if not isinstance(accrual, Accrual):
            raise SpecError(f"TrialDesign.accrual: expected an Accrual, got {type(accrual).__name__}")
        s(self, "accrual", accrual)
        if dropout is not None and not isinstance(dropout, Dropout):
            raise SpecError(f"TrialDesign.dropout: expected a Dropout or None, got {type(dropout).__name__}")
        s(self, "dropout", dropout)
        s(self, "cutpoints", _cutpoints("TrialDesign.cutpoints", cutpoints))

        analyses = tuple(analyses) if isinstance(analyses, (list, tuple)) else analyses
        if not isinstance(analyses, tuple) or not analyses:
            raise SpecError(f"TrialDesign.analyses: expected a non-empty list of Analysis, got {analyses!r}")
        for i, a in enumerate(analyses):
            if not isinstance(a, Analysis):
                raise SpecError(f"TrialDesign.analyses[{i}]: expected an Analysis, got {type(a).__name__}")
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
                raise SpecError(f"TrialDesign.{name}: expected a Rule or a list of rules, got {value!r}")
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
        futility_rules = per_look("futility", futility if not isinstance(futility, Rule) else
                                  (futility,) * (k - 1) + (None,))
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


@dataclass(frozen=True, init=False)
class Scenario:
    """The truth a trial is simulated under (use :meth:`fixed`).

    Attributes
    ----------
    cutpoints : tuple of float
        Start of each period of the piecewise-exponential truth (months).
    control_hazards, hazard_ratios : tuple of float
        Control hazard per month and treatment/control hazard ratio, per period.
    cure_fraction : (control, treatment)
        Proportion of patients who never have the event.
    response_rates : (control, treatment) or None
    """

    cutpoints: tuple[float, ...]
    control_hazards: tuple[float, ...]
    hazard_ratios: tuple[float, ...]
    cure_fraction: tuple[float, float]
    response_rates: tuple[float, float] | None

    @classmethod
    def fixed(
        cls,
        *,
        median: float | None = None,
        hazards: float | Sequence[float] | None = None,
        cutpoints: Sequence[float] = (0.0,),
        hazard_ratio: float | Sequence[float] = 1.0,
        cure_fraction: float | Mapping[str, float] = 0.0,
        response_rates: Mapping[str, float] | None = None,
    ) -> Scenario:
        """A scenario with fixed true parameters.

        Parameters
        ----------
        median : float, optional
            Control median (months) of an exponential control arm (exclusive with ``hazards``).
        hazards : float or sequence of float, optional
            Control hazard per month in each period starting at ``cutpoints``.
        cutpoints : sequence of float, default ``(0,)``
        hazard_ratio : float or sequence of float, default 1
            Constant, or one per period (delayed effects: ``[1, 0.6]`` with ``cutpoints=[0, 3]``).
        cure_fraction : float or mapping, default 0
            Scalar or ``{"control": .., "treatment": ..}``; cured patients never have the event.
        response_rates : mapping, optional
            ``{"control": p_c, "treatment": p_t}`` for the response endpoint.

        Notes
        -----
        Event times follow a mixture cure model with piecewise-exponential hazards:
        :math:`S_a(t) = \\pi_a + (1 - \\pi_a) \\exp(-H_a(t))` with
        :math:`h_{\\text{treatment}}(t) = \\text{HR}(t)\\, h_{\\text{control}}(t)`.
        A median :math:`m` means the hazard :math:`\\log 2 / m`.
        """
        self = object.__new__(cls)
        s = object.__setattr__
        if response_rates is not None:
            rates = _per_arm("Scenario.response_rates", response_rates) if isinstance(
                response_rates, Mapping) else None
            if rates is None:
                raise SpecError(
                    f"Scenario.response_rates: expected {{'control': p, 'treatment': p}}, got {response_rates!r}"
                )
            for arm, p in zip(ARMS, rates, strict=True):
                if p > 1:
                    raise SpecError(f"Scenario.response_rates['{arm}']: expected a probability, got {p}")
            s(self, "response_rates", rates)
        else:
            s(self, "response_rates", None)
        if median is not None and hazards is not None:
            raise SpecError("Scenario: give median or hazards for the control arm, not both")
        cuts = _cutpoints("Scenario.cutpoints", cutpoints)
        if median is None and hazards is None:
            if response_rates is None:
                raise SpecError("Scenario: give the control median or hazards (or response_rates)")
            haz = ()
        elif median is not None:
            haz = (math.log(2) / _positive("Scenario.median", median),) * len(cuts)
        else:
            haz = _vector("Scenario.hazards", hazards)
            if len(haz) == 1:
                haz = haz * len(cuts)
            if len(haz) != len(cuts):
                raise SpecError(f"Scenario.hazards: expected {len(cuts)} values (one per cutpoint), got {len(haz)}")
            if haz[-1] <= 0:
                raise SpecError(f"Scenario.hazards: the last period's hazard must be > 0, got {haz[-1]}")
        hr = _vector("Scenario.hazard_ratio", hazard_ratio, allow_zero=False)
        if not haz:
            hr = ()
        elif len(hr) == 1:
            hr = hr * len(cuts)
        if haz and len(hr) != len(cuts):
            raise SpecError(f"Scenario.hazard_ratio: expected 1 or {len(cuts)} values, got {len(hr)}")
        cure = _per_arm("Scenario.cure_fraction", cure_fraction)
        for arm, p in zip(ARMS, cure, strict=True):
            if p >= 1:
                raise SpecError(f"Scenario.cure_fraction['{arm}']: expected a value in [0, 1), got {p}")
        s(self, "cutpoints", cuts)
        s(self, "control_hazards", haz)
        s(self, "hazard_ratios", hr)
        s(self, "cure_fraction", cure)
        return self

    def hazards(self) -> np.ndarray:
        """True hazards per arm and period, shape ``(2, periods)`` (control, treatment)."""
        h = np.asarray(self.control_hazards)
        return np.stack([h, h * np.asarray(self.hazard_ratios)])

    def __str__(self) -> str:
        if self.response_rates is not None:
            c, t = self.response_rates
            return f"Scenario: response rates control {c:g}, treatment {t:g}"
        hr = self.hazard_ratios
        hr_s = f"{hr[0]:g}" if len(set(hr)) == 1 else "[" + ", ".join(f"{h:g}" for h in hr) + "]"
        return (f"Scenario: control hazards {[round(h, 5) for h in self.control_hazards]} "
                f"from {list(self.cutpoints)}, HR {hr_s}, cure {self.cure_fraction}")
