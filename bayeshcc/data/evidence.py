"""Published summaries as likelihood evidence: hazard ratios, medians and landmark survival.

Many studies publish only a hazard ratio with its confidence interval, medians with theirs, and
survival at a few landmarks. Each becomes an evidence object here (numbers only, no PyMC); the
survival models turn each into a likelihood term (:mod:`bayeshcc.models._evidence`). The
approximations are stated per class and checked by simulation in the test suite (simulate patient
data, summarise it as a paper would, fit the summaries, and count how often the posterior interval
covers the truth).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import stats

from bayeshcc.errors import DataError

__all__ = ["HazardRatioEvidence", "LandmarkEvidence", "MedianEvidence", "Sources", "as_sources"]


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _positive(name: str, value, *, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not math.isfinite(value) or value <= 0:
        raise DataError(f"{what}: {name} must be a finite number > 0, got {value!r}")
    return float(value)


def _level(level, what: str) -> float:
    if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 1:
        raise DataError(f"{what}: level must be in (0, 1), e.g. 0.95, got {level!r}")
    return float(level)


def _floats(values, name: str, what: str) -> np.ndarray:
    """A list of numbers as a float array; DataError naming the value otherwise."""
    items = list(values) if isinstance(values, list | tuple | np.ndarray) else [values]
    bad = [v for v in items if isinstance(v, bool) or not isinstance(v, numbers.Real)]
    if bad:
        raise DataError(f"{what}: {name} must be numbers, got {bad[0]!r} in {list(items)!r}")
    return np.asarray(items, dtype=float)


def _count(name: str, value, *, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise DataError(f"{what}: {name} must be a whole number >= 1, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class HazardRatioEvidence:
    """A published hazard ratio ``treatment`` vs ``control`` with its confidence interval.

    Likelihood: ``log(estimate) ~ Normal(log HR, se)``, ``se = (log upper - log lower) / (2 z)``
    with ``z`` the normal quantile of the interval's ``level`` (the Wald interval of a Cox or
    log-rank analysis). Without an interval, a two-sided ``p_value`` gives
    ``se = |log estimate| / z_{1 - p/2}``. The model's ``log_hr`` must be a single number
    (``effect="proportional"``); a covariate-adjusted HR is treated as the arm contrast.
    """

    treatment: str
    control: str
    estimate: float
    lower: float | None = None
    upper: float | None = None
    level: float = 0.95
    p_value: float | None = None

    def __post_init__(self) -> None:
        what = "HazardRatioEvidence"
        for name in ("treatment", "control"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise DataError(f"{what}: {name} must be an arm name, got {getattr(self, name)!r}")
        if self.treatment == self.control:
            raise DataError(f"{what}: treatment and control are both {self.treatment!r}")
        _positive("estimate", self.estimate, what=what)
        _level(self.level, what)
        has_ci = self.lower is not None or self.upper is not None
        if has_ci:
            lo, hi = (_positive(n, getattr(self, n), what=what) for n in ("lower", "upper"))
            if not lo < self.estimate < hi:
                raise DataError(f"{what}: expected lower < estimate < upper, got {lo} / {self.estimate} / {hi}")
        elif self.p_value is None:
            raise DataError(f"{what}: give the confidence interval (lower, upper) or a p_value, so the "
                            "estimate's precision is known")
        else:
            p = self.p_value
            if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 < p < 1:
                raise DataError(f"{what}: p_value must be in (0, 1), got {p!r}")
            if self.estimate == 1:
                raise DataError(f"{what}: an estimate of exactly 1 with a p-value gives no standard error")

    @property
    def arms(self) -> tuple[str, str]:
        return (self.control, self.treatment)

    @property
    def se(self) -> float:
        """Standard error of the log hazard ratio."""
        if self.lower is not None:
            return (math.log(self.upper) - math.log(self.lower)) / (2 * _z(self.level))
        return abs(math.log(self.estimate)) / float(stats.norm.ppf(1 - self.p_value / 2))

    def __str__(self) -> str:
        ci = f" ({self.lower:g}-{self.upper:g})" if self.lower is not None else f", p = {self.p_value:g}"
        return f"HR {self.treatment} vs {self.control} {self.estimate:g}{ci}"


@dataclass(frozen=True)
class MedianEvidence:
    """A published median survival time of one arm, with its confidence interval (or ``n``).

    Likelihood: ``log(estimate) ~ Normal(log m(theta), se)`` where ``m(theta)`` is the model's
    median. ``follow_up`` (optional) is the study's longest follow-up, the horizon of the evidence.
    ``se`` comes from the interval, ``(log upper - log lower) / (2 z)`` (the usual
    log-transformed interval of a Kaplan-Meier median); without one, from ``n``:
    ``se = 1 / (log 2 sqrt(n))``, the large-sample sd of the log sample median of ``n``
    uncensored exponential times (censoring before the median would widen it, so this is
    optimistic when many patients are censored early).
    """

    arm: str
    estimate: float
    lower: float | None = None
    upper: float | None = None
    n: int | None = None
    level: float = 0.95
    follow_up: float | None = None

    def __post_init__(self) -> None:
        what = f"MedianEvidence({self.arm!r})"
        if self.follow_up is not None:
            _positive("follow_up", self.follow_up, what=what)
        if not isinstance(self.arm, str) or not self.arm.strip():
            raise DataError(f"MedianEvidence: arm must be an arm name, got {self.arm!r}")
        _positive("estimate", self.estimate, what=what)
        _level(self.level, what)
        if self.lower is not None or self.upper is not None:
            lo, hi = (_positive(n, getattr(self, n), what=what) for n in ("lower", "upper"))
            if not lo < self.estimate < hi:
                raise DataError(f"{what}: expected lower < estimate < upper, got {lo} / {self.estimate} / {hi}")
        elif self.n is None:
            raise DataError(f"{what}: give the confidence interval (lower, upper) or n, so the median's "
                            "precision is known")
        else:
            _count("n", self.n, what=what)

    @property
    def arms(self) -> tuple[str]:
        return (self.arm,)

    @property
    def se(self) -> float:
        """Standard error of the log median."""
        if self.lower is not None:
            return (math.log(self.upper) - math.log(self.lower)) / (2 * _z(self.level))
        return 1 / (math.log(2) * math.sqrt(self.n))

    @property
    def horizon(self) -> float:
        """The study's follow-up if known, else the upper limit (or the estimate): the data reach it."""
        if self.follow_up is not None:
            return float(self.follow_up)
        return float(self.upper if self.upper is not None else self.estimate)

    def __str__(self) -> str:
        ci = f" ({self.lower:g}-{self.upper:g})" if self.lower is not None else f", n = {self.n}"
        return f"median {self.arm} {self.estimate:g}{ci}"


