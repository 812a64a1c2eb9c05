"""Threshold calibration: posterior-probability bars per look that hold the type I error at alpha.

:func:`calibrate` simulates trials under the null (every look of every trial, no stopping), picks
each look's success threshold so that the cumulative proportion of trials that would have stopped
for success follows an alpha-spending function, and checks the calibrated design on independent
trials. Futility rules are treated as non-binding (ignored), so the design keeps its level whether
or not futility stops are followed.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from scipy import stats

from bayeshcc import _random
from bayeshcc.design._validate import _int, _number
from bayeshcc.design.engines import Engine, get_engine
from bayeshcc.design.generate import analysis_schedule, generate, look_data
from bayeshcc.design.rules import PosteriorProbability
from bayeshcc.design.scenario import Scenario
from bayeshcc.design.spending import cumulative_alpha
from bayeshcc.design.trial import TrialDesign
from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CalibrationResult", "calibrate", "look_probabilities"]

_CHUNK_ELEMENTS = 250_000


def look_probabilities(
    design: TrialDesign, scenario: Scenario, engine: Engine, n_trials: int, root: np.random.SeedSequence
) -> dict[str, np.ndarray]:
    """Every look of every trial, without stopping: each success rule's posterior probability.

    Returns ``prob``, ``events`` and ``hr`` (the exponential maximum-likelihood hazard ratio,
    treatment over control, from each arm's events and exposure), each of shape ``(trial, look)``.
    Trials draw from the same streams as :func:`~bayeshcc.simulate` with the same seed.
    """
    k_looks = len(design.analyses)
    per_trial = design.n_patients * max(1, len(design.endpoint.cutpoints(design.analysis)))
    per_chunk = max(1, math.ceil(max(1, _CHUNK_ELEMENTS // per_trial) / _random.TRIALS_PER_STREAM))
    blocks = _random.blocks(n_trials)
    out = {k: np.empty((n_trials, k_looks)) for k in ("prob", "events", "hr")}
    row = 0
    for s in range(0, len(blocks), per_chunk):
        chunk = blocks[s : s + per_chunk]
        rng = _random.chunk_rng(root, chunk)
        batch = generate(design, scenario, rng)
        cuts = analysis_schedule(design, batch)[0]
        rows = slice(row, row + batch.n_trials)
        for k in range(k_looks):
            data = look_data(design, batch, cuts[:, k], design.analyses[k])
            post = engine.posterior(data, design, rng=rng)
            out["prob"][rows, k] = design.success[k].evaluate(post).probability
            d, e = data.events.sum(-1), data.exposure.sum(-1)  # (trial, arm)
            with np.errstate(divide="ignore", invalid="ignore"):
                out["hr"][rows, k] = (d[:, 1] / e[:, 1]) / (d[:, 0] / e[:, 0])
            out["events"][rows, k] = data.total_events
        row += batch.n_trials
    return out


def _thresholds(probs: list[np.ndarray], cum_alpha: np.ndarray) -> np.ndarray:
    """Per-look bars so that, in every scenario, the cumulative crossing is at most ``cum_alpha``."""
    n, k_looks = probs[0].shape
    still = [np.ones(n, dtype=bool) for _ in probs]
    crossed = [0] * len(probs)
    out = np.empty(k_looks)
    for k in range(k_looks):
        bars = []
        for i, p in enumerate(probs):
            allowed = max(0, int(math.floor(cum_alpha[k] * n + 1e-9)) - crossed[i])
            v = np.sort(p[still[i], k])[::-1]
            if allowed >= v.size:
                bars.append(0.0)
            elif allowed == 0:
                bars.append(v[0])
            else:  # midway between the last value allowed above the bar and the first below it
                bars.append(0.5 * (v[allowed - 1] + v[allowed]))
        out[k] = min(max(max(bars), 1e-12), np.nextafter(1.0, 0.0))
        for i, p in enumerate(probs):
            hit = still[i] & (p[:, k] > out[k])
            crossed[i] += int(hit.sum())
            still[i] &= ~hit
    return out


def _separating_hr(hr: np.ndarray, met: np.ndarray) -> float:
    """The observed HR that best separates trials meeting the bar (below) from the rest (above)."""
    ok = np.isfinite(hr)
    hr, met = hr[ok], met[ok]
    if not met.any() or met.all():
        return math.nan
    order = np.argsort(hr)
    h, m = hr[order], met[order]
    # errors when the split is after position j: met trials above it + unmet trials at or below it
    errors = (m.sum() - np.cumsum(m)) + np.cumsum(~m)
    j = int(np.argmin(errors))
    return float(0.5 * (h[j] + h[min(j + 1, h.size - 1)]))


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """The result of :func:`calibrate`.

    Attributes
    ----------
    design : TrialDesign
        The design with each look's success threshold replaced.
    table : pandas.DataFrame
        One row per look: ``events`` (planned, or the simulated mean where a look is not
        event-triggered), ``information``, ``alpha_cumulative`` (the spending target),
        ``threshold``, ``critical_z`` (:math:`\\Phi^{-1}` of the threshold), ``critical_hr`` (the
        normal approximation, valid for a vague prior: for :math:`P(\\mathrm{HR} < v) > c` the
        observed HR below :math:`v \\exp(-z / \\sqrt{p(1-p) D})`, for :math:`P(\\mathrm{HR} > v) > c`
        the one above :math:`v \\exp(z / \\sqrt{p(1-p) D})`; NaN for a rule on another quantity
        or on one interval's HR),
        ``critical_hr_simulated`` (the observed hazard ratio, exponential MLE, that best separates
        the null trials meeting the bar from the rest), ``type1_cumulative`` and ``type1_mcse``
        (on independent trials, the largest over the null scenarios, futility ignored).
    alpha : float
    spending : str or list of float
    scenarios : list of Scenario
    n_trials : int
    engine : str
    seed : object
    """

    design: TrialDesign
    table: pd.DataFrame
    alpha: float
    spending: object
    scenarios: list[Scenario]
    n_trials: int
    engine: str
    seed: object

    @property
    def thresholds(self) -> list[float]:
        """The calibrated success threshold of each look."""
        return self.table["threshold"].tolist()

    def plot(self, ax: Axes | None = None) -> Axes:
        """Critical observed hazard ratio per look."""
        from bayeshcc.plots.search import plot_critical_hr

        return plot_critical_hr(self, ax=ax)

    def __str__(self) -> str:
        return (
            f"CalibrationResult: one-sided alpha {self.alpha:g}, spending {self.spending}, "
            f"{self.n_trials} trials per null scenario ({len(self.scenarios)}), {self.engine} engine, "
            f"seed {self.seed}\n{self.table.to_string()}"
        )


def _check(design, null_scenario, alpha, n_trials, null_grid) -> tuple[float, list[Scenario]]:
    if not isinstance(design, TrialDesign):
        raise SpecError(f"design: expected a TrialDesign, got {type(design).__name__}")
    if not isinstance(null_scenario, Scenario):
        raise SpecError(f"null_scenario: expected a Scenario, got {type(null_scenario).__name__}")
    a = _number("calibrate.alpha", alpha)
    if not 0 < a < 0.5:
        raise SpecError(f"calibrate.alpha: expected a one-sided level in (0, 0.5), got {alpha!r}")
    _int("calibrate.n_trials", n_trials, minimum=100)
    grid = [] if null_grid is None else null_grid
    if isinstance(grid, Scenario) or not isinstance(grid, Sequence):
        raise SpecError(f"calibrate.null_grid: expected a list of Scenario, got {null_grid!r}")
    for i, s in enumerate(grid):
        if not isinstance(s, Scenario):
            raise SpecError(f"calibrate.null_grid[{i}]: expected a Scenario, got {type(s).__name__}")
    if design.endpoint.name != "survival":
        raise SpecError(f"design.analysis: calibrate handles survival designs, got the {design.endpoint} endpoint")
    for i, rule in enumerate(design.success):
        if not isinstance(rule, PosteriorProbability):
            raise SpecError(
                f"TrialDesign.success[{i}]: calibrate needs one posterior-probability rule at every "
                f"look (its threshold is what is calibrated), got {rule}"
            )
    for field, s in [("null_scenario", null_scenario), *((f"calibrate.null_grid[{i}]", s) for i, s in enumerate(grid))]:
        _check_null(field, s, design.success)
    return a, [null_scenario, *grid]


def _check_null(field: str, scenario: Scenario, rules: Sequence[PosteriorProbability]) -> None:
    """SpecError (fixed truth) or a warning (design prior) for a null scenario on a rule's success side."""
    for rule in rules:
        if rule.quantity != "hazard_ratio" or rule.selectors:
            continue
        v = rule.value

        def side(h: np.ndarray, rule: PosteriorProbability = rule) -> np.ndarray:
            return h < rule.value if rule.direction == "<" else h > rule.value

        if scenario.prior is None:
            hr = np.asarray(scenario.hazard_ratios, float)
            if hr.size and np.all(side(hr)):
                raise SpecError(
                    f"{field}: hazard ratio(s) {[float(h) for h in hr]} all {rule.direction} {v:g}, where the "
                    f"success rule {rule} claims benefit; the type I error is held under no benefit, e.g. "
                    f"Scenario.fixed(median=9, hazard_ratio={v:g})"
                )
        else:
            share = float(np.mean(side(scenario.prior.hazard_ratio)))
            if share > 0.5:
                warnings.warn(
                    f"{field}: a design prior with {share:.0%} of its truths {rule.direction} {v:g} (the "
                    f"success side of {rule}); the calibrated type I error is then a probability of "
                    "success mostly under benefit",
                    UserWarning,
                    stacklevel=3,
                )
                return


def _critical_hr(rules: Sequence[PosteriorProbability], z: np.ndarray, p: float, events: np.ndarray) -> np.ndarray:
    """Observed HR at which each look's rule is met under the normal approximation (NaN if not an HR rule)."""
    out = np.full(len(rules), np.nan)
    for k, rule in enumerate(rules):
        if rule.quantity == "hazard_ratio" and not rule.selectors:
            sign = -1.0 if rule.direction == "<" else 1.0
            out[k] = rule.value * math.exp(sign * z[k] / math.sqrt(p * (1 - p) * events[k]))
    return out


def calibrate(
    design: TrialDesign,
    null_scenario: Scenario,
    *,
    alpha: float = 0.025,
    n_trials: int = 10_000,
    seed: int | np.random.SeedSequence,
    spending: Literal["obrien_fleming", "pocock"] | Sequence[float] = "obrien_fleming",
    null_grid: Sequence[Scenario] | None = None,
    engine: Literal["conjugate", "laplace", "mcmc"] | Engine = "laplace",
) -> CalibrationResult:
    """Success thresholds per look that hold the simulated one-sided type I error at ``alpha``.

    Parameters
    ----------
    design : TrialDesign
        Survival design with a :class:`~bayeshcc.PosteriorProbability` success rule at every look;
        each rule keeps its quantity, direction and value, and gets a new threshold.
    null_scenario : Scenario
        A scenario without benefit (e.g. ``Scenario.fixed(median=9, hazard_ratio=1)``): SpecError
        for a fixed truth whose hazard ratios are all on the success side of a hazard-ratio rule's
        value (a warning for a design prior with most of its truths there).
    alpha : float, default 0.025
        One-sided type I error of the whole design.
    n_trials : int, default 10000
        Null trials per scenario, for calibration and again (independent) for the check.
    seed : int or SeedSequence
        Calibration trials use the root's child 0 of each scenario, the check child 1.
    spending : {"obrien_fleming", "pocock"} or sequence of float, default "obrien_fleming"
        Lan-DeMets spending at the information fractions (planned events over the final look's;
        the simulated mean events where a look is not event-triggered), or the cumulative alpha per
        look.
    null_grid : sequence of Scenario, optional
        Further null scenarios (e.g. other control medians): each threshold is the largest any
        scenario needs, so the type I error is held in all of them.
    engine : {"conjugate", "laplace", "mcmc"} or Engine, default "laplace"

    Returns
    -------
    CalibrationResult

    Notes
    -----
    Each look's bar is chosen on the trials still running under non-binding futility: the
    cumulative number crossing by look ``k`` is ``floor(alpha_k n)``, the bar midway between the
    posterior probabilities either side of it. The bar's own Monte Carlo error is that of a
    quantile: on the z scale about :math:`\\sqrt{a(1-a)/n} / \\phi(z)` for a look spending
    :math:`a`, large at an O'Brien-Fleming first look (few trials cross): raise ``n_trials`` there.
    """
    a, scenarios = _check(design, null_scenario, alpha, n_trials, null_grid)
    eng = get_engine(engine)
    for s in scenarios:
        design.endpoint.check_scenario(design, s)
    eng.check(design)
    k_looks = len(design.analyses)
    planned = [x.events for x in design.analyses]
    if not isinstance(spending, str):  # checked before simulating: its length does not need trials
        cumulative_alpha(np.linspace(0, 1, k_looks + 1)[1:], a, spending, "calibrate.spending")
    elif spending not in ("obrien_fleming", "pocock"):
        cumulative_alpha(np.ones(1), a, spending, "calibrate.spending")
    root = _random.seed_sequence(seed)
    runs = [
        [look_probabilities(design, s, eng, n_trials, _random.stream(_random.stream(root, i), j)) for j in (0, 1)]
        for i, s in enumerate(scenarios)
    ]
    if all(e is not None for e in planned):
        events = np.asarray(planned, float)
    else:
        events = np.nanmean(runs[0][0]["events"], axis=0)
    info = events / events[-1]
    cum = cumulative_alpha(info, a, spending, "calibrate.spending")
    bars = _thresholds([r[0]["prob"] for r in runs], cum)
    z = stats.norm.ppf(bars)
    p = design.p_treatment
    check = []
    for r in runs:
        met = r[1]["prob"] > bars
        check.append(np.logical_or.accumulate(met, axis=1).mean(axis=0))
    worst = np.max(check, axis=0)
    cal = runs[0][0]
    table = pd.DataFrame(
        {
            "events": events,
            "information": info,
            "alpha_cumulative": cum,
            "threshold": bars,
            "critical_z": z,
            "critical_hr": _critical_hr(design.success, z, p, events),
            "critical_hr_simulated": [
                _separating_hr(cal["hr"][:, k], cal["prob"][:, k] > bars[k]) for k in range(k_looks)
            ],
            "type1_cumulative": worst,
            "type1_mcse": np.sqrt(np.maximum(worst * (1 - worst), 0.25 / n_trials) / n_trials),
        },
        index=pd.Index(range(1, k_looks + 1), name="analysis"),
    )
    rules = [
        PosteriorProbability(r.quantity, r.direction, r.value, threshold=float(b), **r.selectors)
        for r, b in zip(design.success, bars, strict=True)
    ]
    return CalibrationResult(
        design=dataclasses.replace(design, success=rules),
        table=table,
        alpha=a,
        spending=spending if isinstance(spending, str) else list(spending),
        scenarios=scenarios,
        n_trials=n_trials,
        engine=eng.name,
        seed=seed,
    )
