"""Sample-size search: the smallest number of events or patients that reaches a power or assurance.

:func:`find_sample_size` simulates a coarse grid of sizes, fits a probit curve of success on the
square root of the size (levelling off below 1 for assurance), and spends further trials near where
the curve crosses the target; the chosen size, its probability of success and the curve all carry
their Monte Carlo error.
Analytic starting points: :func:`~bayeshcc.design.spending.required_events` and
:func:`~bayeshcc.design.spending.required_patients`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from bayeshcc import _random
from bayeshcc.design._curve import SuccessCurve
from bayeshcc.design._mcse import proportion_of
from bayeshcc.design._validate import _int, _number
from bayeshcc.design.engines import Engine
from bayeshcc.design.scenario import Scenario
from bayeshcc.design.simulate import simulate
from bayeshcc.design.trial import TrialDesign
from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SampleSizeResult", "find_sample_size", "resize"]

Vary = Literal["events", "n_patients"]
TARGETS = ("power", "assurance")


def resize(design: TrialDesign, vary: Vary, size: int) -> TrialDesign:
    """``design`` with ``size`` final events (``vary="events"``) or patients (``"n_patients"``).

    ``"events"`` scales the event target of every event-triggered look by ``size / final events``
    (information fractions kept, rounded to whole events); ``"n_patients"`` sets ``n_patients``
    and scales patient-triggered looks the same way. Other fields are kept; the new design is
    validated like any other (SpecError naming the field).
    """
    if vary == "events":
        final = design.analyses[-1].events
        looks = [
            a if a.events is None else dataclasses.replace(a, events=max(1, round(a.events * size / final)))
            for a in design.analyses
        ]
        return dataclasses.replace(design, analyses=looks)
    n0 = design.n_patients
    looks = [
        a if a.patients is None else dataclasses.replace(a, patients=max(1, round(a.patients * size / n0)))
        for a in design.analyses
    ]
    return dataclasses.replace(design, n_patients=size, analyses=looks)


def _check(design, scenario, target, vary, lower, upper, n_trials, grid, rounds) -> tuple[str, float]:
    if not isinstance(design, TrialDesign):
        raise SpecError(f"design: expected a TrialDesign, got {type(design).__name__}")
    if not isinstance(scenario, Scenario):
        raise SpecError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    if not isinstance(target, tuple | list) or len(target) != 2 or target[0] not in TARGETS:
        raise SpecError(
            f"find_sample_size.target: expected ('power', p) or ('assurance', p), got {target!r}"
        )
    value = _number("find_sample_size.target[1]", target[1])
    if not 0 < value < 1:
        raise SpecError(f"find_sample_size.target[1]: expected a probability in (0, 1), got {target[1]!r}")
    if target[0] == "power" and scenario.prior is not None:
        raise SpecError(
            f"find_sample_size.target: {tuple(target)!r} with a design-prior scenario ({scenario}); power is "
            "the probability of success at one fixed truth: use ('assurance', p) to average over the design "
            "prior, or scenario.at_median() for power at its median truth"
        )
    if target[0] == "assurance" and scenario.prior is None:
        raise SpecError(
            f"find_sample_size.target: {tuple(target)!r} with a fixed scenario ({scenario}); assurance "
            "averages the probability of success over a design prior (Scenario.from_fit or "
            "Scenario.from_prior): use ('power', p) for a fixed truth"
        )
    if vary not in ("events", "n_patients"):
        raise SpecError(f"find_sample_size.vary: expected 'events' or 'n_patients', got {vary!r}")
    lo, hi = _int("find_sample_size.lower", lower), _int("find_sample_size.upper", upper)
    if lo >= hi:
        raise SpecError(f"find_sample_size.lower: {lo} is not below upper={hi}; expected lower < upper")
    _int("find_sample_size.n_trials", n_trials, minimum=10)
    _int("find_sample_size.grid", grid, minimum=3)
    _int("find_sample_size.rounds", rounds, minimum=0)
    if vary == "events" and design.analyses[-1].events is None:
        raise SpecError(
            f"find_sample_size.vary: 'events' needs an event-triggered final analysis, got "
            f"{design.analyses[-1]}"
        )
    if vary == "n_patients" and all(a.events is not None and a.max_months is None for a in design.analyses):
        raise SpecError(
            "find_sample_size.vary: with every look triggered by events alone the number of patients "
            "changes the trial's duration, not its information; use vary='events'"
        )
    for name, size in (("lower", lo), ("upper", hi)):
        try:
            resize(design, vary, size)
        except SpecError as err:
            raise SpecError(f"find_sample_size.{name}: {vary}={size} gives an invalid design: {err}") from None
    return str(target[0]), value


@dataclass(frozen=True, eq=False)
class SampleSizeResult:
    """The result of :func:`find_sample_size`.

    Attributes
    ----------
    size : int or None
        The smallest size whose fitted probability of success reaches the target (None when not
        reached by ``upper``; ``lower`` when already reached there: see ``status``).
    p_success, mcse : float
        Fitted probability of success at ``size`` and its Monte Carlo standard error.
    crossing, size_mcse : float
        The (continuous) size where the fitted curve crosses the target, and its Monte Carlo
        standard error.
    status : {"found", "below_lower", "above_upper", "flat"}
    target : (str, float)
    vary : {"events", "n_patients"}
    curve : pandas.DataFrame
        One row per simulated size: ``size, p_success, mcse, n_trials`` (pooled over rounds) and
        ``p_fitted``.
    fitted : pandas.DataFrame
        The fitted curve on a fine grid of the sizes it was fitted to: ``size, p_success, mcse``.
    model : str
        The form fitted (see :func:`find_sample_size`, Notes).
    level : float
        The probability of success the fitted curve tends to as the size grows (assurance: at
        most the design prior's probability of benefit plus the type I error).
    lack_of_fit : float
        p-value of the Pearson test of the fitted curve against the simulated points it was
        fitted to (NaN without degrees of freedom); every MCSE above already includes the
        widening by the Pearson dispersion when it exceeds 1.
    design : TrialDesign or None
        The design at ``size``.
    engine, seed
        As passed to :func:`~bayeshcc.simulate`.
    """

    size: int | None
    p_success: float
    mcse: float
    crossing: float
    size_mcse: float
    status: str
    target: tuple[str, float]
    vary: str
    curve: pd.DataFrame
    fitted: pd.DataFrame
    model: str
    level: float
    lack_of_fit: float
    design: TrialDesign | None
    engine: str
    seed: object

    def plot(self, ax: Axes | None = None) -> Axes:
        """The simulated points with MC error bars, the fitted curve, the target and the size."""
        from bayeshcc.plots.search import plot_sample_size

        return plot_sample_size(self, ax=ax)

    def __str__(self) -> str:
        kind, value = self.target
        what = "events" if self.vary == "events" else "patients"
        head = {
            "found": f"{self.size} {what}: {kind} {self.p_success:.3f} (MCSE {self.mcse:.3f}); the "
            f"fitted curve crosses {value:g} at {self.crossing:.1f} (MCSE {self.size_mcse:.1f})",
            "below_lower": f"{kind} {value:g} is already reached at lower={self.size} {what} "
            f"({self.p_success:.3f}, MCSE {self.mcse:.3f}); the smallest size may be below it",
            "above_upper": f"{kind} {value:g} is not reached by upper={self.curve['size'].max()} {what}"
            + (f" (the fitted curve levels off at {self.level:.3f})" if kind == "assurance" and self.level < value
               else ""),
            "flat": f"{kind} does not increase with {what} over the range searched",
        }[self.status]
        if self.lack_of_fit < 0.01:
            head += (f"\nThe fitted curve misses the simulated points (lack-of-fit p = {self.lack_of_fit:.2g}): "
                     "its MCSEs are widened by the dispersion; check the points against the curve (plot)")
        return f"SampleSizeResult ({self.engine} engine, seed {self.seed}): {head}\n{self.curve.to_string(index=False)}"


def find_sample_size(
    design: TrialDesign,
    scenario: Scenario,
    *,
    target: tuple[Literal["power", "assurance"], float] = ("power", 0.9),
    vary: Vary = "events",
    lower: int,
    upper: int,
    n_trials: int = 1000,
    seed: int | np.random.SeedSequence,
    engine: Literal["conjugate", "laplace", "mcmc"] | Engine = "laplace",
    grid: int = 5,
    rounds: int = 2,
) -> SampleSizeResult:
    """The smallest number of final events or patients whose probability of success reaches a target.

    Parameters
    ----------
    design : TrialDesign
        The design to resize (see :func:`resize`); every other field is kept.
    scenario : Scenario
        Fixed effects with ``target=("power", p)``, a design prior with ``("assurance", p)``
        (SpecError naming ``target`` otherwise); the probability of success is what
        :func:`~bayeshcc.simulate` reports either way.
    target : ("power" or "assurance", float), default ("power", 0.9)
    vary : {"events", "n_patients"}, default "events"
    lower, upper : int
        Range of sizes searched.
    n_trials : int, default 1000
        Trials per simulated size.
    seed : int or SeedSequence
        Simulation ``i`` of the search uses the root's child ``i``, so the search is reproducible.
    engine : {"conjugate", "laplace", "mcmc"} or Engine, default "laplace"
    grid : int, default 5
        Sizes of the first, coarse pass (equally spaced from ``lower`` to ``upper``).
    rounds : int, default 2
        Refinement rounds; each simulates ``n_trials`` at the fitted crossing and at two Monte
        Carlo standard errors either side of it.

    Returns
    -------
    SampleSizeResult

    Notes
    -----
    Power is modelled as :math:`\\Phi(a + b \\sqrt{\\text{size}})`, the normal-approximation form
    for a fixed effect and one analysis (power :math:`\\Phi(|\\log \\mathrm{HR}| \\sqrt{p(1-p)d} -
    z_{1-\\alpha})`; approximate with interim looks or an informative analysis prior), fitted to the
    simulated trials within the bracket around the crossing (the coarse points either side of it,
    one more beyond each, and the refinement points), where a probit line in the square root of
    the size is close to any smooth power curve. Assurance levels off below 1, at the design
    prior's probability of benefit (plus the type I error), so it is modelled as
    :math:`\\Phi((a + b \\sqrt{\\text{size}}) / \\sqrt{1 + c\\, \\text{size}})`, :math:`c \\ge 0`,
    fitted to every simulated size: the form of the normal-approximation assurance under a normal
    design prior on the log hazard ratio (O'Hagan, Stevens and Campbell 2005), approximate for
    other design priors (a mixture, a response endpoint). Both are binomial maximum-likelihood
    fits with half a success and half a failure added at each size (finite when proportions are 0,
    1 or separated); the standard errors come from the inverse Fisher information (delta method),
    widened by the Pearson dispersion when the curve fits the simulated points worse than
    binomial noise (``lack_of_fit`` reports the test). Each refinement adds trials where the curve
    crosses the target, which is where its error matters.
    """
    kind, value = _check(design, scenario, target, vary, lower, upper, n_trials, grid, rounds)
    root = _random.seed_sequence(seed)
    wins: dict[int, int] = {}
    runs: dict[int, int] = {}
    calls = 0
    engine_name = engine if isinstance(engine, str) else getattr(engine, "name", str(engine))

    def run(size: int) -> None:
        nonlocal calls
        res = simulate(
            resize(design, vary, size), scenario, n_trials=n_trials,
            seed=_random.stream(root, calls), engine=engine, progress=False,
        )
        calls += 1
        wins[size] = wins.get(size, 0) + int((res.trials["decision"].values == 1).sum())
        runs[size] = runs.get(size, 0) + n_trials

    coarse = np.unique(np.round(np.linspace(lower, upper, grid)).astype(int))
    for s in coarse:
        run(int(s))

    def fit() -> SuccessCurve:
        sizes = np.array(sorted(runs))
        use = sizes
        if kind == "power":  # the bracket around the crossing: one coarse point beyond each side
            p = np.array([wins[s] / runs[s] for s in coarse])
            below, above = coarse[p < value], coarse[p >= value]
            lo = below.max() if below.size else sizes.min()
            hi = above[above > lo].min() if (above > lo).any() else sizes.max()
            lo = coarse[max(0, np.searchsorted(coarse, lo) - 1)]
            hi = coarse[min(len(coarse) - 1, np.searchsorted(coarse, hi) + 1)]
            use = sizes[(sizes >= lo) & (sizes <= hi)]
        return SuccessCurve(use, np.array([wins[s] for s in use], float), np.array([runs[s] for s in use], float),
                            plateau=kind == "assurance")

    curve = fit()
    for _ in range(rounds):
        cross, se = curve.crossing(value)
        if not (lower <= cross <= upper):
            break
        spread = 2 * se if np.isfinite(se) else 0.0
        for s in {round(cross), round(cross - spread), round(cross + spread)}:
            run(int(min(max(s, lower), upper)))
        curve = fit()
    cross, size_se = curve.crossing(value)
    observed = np.array([wins[s] / runs[s] for s in sorted(runs)])
    if curve.predict(lower)[0][0] >= value:
        status, size = "below_lower", lower
    elif np.isfinite(cross):
        status, size = ("found", max(lower, int(math.ceil(cross - 1e-9)))) if cross <= upper else ("above_upper", None)
    elif curve.increasing() or np.all(observed < value):
        status, size = "above_upper", None  # the curve levels off below the target, or never nears it
    else:
        status, size = "flat", None
    p_hat, mcse = (math.nan, math.nan) if size is None else (float(v[0]) for v in curve.predict(size))
    sizes = np.array(sorted(runs))
    rows = [(s, *proportion_of(wins[s], runs[s]), runs[s]) for s in sizes]
    table = pd.DataFrame(rows, columns=["size", "p_success", "mcse", "n_trials"])
    table["p_fitted"] = curve.predict(sizes)[0]
    fine = np.linspace(*curve.window, 200)
    pf, sf = curve.predict(fine)
    fitted = pd.DataFrame({"size": fine, "p_success": pf, "mcse": sf})
    return SampleSizeResult(
        size=size, p_success=p_hat, mcse=mcse, crossing=float(cross), size_mcse=float(size_se), status=status,
        target=(kind, value), vary=vary, curve=table, fitted=fitted, model=curve.label, level=curve.level(),
        lack_of_fit=curve.lack_of_fit, design=None if size is None else resize(design, vary, size), engine=engine_name, seed=seed,
    )