@dataclass(frozen=True)
class LandmarkEvidence:
    """Published survival of one arm at landmark times (Kaplan-Meier estimates), with ``n`` or CIs.

    Likelihood: the landmarks are turned into conditional survival between consecutive times,
    ``q_j = S(t_j) / S(t_{j-1})``, each with about ``n_j`` patients at risk, and
    ``log(-log q_j) ~ Normal(log(H(t_j) - H(t_{j-1})), se_j)`` with the delta-method
    ``se_j^2 = (1 - q_j) / (n_j q_j (log q_j)^2)`` (Greenwood's variance without censoring, on the
    complementary log-log scale, where it is closest to normal). Increments are independent, as
    in Greenwood's formula.

    * With ``n`` (patients at the start): ``n_j = n S(t_{j-1})``. Censoring before a landmark lowers
      the real ``n_j``, so this is optimistic when follow-up is short.
    * With confidence intervals (``lower``, ``upper`` per landmark, at ``level``): each landmark's
      interval gives an effective sample size ``m_j = S_j (1 - S_j) / se_j^2`` with
      ``se_j = (upper_j - lower_j) / (2 z)`` (the binomial size with that precision, which absorbs
      censoring), scaled to the start of the increment: ``n_j = m_j S(t_{j-1})``. Where both are
      given, the intervals are used.

    Exact counts are better entered as :meth:`IntervalData.from_landmarks`.
    """

    arm: str
    times: tuple[float, ...]
    survival: tuple[float, ...]
    n: int | None = None
    follow_up: float | None = None
    lower: tuple[float, ...] | None = None
    upper: tuple[float, ...] | None = None
    level: float = 0.95

    def __post_init__(self) -> None:
        what = f"LandmarkEvidence({self.arm!r})"
        if self.follow_up is not None:
            _positive("follow_up", self.follow_up, what=what)
        if not isinstance(self.arm, str) or not self.arm.strip():
            raise DataError(f"LandmarkEvidence: arm must be an arm name, got {self.arm!r}")
        t, s = (_floats(getattr(self, k), k, what) for k in ("times", "survival"))
        if t.ndim != 1 or t.size == 0 or t.shape != s.shape:
            raise DataError(f"{what}: times and survival must be lists of equal length >= 1")
        if not np.all(np.isfinite(t)) or np.any(t <= 0) or np.any(np.diff(t) <= 0):
            raise DataError(f"{what}: times must be finite, > 0 and increasing, got {t.tolist()}")
        if np.any(~(s > 0) | ~(s < 1)) or np.any(np.diff(s) >= 0):
            raise DataError(f"{what}: survival must be in (0, 1) and decreasing over time, got {s.tolist()}")
        _level(self.level, what)
        if (self.lower is None) != (self.upper is None):
            raise DataError(f"{what}: give both lower and upper, or neither")
        if self.lower is not None:
            lo, hi = (_floats(getattr(self, k), k, what) for k in ("lower", "upper"))
            if lo.shape != s.shape or hi.shape != s.shape or not np.all((0 <= lo) & (lo < s) & (s < hi) & (hi <= 1)):
                raise DataError(f"{what}: expected 0 <= lower < survival < upper <= 1 at each landmark, got "
                                f"{lo.tolist()} / {s.tolist()} / {hi.tolist()}")
            object.__setattr__(self, "lower", tuple(float(x) for x in lo))
            object.__setattr__(self, "upper", tuple(float(x) for x in hi))
        elif self.n is None:
            raise DataError(f"{what}: give n (patients at the start) or the landmarks' confidence intervals")
        if self.n is not None:
            _count("n", self.n, what=what)
        object.__setattr__(self, "times", tuple(float(x) for x in t))
        object.__setattr__(self, "survival", tuple(float(x) for x in s))

    @property
    def arms(self) -> tuple[str]:
        return (self.arm,)

    @property
    def horizon(self) -> float:
        """The study's follow-up if known, else the last landmark."""
        return float(self.follow_up) if self.follow_up is not None else self.times[-1]

    def increments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(start, end, log(-log q), se)`` of each conditional-survival increment."""
        t = np.array((0.0, *self.times))
        s = np.array((1.0, *self.survival))
        q = s[1:] / s[:-1]
        if self.lower is not None:
            se_s = (np.asarray(self.upper) - np.asarray(self.lower)) / (2 * _z(self.level))
            m = s[1:] * (1 - s[1:]) / se_s**2  # effective binomial size of each landmark
            n_at = m * s[:-1]
        else:
            n_at = self.n * s[:-1]
        se = np.sqrt((1 - q) / (n_at * q * np.log(q) ** 2))
        return t[:-1], t[1:], np.log(-np.log(q)), se

    def __str__(self) -> str:
        pts = ", ".join(f"{s:.3g} at {t:g}" for t, s in zip(self.times, self.survival, strict=True))
        how = f"n = {self.n}" if self.lower is None else f"{self.level:.0%} CIs"
        return f"survival {self.arm}: {pts} ({how})"


EVIDENCE = (HazardRatioEvidence, MedianEvidence, LandmarkEvidence)


@dataclass(frozen=True, eq=False)
class Sources:
    """Several sources of evidence on one endpoint, fitted together by one survival model.

    Each source is a :class:`SurvivalData`, :class:`IntervalData` or an evidence object; a
    :class:`SurvivalSummary` contributes its evidence (:meth:`SurvivalSummary.evidence`). All
    must share the unit of time.
    """

    sources: tuple
    time_unit: str = "time units"
    control: str | None = None

    @property
    def arms(self) -> tuple[str, ...]:
        """Arms named by any source, in order of first appearance."""
        return tuple(dict.fromkeys(a for s in self.sources for a in s.arms))

    @property
    def horizon(self) -> dict[str, float]:
        """Per arm, the latest time any source informs."""
        out: dict[str, float] = {}
        for s in self.sources:
            h = getattr(s, "horizon", None)  # a hazard ratio says nothing about times
            if h is None:
                continue
            for a in s.arms:
                v = h[a] if isinstance(h, dict) else h
                out[a] = max(out.get(a, 0.0), float(v))
        return {a: out.get(a, 0.0) for a in self.arms}

    def __repr__(self) -> str:
        return "Sources(" + "; ".join(str(s) if isinstance(s, EVIDENCE) else repr(s) for s in self.sources) + ")"


def as_sources(data) -> Sources:
    """A :class:`Sources` from one source or a list of them (SurvivalSummary expanded)."""
    from bayeshcc.data.intervals import IntervalData
    from bayeshcc.data.summaries import SurvivalSummary
    from bayeshcc.data.survival import SurvivalData

    items = list(data) if isinstance(data, list | tuple) else [data]
    if not items:
        raise DataError("data: an empty list of sources")
    flat, units, control = [], [], None
    for i, s in enumerate(items):
        if isinstance(s, SurvivalSummary):
            flat += s.evidence()
            units.append(s.time_unit)
        elif isinstance(s, SurvivalData | IntervalData):
            flat.append(s)
            units.append(s.time_unit)
            control = control or s.control
        elif isinstance(s, EVIDENCE):
            flat.append(s)
        else:
            raise DataError(f"data[{i}]: expected SurvivalData, IntervalData, SurvivalSummary or an evidence "
                            f"object (HazardRatioEvidence, MedianEvidence, LandmarkEvidence), got {type(s).__name__}")
    if len(set(units)) > 1:
        raise DataError(f"data: the sources use different units of time {sorted(set(units))}; convert them to one")
    if control is None:
        control = next((s.control for s in flat if isinstance(s, HazardRatioEvidence)), None)
    return Sources(tuple(flat), time_unit=units[0] if units else "time units", control=control)
