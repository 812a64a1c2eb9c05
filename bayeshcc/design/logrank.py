"""The log-rank test as a decision rule, so a design can simulate the SAP's frequentist test.

:class:`LogRank` is a :class:`~bayeshcc.design.rules.Rule`: ``rule.evaluate(look)`` inside
:func:`~bayeshcc.simulate` (one decision per trial, vectorised over trials) and
``rule.evaluate(data)`` on a study's :class:`~bayeshcc.SurvivalData` (stratified by a column if
asked). :func:`logrank_z` is the statistic itself, for arrays of many trials.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from bayeshcc.data.survival import SurvivalData
from bayeshcc.design._validate import _number
from bayeshcc.design.rules import Decision, Rule
from bayeshcc.design.spending import Spending, cumulative_alpha, efficacy_bounds
from bayeshcc.errors import DataError, SpecError

if TYPE_CHECKING:
    from bayeshcc.design.trial import TrialDesign

__all__ = ["LogRank", "LogRankDecision", "check_logrank_rules", "logrank_z"]


def _score(time: np.ndarray, event: np.ndarray, treated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-rank ``O - E`` of the treatment arm and its variance per row (patients where time is finite)."""
    m, n = time.shape
    order = np.argsort(time, axis=1, kind="stable")
    t = np.take_along_axis(time, order, 1)
    e = np.take_along_axis(event, order, 1).astype(float)
    g = np.take_along_axis(treated, order, 1).astype(float)
    finite = np.isfinite(t)
    idx = np.broadcast_to(np.arange(n), (m, n))
    new = np.ones((m, n), dtype=bool)
    new[:, 1:] = t[:, 1:] != t[:, :-1]
    last = np.ones((m, n), dtype=bool)
    last[:, :-1] = new[:, 1:]
    start = np.maximum.accumulate(np.where(new, idx, 0), axis=1)  # first index of each tie group

    def before(x: np.ndarray) -> np.ndarray:  # sum of x over the rows sorted before the tie group
        return np.take_along_axis(np.cumsum(x, 1) - x, start, 1)

    d = np.cumsum(e, 1) - before(e)
    d1 = np.cumsum(e * g, 1) - before(e * g)
    at_risk = finite.sum(1, keepdims=True) - start
    at_risk1 = (g * finite).sum(1, keepdims=True) - before(g * finite)
    use = last & finite & (d > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(use, at_risk1 / np.maximum(at_risk, 1), 0.0)
        ties = np.where(at_risk > 1, (at_risk - d) / np.maximum(at_risk - 1, 1), 0.0)
    o_minus_e = np.where(use, d1 - d * frac, 0.0).sum(1)
    var = np.where(use, d * frac * (1 - frac) * ties, 0.0).sum(1)
    return o_minus_e, var


def logrank_z(
    time: np.ndarray,
    event: np.ndarray,
    treated: np.ndarray,
    include: np.ndarray | None = None,
    strata: np.ndarray | None = None,
) -> np.ndarray:
    """One-sided log-rank statistic per trial; positive when the treatment arm has fewer events.

    Parameters
    ----------
    time, event, treated : ndarray, shape (trial, patient)
        Follow-up time, event indicator, treatment indicator.
    include : ndarray of bool, optional
        Patients in the analysis (e.g. entered by the look); default all.
    strata : ndarray of int, optional
        Stratum of each patient: ``O - E`` and variances are summed over strata.

    Returns
    -------
    ndarray, shape (trial,)
        :math:`Z = (E_T - O_T) / \\sqrt{V}` with the hypergeometric variance (ties: the usual
        ``(n - d) / (n - 1)`` factor); 0 for a trial without events.

    Notes
    -----
    Mantel (1966); vectorised over trials by sorting each trial's times once.
    """
    time, event, treated = (np.atleast_2d(np.asarray(a)) for a in (time, event, treated))
    include = np.ones(time.shape, dtype=bool) if include is None else np.atleast_2d(include)
    levels = [None] if strata is None else np.unique(strata)
    score = np.zeros(time.shape[0])
    var = np.zeros(time.shape[0])
    for s in levels:
        keep = include if s is None else include & (np.atleast_2d(strata) == s)
        o_e, v = _score(np.where(keep, time, np.inf), event & keep, treated & keep)
        score += o_e
        var += v
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, -score / np.sqrt(var), 0.0)


@dataclass(frozen=True, eq=False)
class LogRankDecision(Decision):
    """A :class:`~bayeshcc.design.rules.Decision` of the log-rank test.

    ``probabilities`` maps the rule to the one-sided p-value; ``z`` is the statistic and
    ``critical_value`` the bound it was compared with (per trial inside simulate).
    """

    z: Any = None
    critical_value: Any = None

    def __str__(self) -> str:
        if np.ndim(self.met):
            return super().__str__()
        p = next(iter(self.probabilities.values()))
        return (
            f"{self.rule}: {'met' if self.met else 'not met'} (Z = {self.z:.4g}, "
            f"one-sided p = {p:.4g})"
        )


