"""Group-sequential maths: alpha spending, efficacy bounds, crossing probabilities, required events.

The look statistics of a group-sequential trial follow the canonical joint distribution (Jennison
and Turnbull 2000, ch. 3): with information fractions :math:`t_1 < \\dots < t_K = 1` and drift
:math:`\\eta`, the score :math:`S_k = Z_k \\sqrt{t_k}` has independent increments
:math:`S_k - S_{k-1} \\sim N(\\eta (t_k - t_{k-1}), t_k - t_{k-1})`. Crossing probabilities are computed
by numerical integration of that recursion on a grid (Simpson's rule; Jennison and Turnbull ch. 19),
deterministic and accurate to about 1e-8, which is enough to reproduce rpact's bounds to 4 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import optimize, stats

from bayeshcc.design._validate import _int, _number
from bayeshcc.errors import SpecError

__all__ = [
    "SPENDING",
    "crossing_probabilities",
    "cumulative_alpha",
    "efficacy_bounds",
    "inflation_factor",
    "information_fractions",
    "required_events",
    "required_patients",
]

#: Named alpha-spending functions (Lan and DeMets 1983; rpact's ``asOF`` and ``asP``).
SPENDING = ("obrien_fleming", "pocock")

Spending = Literal["obrien_fleming", "pocock"] | Sequence[float]

_SD_RANGE = 10.0  # the grid covers the mean +- 10 standard deviations


def information_fractions(looks: int | Sequence[float], field: str = "looks") -> np.ndarray:
    """Information fractions of the looks: ``K`` equally spaced, or the fractions given.

    Parameters
    ----------
    looks : int or sequence of float
        A number of equally spaced looks, or increasing fractions in (0, 1] ending at 1.
    field : str
        Name of the argument, for messages.
    """
    if isinstance(looks, int | np.integer) and not isinstance(looks, bool):
        k = _int(field, looks)
        return np.arange(1, k + 1) / k
    if isinstance(looks, str) or not isinstance(looks, Sequence | np.ndarray) or len(looks) == 0:
        raise SpecError(
            f"{field}: expected a number of looks or a list of information fractions ending at 1, "
            f"got {looks!r}"
        )
    t = np.array([_number(f"{field}[{i}]", v) for i, v in enumerate(looks)])
    if t[0] <= 0 or np.any(np.diff(t) <= 0) or t[-1] != 1:
        raise SpecError(
            f"{field}: expected strictly increasing information fractions in (0, 1] ending at 1, "
            f"got {list(looks)}"
        )
    return t


def cumulative_alpha(
    fractions: np.ndarray, alpha: float, spending: Spending, field: str = "spending"
) -> np.ndarray:
    """Cumulative type I error to be spent by each look.

    ``"obrien_fleming"``: :math:`2 - 2\\Phi(z_{1-\\alpha/2} / \\sqrt{t})`; ``"pocock"``:
    :math:`\\alpha \\log(1 + (e - 1) t)` (Lan-DeMets forms); a sequence: the cumulative alpha per look
    itself (strictly increasing, the last equal to ``alpha``).
    """
    t = np.asarray(fractions, dtype=float)
    if isinstance(spending, str):
        if spending == "obrien_fleming":
            return 2 * stats.norm.sf(stats.norm.isf(alpha / 2) / np.sqrt(t))
        if spending == "pocock":
            return alpha * np.log1p((math.e - 1) * t)
        raise SpecError(
            f"{field}: unknown spending {spending!r}; expected one of {list(SPENDING)} or a list of "
            "cumulative alpha per look"
        )
    if not isinstance(spending, Sequence | np.ndarray):
        raise SpecError(f"{field}: expected {list(SPENDING)} or a list of numbers, got {spending!r}")
    cum = np.array([_number(f"{field}[{i}]", v) for i, v in enumerate(spending)])
    if cum.size != t.size:
        raise SpecError(f"{field}: expected {t.size} cumulative alpha values (one per look), got {cum.size}")
    if cum[0] <= 0 or np.any(np.diff(cum) <= 0) or not math.isclose(cum[-1], alpha, rel_tol=1e-9):
        raise SpecError(
            f"{field}: expected strictly increasing cumulative alpha in (0, {alpha:g}] ending at "
            f"alpha={alpha:g}, got {list(spending)}"
        )
    return cum


def _grid(lo: float, hi: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Points and Simpson weights on ``[lo, hi]`` with spacing at most ``h``."""
    n = max(2, math.ceil((hi - lo) / h))
    n += n % 2
    x = np.linspace(lo, hi, n + 1)
    w = np.full(n + 1, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    return x, w * (hi - lo) / (3 * n)


class _Recursion:
    """Density of the score on the continuation region, look by look (drift ``eta``)."""

    def __init__(self, fractions: np.ndarray, eta: float) -> None:
        self.t, self.eta = np.asarray(fractions, float), float(eta)
        steps = np.diff(np.concatenate([[0.0], self.t]))
        self.h = min(1.0, math.sqrt(steps.min())) / 16
        self.k = 0
        self.x = self.mass = None  # grid of S_{k-1} and density x weight on it

    def cross(self, bound: float) -> float:
        """Probability of first crossing ``Z_k >= bound`` at the current look."""
        t, eta, k = self.t, self.eta, self.k
        if not np.isfinite(bound):
            return 0.0
        if k == 0:
            return float(stats.norm.sf(bound - eta * math.sqrt(t[0])))
        dt = t[k] - t[k - 1]
        z = (bound * math.sqrt(t[k]) - self.x - eta * dt) / math.sqrt(dt)
        return float(self.mass @ stats.norm.sf(z))

    def advance(self, bound: float) -> None:
        """Condition on not crossing ``bound`` at the current look and move to the next."""
        t, eta, k = self.t, self.eta, self.k
        mean, sd = eta * t[k], math.sqrt(t[k])
        hi = min(bound * sd, mean + _SD_RANGE * sd) if np.isfinite(bound) else mean + _SD_RANGE * sd
        x, w = _grid(mean - _SD_RANGE * sd, hi, self.h)
        if k == 0:
            dens = stats.norm.pdf(x, mean, sd)
        else:
            dt = t[k] - t[k - 1]
            kern = stats.norm.pdf((x[:, None] - self.x[None, :] - eta * dt) / math.sqrt(dt))
            dens = kern @ self.mass / math.sqrt(dt)
        self.x, self.mass, self.k = x, dens * w, k + 1


def efficacy_bounds(fractions: np.ndarray, cum_alpha: np.ndarray) -> np.ndarray:
    """One-sided efficacy bounds on the z scale spending ``cum_alpha`` at ``fractions`` (no futility).

    Examples
    --------
    >>> t = np.array([0.5, 1.0])
    >>> efficacy_bounds(t, cumulative_alpha(t, 0.025, "obrien_fleming")).round(4)
    array([2.9626, 1.9686])
    """
    rec = _Recursion(fractions, 0.0)
    spend = np.diff(np.concatenate([[0.0], cum_alpha]))
    bounds = np.empty(len(spend))
    for k, a in enumerate(spend):
        bounds[k] = optimize.brentq(lambda c, a=a: rec.cross(c) - a, -10, 40, xtol=1e-12)
        rec.advance(bounds[k])
    return bounds


def crossing_probabilities(bounds: np.ndarray, fractions: np.ndarray, drift: float) -> np.ndarray:
    """Probability of stopping for efficacy at each look, drift ``drift`` (mean of Z at t = 1)."""
    rec = _Recursion(fractions, drift)
    out = np.empty(len(bounds))
    for k, b in enumerate(bounds):
        out[k] = rec.cross(b)
        if k < len(bounds) - 1:
            rec.advance(b)
    return out


def inflation_factor(fractions: np.ndarray, bounds: np.ndarray, alpha: float, power: float) -> float:
    """Maximum information of the sequential design relative to the fixed design of equal power."""
    fixed = stats.norm.isf(alpha) + stats.norm.ppf(power)
    drift = optimize.brentq(
        lambda eta: crossing_probabilities(bounds, fractions, eta).sum() - power, 0.0, 40.0, xtol=1e-12
    )
    return (drift / fixed) ** 2


def _probability(field: str, value: object) -> float:
    v = _number(field, value)
    if not 0 < v < 1:
        raise SpecError(f"{field}: expected a probability strictly between 0 and 1, got {value!r}")
    return v


def _allocation(field: str, allocation: object) -> float:
    """Treatment share ``t / (c + t)`` of an allocation ``(control, treatment)``."""
    if not isinstance(allocation, tuple | list) or len(allocation) != 2:
        raise SpecError(f"{field}: expected (control, treatment), got {allocation!r}")
    c, t = (_int(f"{field}[{i}]", a) for i, a in enumerate(allocation))
    return t / (c + t)


def _hazard_ratio(field: str, value: object) -> float:
    hr = _number(field, value)
    if hr <= 0 or hr == 1:
        raise SpecError(f"{field}: expected a hazard ratio > 0 and != 1, got {value!r}")
    return hr


def required_events(
    hazard_ratio: float,
    *,
    alpha: float = 0.025,
    power: float = 0.9,
    allocation: tuple[int, int] = (1, 1),
    looks: int | Sequence[float] | None = None,
    spending: Spending = "obrien_fleming",
) -> float:
    """Events needed for a one-sided log-rank (or vague-prior Bayesian) test of a hazard ratio.

    Parameters
    ----------
    hazard_ratio : float
        Hazard ratio (treatment / control) the trial is designed to detect.
    alpha : float, default 0.025
        One-sided type I error.
    power : float, default 0.9
    allocation : (control, treatment), default (1, 1)
    looks : int or sequence of float, optional
        Group-sequential looks: a number of equally spaced looks or the information fractions
        (ending at 1). None: a single analysis.
    spending : {"obrien_fleming", "pocock"} or sequence of float, default "obrien_fleming"
        Alpha spending of the efficacy bounds (Lan-DeMets forms, or cumulative alpha per look, one
        value per look ending at ``alpha``). No futility bound. Always validated (SpecError naming
        ``spending``); with a single analysis every spending spends all of ``alpha`` there, so the
        events are Schoenfeld's whatever the (valid) spending.

    Returns
    -------
    float
        Events at the final analysis (not rounded; the looks are at ``fractions x`` this).

    Notes
    -----
    Schoenfeld (1983): :math:`d = (z_{1-\\alpha} + z_{\\text{power}})^2 / (p (1 - p) \\log^2
    \\text{HR})` with :math:`p` the treatment share, times the group-sequential inflation factor
    (the ratio of the maximum information of the sequential design to that of the fixed design of
    equal power; Jennison and Turnbull 2000, ch. 2), computed by numerical integration
    (:mod:`bayeshcc.design.spending`).

    Examples
    --------
    >>> round(required_events(0.5), 2)
    87.48
    >>> round(required_events(0.7, looks=[0.5, 1]), 2)  # rpact asOF: 331.51
    331.51
    """
    hr = _hazard_ratio("hazard_ratio", hazard_ratio)
    alpha = _probability("alpha", alpha)
    power = _probability("power", power)
    if power <= alpha:
        raise SpecError(f"power: expected a power above alpha={alpha:g}, got {power!r}")
    p = _allocation("allocation", allocation)
    fixed = (stats.norm.isf(alpha) + stats.norm.ppf(power)) ** 2 / (p * (1 - p) * math.log(hr) ** 2)
    t = np.ones(1) if looks is None else information_fractions(looks)
    cum = cumulative_alpha(t, alpha, spending)  # validated with or without looks
    if t.size == 1:
        return float(fixed)
    return float(fixed * inflation_factor(t, efficacy_bounds(t, cum), alpha, power))


def required_patients(
    events: float,
    *,
    hazard_ratio: float,
    control_median: float,
    accrual_duration: float,
    follow_up: float,
    allocation: tuple[int, int] = (1, 1),
) -> float:
    """Patients needed to expect ``events`` events by the end of the study.

    Parameters
    ----------
    events : float
        Events at the final analysis (e.g. from :func:`required_events`).
    hazard_ratio : float
        Treatment / control hazard ratio.
    control_median : float
        Median survival of the control arm (exponential), in the unit of the durations.
    accrual_duration : float
        Patients enter uniformly over ``[0, accrual_duration]``.
    follow_up : float
        Minimum follow-up: the study ends ``follow_up`` after the last patient entered.
    allocation : (control, treatment), default (1, 1)

    Returns
    -------
    float
        Patients (not rounded).

    Notes
    -----
    Exponential survival, uniform accrual, no dropout: a patient of an arm with hazard
    :math:`\\lambda` has the event by the end of the study with probability
    :math:`1 - (e^{-\\lambda F} - e^{-\\lambda (A + F)}) / (\\lambda A)`; the patients are the events
    over the allocation-weighted mean of that probability.

    Examples
    --------
    >>> round(required_patients(87.4793, hazard_ratio=0.5, control_median=20,
    ...                         accrual_duration=24, follow_up=12), 2)  # SAS PROC SEQDESIGN
    197.13
    """
    d = _number("events", events)
    if d <= 0:
        raise SpecError(f"events: expected a number > 0, got {events!r}")
    hr = _hazard_ratio("hazard_ratio", hazard_ratio)
    a, f, m = (
        _number(name, v)
        for name, v in (
            ("accrual_duration", accrual_duration),
            ("follow_up", follow_up),
            ("control_median", control_median),
        )
    )
    for name, v in (("accrual_duration", a), ("control_median", m)):
        if v <= 0:
            raise SpecError(f"{name}: expected a number > 0, got {v!r}")
    if f < 0:
        raise SpecError(f"follow_up: expected a number >= 0, got {f!r}")
    p = _allocation("allocation", allocation)
    lam = math.log(2) / m * np.array([1.0, hr])
    prob = 1 - (np.exp(-lam * f) - np.exp(-lam * (a + f))) / (lam * a)
    return float(d / ((1 - p) * prob[0] + p * prob[1]))
