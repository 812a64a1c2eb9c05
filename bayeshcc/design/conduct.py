"""How a trial is conducted: accrual, dropout and the analyses (looks).

Frozen, validated value objects: bad input raises :class:`~bayeshcc.errors.SpecError` naming the
field, the offending value and what was expected. Time is in months throughout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bayeshcc.design._validate import ARMS, _cutpoints, _int, _per_arm, _positive, _vector
from bayeshcc.errors import SpecError

__all__ = ["Accrual", "Analysis", "Dropout", "follow_up_limit"]


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
        Months over which the rate rises linearly from 0 to its full value. It multiplies the
        period rates: :math:`\\lambda(t) = \\mathrm{rate}(t) \\min(1, t / \\mathrm{ramp\\_up})`, so a
        period that starts during the ramp-up enters it at its own rate times ``t / ramp_up``.
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
        Triggered at this calendar time, in months from the trial's start (time 0 of the accrual;
        the first patient enters shortly after it, and a ramp-up, if any, starts at 0 too).
    patients : int, optional
        Triggered ``min_follow_up`` months after this many patients have entered.
    min_follow_up : float, default 0
        With ``patients``: follow-up after the last of them entered. With ``events``: the look is
        not before every planned patient has this much follow-up (SAS SEQDESIGN's minimum
        follow-up). For the response endpoint, a patient is evaluable ``min_follow_up`` months
        after entry.
    max_months : float, optional
        With ``events``: the look happens at ``events`` events or at this calendar month (from the
        trial's start), whichever comes first, the standard protocol trigger. On the final
        analysis it is the maximum study duration. A look the month triggered is counted in
        ``p_target_not_reached``.

    Notes
    -----
    When the event target is never reached in a simulated trial (dropout, cure) and no
    ``max_months`` is set, the look happens once every patient's outcome is known, which can be
    very late (e.g. with a cure fraction): set ``max_months``.
    """

    events: int | None
    months: float | None
    patients: int | None
    min_follow_up: float
    max_months: float | None

    def __init__(
        self,
        *,
        events: int | None = None,
        months: float | None = None,
        patients: int | None = None,
        min_follow_up: float = 0.0,
        max_months: float | None = None,
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
        if max_months is not None and events is None:
            raise SpecError(
                "Analysis.max_months: only used with an events trigger (at N events or month M, "
                "whichever comes first)"
            )
        object.__setattr__(
            self, "max_months", None if max_months is None else _positive("Analysis.max_months", max_months)
        )

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
        if self.max_months is not None:
            fu += f" or month {self.max_months:g}"
        what = {"events": "{:g} events", "months": "month {:g}", "patients": "{:g} patients"}
        return what[self.trigger].format(self.target) + fu


def follow_up_limit(accrual: Accrual, analyses: Sequence[Analysis]) -> float:
    """Longest follow-up (months) any patient can have at the last look; ``inf`` if unbounded.

    Notes
    -----
    Looks happen in order (each no earlier than the one before), so the last is at the latest
    of the looks' own trigger times. A calendar look at month ``M`` follows no one longer than
    ``M``; a look ``min_follow_up`` months after the n-th patient entered follows no one longer
    than the accrual duration plus ``min_follow_up`` (when accrual has a fixed duration); an
    event-driven look with ``max_months`` no longer than that month. Other event-driven looks, and
    patient-driven ones under Poisson accrual, have no fixed bound.
    """
    limit = 0.0
    for a in analyses:
        if a.trigger == "months":
            limit = max(limit, a.months)
        elif a.trigger == "patients" and accrual.duration is not None:
            limit = max(limit, accrual.duration + a.min_follow_up)
        elif a.trigger == "events" and a.max_months is not None:
            limit = max(limit, a.max_months)
        else:
            return math.inf
    return limit