class LogRank(Rule):
    """The one-sided log-rank test of benefit (lower hazard on treatment) as a decision rule.

    Parameters
    ----------
    alpha : float, default 0.025
        One-sided level: met when :math:`Z > z_{1-\\alpha}` (:func:`logrank_z`), at every look it
        is used at. With ``spending``, the overall one-sided level spent across the looks.
    critical_values : float or sequence of float, optional
        Z bound(s) instead of ``alpha``: one for every look, or one per look of the design (look
        ``k`` of a simulated trial uses the ``k``-th), e.g. rpact's ``criticalValues``.
    spending : {"obrien_fleming", "pocock"} or sequence of float, optional
        Group-sequential bounds spending ``alpha`` (Lan-DeMets forms, or cumulative alpha per
        look) at the information fractions of the design's event-triggered looks (planned events
        over the final look's); inside :func:`~bayeshcc.simulate` only.
    strata : str, optional
        A column of the study's :class:`~bayeshcc.SurvivalData` to stratify by (a fitted study
        only: simulated trials have no strata).

    Notes
    -----
    Inside the simulator the statistic is computed from each trial's patients at the look (their
    follow-up, events and arms), all trials at once. Bounds from ``spending`` use the planned
    fractions; a trial whose event target was not reached is tested at the bound planned for it.

    Examples
    --------
    >>> print(LogRank())
    log-rank Z > 1.96 (one-sided alpha 0.025)
    >>> print(LogRank(critical_values=[2.963, 1.969]))
    log-rank Z > [2.963, 1.969] by look
    """

    def __init__(
        self,
        alpha: float = 0.025,
        *,
        critical_values: float | Sequence[float] | None = None,
        spending: Spending | None = None,
        strata: str | None = None,
    ) -> None:
        a = _number("LogRank.alpha", alpha)
        if not 0 < a < 0.5:
            raise SpecError(f"LogRank.alpha: expected a one-sided level in (0, 0.5), got {alpha!r}")
        self.alpha = a
        if critical_values is not None and spending is not None:
            raise SpecError("LogRank: give critical_values or spending, not both")
        self.critical_values: tuple[float, ...] | None = None
        if critical_values is not None:
            many = isinstance(critical_values, Sequence | np.ndarray)
            values = list(critical_values) if many else [critical_values]
            if isinstance(critical_values, str) or not len(values):
                raise SpecError(f"LogRank.critical_values: expected z bounds, got {critical_values!r}")
            self.critical_values = tuple(
                _number(f"LogRank.critical_values[{i}]", v) for i, v in enumerate(values)
            )
        if spending is not None:  # a name, or cumulative alpha per look (its length is checked per design)
            n = 1 if isinstance(spending, str) else len(spending) if isinstance(spending, Sequence) else 0
            cumulative_alpha(np.ones(max(n, 1)), a, spending, "LogRank.spending")
        self.spending = spending
        if strata is not None and (not isinstance(strata, str) or not strata):
            raise SpecError(f"LogRank.strata: expected a column name, got {strata!r}")
        self.strata = strata
        self._bounds: dict[tuple, np.ndarray] = {}

    # -- the Rule interface ---------------------------------------------------------------------
    def quantities(self) -> set[str]:
        # The test is of the hazard ratio: only a survival endpoint can use it.
        return {"hazard_ratio"}

    def bind(self, *, cutpoints: Sequence[float], follow_up: float = math.inf) -> Rule:
        if self.strata is not None:
            raise SpecError(
                f"LogRank.strata: simulated trials have no strata (got strata={self.strata!r}); "
                "use LogRank() in a TrialDesign and strata= on a study's data"
            )
        return self

    def evaluate(self, x: Any) -> LogRankDecision:
        if isinstance(x, SurvivalData):
            z = np.array([self._study_z(x)])
            crit = np.array([self._study_bound()])
        elif hasattr(x, "batch") and hasattr(x, "cut"):
            from bayeshcc.design.generate import look_data

            design, k = x.design, x.k
            data = look_data(design, x.batch, x.cut, design.analyses[k], keep_patients=True)
            obs, event, treated, enrolled = data.patients
            z = logrank_z(obs, event, treated & enrolled, include=enrolled)
            crit = np.full(z.shape, self._bound(design, k))
        else:
            raise SpecError(
                f"{self}: evaluate() takes a study's SurvivalData or a simulated look, got "
                f"{type(x).__name__} (a posterior has no patient data to test)"
            )
        met = z > crit
        p = stats.norm.sf(z)
        if isinstance(x, SurvivalData):
            return LogRankDecision(str(self), bool(met[0]), {str(self): float(p[0])}, float(z[0]), float(crit[0]))
        return LogRankDecision(str(self), met, {str(self): p}, z, crit)

    def __str__(self) -> str:
        strata = f", stratified by {self.strata}" if self.strata else ""
        if self.critical_values is not None:
            cv = self.critical_values
            bound = f"{cv[0]:.4g}" if len(cv) == 1 else "[" + ", ".join(f"{c:.4g}" for c in cv) + "] by look"
            return f"log-rank Z > {bound}{strata}"
        if self.spending is not None:
            how = self.spending if isinstance(self.spending, str) else "given"
            return f"log-rank Z > {how} bound (one-sided alpha {self.alpha:g}{strata})"
        return f"log-rank Z > {stats.norm.isf(self.alpha):.3g} (one-sided alpha {self.alpha:g}{strata})"

    # -- bounds ---------------------------------------------------------------------------------
    def bounds(self, design: TrialDesign) -> np.ndarray:
        """The z bound at each look of ``design`` (SpecError naming the field if it has none)."""
        k = len(design.analyses)
        if self.critical_values is not None:
            cv = self.critical_values
            if len(cv) not in (1, k):
                raise SpecError(
                    f"LogRank.critical_values: {len(cv)} bounds for a design with {k} analyses; "
                    f"expected 1 or {k}"
                )
            return np.broadcast_to(np.asarray(cv), (k,)).copy()
        if self.spending is None:
            return np.full(k, stats.norm.isf(self.alpha))
        events = [a.events for a in design.analyses]
        if any(e is None for e in events):
            raise SpecError(
                f"LogRank.spending: information fractions come from event-triggered looks, but the "
                f"design's looks are {[str(a) for a in design.analyses]}; give critical_values instead"
            )
        key = tuple(events)
        if key not in self._bounds:
            t = np.asarray(events, float) / events[-1]
            self._bounds[key] = efficacy_bounds(t, cumulative_alpha(t, self.alpha, self.spending, "LogRank.spending"))
        return self._bounds[key]

    def _bound(self, design: TrialDesign, k: int) -> float:
        return float(self.bounds(design)[k])

    def _study_bound(self) -> float:
        if self.spending is not None or (self.critical_values and len(self.critical_values) > 1):
            raise SpecError(
                f"{self}: a study's data are one look; evaluate it with LogRank(alpha) or "
                "LogRank(critical_values=c) for that look's bound"
            )
        return self.critical_values[0] if self.critical_values else float(stats.norm.isf(self.alpha))

    def _study_z(self, data: SurvivalData) -> float:
        f = data.frame
        if len(data.arms) != 2:
            raise DataError(f"LogRank: the log-rank test compares two arms; the data have {list(data.arms)}")
        if "entry" in f or "upper" in f:
            raise DataError(
                "LogRank: the data have delayed entry or interval-censored rows; this log-rank test "
                "takes right-censored times only"
            )
        control = data.control or data.arms[0]
        strata = None
        if self.strata is not None:
            if self.strata not in f.columns or self.strata in ("time", "event", "arm"):
                raise DataError(
                    f"LogRank.strata: no covariate column {self.strata!r}; the data have {list(data.covariates)}"
                )
            strata = f[self.strata].to_numpy()[None, :]
        return float(
            logrank_z(
                f["time"].to_numpy(float)[None, :],
                f["event"].to_numpy(bool)[None, :],
                (f["arm"] != control).to_numpy()[None, :],
                strata=strata,
            )[0]
        )


