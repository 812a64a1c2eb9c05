"""Assurance next to power, and several endpoints' designs simulated on shared per-trial truths.

:func:`assurance` simulates a design under a design prior and under the prior's median truth (the
power a fixed-effect calculation would quote), with the same seed. :func:`simulate_joint` runs a
survival design and a response design (or any designs) on the same per-trial truths of a joint
design prior and reports the probability that trial ``i`` succeeds on one or all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc import _random
from bayeshcc.design._mcse import _proportion
from bayeshcc.design.design_prior import TRUTH_KEY
from bayeshcc.design.engines import get_engine
from bayeshcc.design.oc import SimulationResult
from bayeshcc.design.scenario import Scenario
from bayeshcc.design.simulate import simulate
from bayeshcc.design.trial import TrialDesign
from bayeshcc.errors import SpecError

__all__ = ["AssuranceResult", "JointResult", "assurance", "simulate_joint"]


def _table_attrs(result: SimulationResult) -> dict:
    t = result.trials
    return {k: t.attrs[k] for k in ("scenario", "design_prior", "discount", "engine", "seed", "looks") if k in t.attrs} \
        | {"n_trials": result.n_trials}


@dataclass(frozen=True)
class AssuranceResult:
    """Assurance under a design prior beside power at its median truth.

    Attributes
    ----------
    under_prior : SimulationResult
        Trials each with its own truth from the design prior.
    at_median : SimulationResult
        Trials at the design prior's componentwise median truth (``scenario.at_median()``).
    """

    under_prior: SimulationResult
    at_median: SimulationResult

    def table(self) -> pd.DataFrame:
        """One table: ``assurance``, ``power_at_median_truth``, ``prior_prob_benefit``,
        ``p_success_given_benefit``, ``p_success_given_no_benefit`` and (among successful trials)
        ``median_estimate_vs_truth`` (survival: estimated / true HR; response: estimated - true
        difference), with columns ``estimate`` and ``mcse``; the design prior, discount, engine,
        seed and trials in ``attrs``."""
        a = self.under_prior.assurance()
        power = self.at_median.operating_characteristics().loc["overall", ["p_success", "p_success_mcse"]]
        est = self.under_prior.estimates_among_successes(quantiles=[0.5])
        key = "median_ratio" if "median_ratio" in est.attrs else "median_difference"
        rows = [a.loc[["assurance"]],
                pd.DataFrame([power.to_numpy()], index=["power_at_median_truth"], columns=a.columns),
                a.drop(index="assurance"),
                pd.DataFrame([[est.attrs[key], est.attrs[f"{key}_mcse"]]], index=["median_estimate_vs_truth"],
                             columns=a.columns)]
        table = pd.concat(rows)
        table.index.name = "quantity"
        table.attrs.update(_table_attrs(self.under_prior), benefit=a.attrs["benefit"],
                           median_truth=str(self.at_median.scenario),
                           estimate_vs_truth="estimated / true HR" if key == "median_ratio"
                           else "estimated - true risk difference")
        return table

    def __repr__(self) -> str:
        t = self.table()
        return (f"AssuranceResult: {self.under_prior.n_trials} trials per scenario, engine "
                f"{self.under_prior.engine!r}, seed {self.under_prior.seed}\n{self.under_prior.scenario}\n"
                f"median truth: {self.at_median.scenario}\n{t.to_string(float_format=lambda v: f'{v:.4g}')}")


def assurance(
    design: TrialDesign,
    scenario: Scenario,
    *,
    n_trials: int,
    seed: int | np.random.SeedSequence | np.random.Generator,
    engine: str = "laplace",
    progress: bool = False,
) -> AssuranceResult:
    """Assurance under a design prior and power at its median truth, from one seed.

    Parameters
    ----------
    design : TrialDesign
    scenario : Scenario
        With a design prior (:meth:`Scenario.from_fit` or :meth:`Scenario.from_prior`).
    n_trials : int
        Trials per run (two runs).
    seed : int, SeedSequence or Generator
        Both runs use it (common random numbers for the patients: the comparison is sharper).
    engine : {"conjugate", "laplace", "mcmc"} or Engine, default "laplace"
    progress : bool, default False

    Returns
    -------
    AssuranceResult
        ``.table()`` puts assurance, power and the rest side by side.
    """
    if not isinstance(scenario, Scenario) or scenario.prior is None:
        raise SpecError("scenario: assurance needs a design prior (bh.Scenario.from_fit or bh.Scenario.from_prior); "
                        f"got {scenario}; for power at a fixed truth use bh.simulate")
    # a Generator would advance between the runs: both use the one stream it gives now
    same = _random.seed_sequence(seed) if isinstance(seed, np.random.Generator) else seed
    kw = {"n_trials": n_trials, "seed": same, "engine": engine, "progress": progress}
    return AssuranceResult(simulate(design, scenario, **kw), simulate(design, scenario.at_median(), **kw))


@dataclass(frozen=True)
class JointResult:
    """Several designs simulated on the same per-trial truths.

    Attributes
    ----------
    results : dict of str -> SimulationResult
        One per design, trial ``i`` of each having the same truth.
    require : str
        ``"both"`` (every design succeeds), ``"any"`` or one design's name.
    """

    results: dict[str, SimulationResult]
    require: str

    def success(self) -> np.ndarray:
        """Whether each trial meets ``require``, shape ``(trial,)``."""
        wins = np.stack([r.trials["decision"].values == 1 for r in self.results.values()])
        if self.require == "both":
            return wins.all(axis=0)
        if self.require == "any":
            return wins.any(axis=0)
        return wins[list(self.results).index(self.require)]

    def table(self) -> pd.DataFrame:
        """P(success) of each design and of ``require`` (``joint``), with MCSEs; for a design prior
        these are assurances. ``attrs`` states the scenario, discount, seed and requirement."""
        wins = np.stack([r.trials["decision"].values == 1 for r in self.results.values()])
        rows = {name: _proportion(w) for name, w in zip(self.results, wins, strict=True)}
        rows["all"], rows["any"] = _proportion(wins.all(0)), _proportion(wins.any(0))
        rows[f"joint (require={self.require!r})"] = _proportion(self.success())
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["p_success", "mcse"])
        table.index.name = "design"
        first = next(iter(self.results.values()))
        table.attrs.update(_table_attrs(first), require=self.require)
        return table

    def __repr__(self) -> str:
        first = next(iter(self.results.values()))
        return (f"JointResult: {first.n_trials} trials, require {self.require!r}\n{first.scenario}\n"
                f"{self.table().to_string(float_format=lambda v: f'{v:.4g}')}")


def simulate_joint(
    designs: Mapping[str, TrialDesign],
    scenario: Scenario,
    *,
    require: str = "both",
    n_trials: int,
    seed: int | np.random.SeedSequence | np.random.Generator,
    engine: str | Mapping[str, str] = "laplace",
    progress: bool = False,
) -> JointResult:
    """Simulate several designs (e.g. OS and response) on shared per-trial truths.

    Parameters
    ----------
    designs : mapping of str -> TrialDesign
        E.g. ``{"os": survival_design, "response": response_design}``; each reads its endpoint's
        part of ``scenario`` (:meth:`Scenario.for_endpoint`).
    scenario : Scenario
        Joint truths, e.g. ``Scenario.from_fit({"os": os_fit, "response": resp_fit}, ...)`` (draws
        paired by index), or a fixed scenario with both parts.
    require : str, default "both"
        What trial success means: ``"both"`` (every design), ``"any"``, or one design's name.
    n_trials : int
    seed : int, SeedSequence or Generator
    engine : str or mapping of str -> str, default "laplace"
        One engine for all designs or one per design name.
    progress : bool, default False

    Returns
    -------
    JointResult

    Notes
    -----
    Trial ``i`` of every design has the same truth (the same draw of the design prior: its
    truth stream is shared), and patients, accrual and outcomes of each design come from streams of
    their own, so given the truth the endpoints' data are independent (no patient-level
    correlation between OS and response is modelled).
    """
    if not isinstance(designs, Mapping) or not designs:
        raise SpecError(f"designs: expected a mapping of names to TrialDesign, got {designs!r}")
    for name, d in designs.items():
        if not isinstance(d, TrialDesign):
            raise SpecError(f"designs[{name!r}]: expected a TrialDesign, got {type(d).__name__}")
    if require not in ("both", "any", *designs):
        raise SpecError(f"require: expected 'both', 'any' or a design's name {list(designs)}, got {require!r}")
    if not isinstance(scenario, Scenario):
        raise SpecError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    engines = dict(engine) if isinstance(engine, Mapping) else dict.fromkeys(designs, engine)
    missing = sorted(set(designs) - set(engines))
    if missing:
        raise SpecError(f"engine: no engine for design(s) {missing}; give one engine or one per design")
    root = _random.seed_sequence(seed)
    parts = {name: scenario.for_endpoint(d.endpoint.name)._pinned(root) for name, d in designs.items()}
    for name, d in designs.items():  # every design checked before any is simulated
        d.endpoint.check_scenario(d, parts[name])
        get_engine(engines[name]).check(d)
    results = {}
    for j, (name, d) in enumerate(designs.items()):
        own = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, TRUTH_KEY, j), pool_size=root.pool_size)
        results[name] = simulate(d, parts[name], n_trials=n_trials, seed=own, engine=engines[name], progress=progress)
    return JointResult(results, require)