def _parts(rule: Rule) -> Iterator[Rule]:
    yield rule
    for r in getattr(rule, "rules", ()):
        yield from _parts(r)
    inner = getattr(rule, "rule", None)
    if isinstance(inner, Rule):
        yield from _parts(inner)


def check_logrank_rules(design: TrialDesign, rules: Iterator[tuple[str, Rule]]) -> None:
    """SpecError, naming the field, for a log-rank rule the design cannot simulate.

    Checks each rule's bounds against the design's looks, and that no predictive-probability rule
    predicts a log-rank final analysis (the prediction analyses posteriors only).
    """
    final = design.success[-1]
    for path, rule in rules:
        for part in _parts(rule):
            if isinstance(part, LogRank):
                try:
                    part.bounds(design)
                except SpecError as err:
                    raise SpecError(f"{path}: {err}") from None
            if part.uses_predictive() and getattr(part, "rule", None) is None and final is not None:
                if any(isinstance(p, LogRank) for p in _parts(final)):
                    raise SpecError(
                        f"{path}: {part} predicts the final rule {final}, a log-rank test, which "
                        "predictive probabilities do not compute; give it rule= a posterior rule"
                    )
            if part.uses_predictive() and isinstance(getattr(part, "rule", None), Rule):
                if any(isinstance(p, LogRank) for p in _parts(part.rule)):
                    raise SpecError(
                        f"{path}: {part} predicts a log-rank test, which predictive probabilities "
                        "do not compute; give it rule= a posterior rule"
                    )
