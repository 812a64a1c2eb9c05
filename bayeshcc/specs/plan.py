"""Planning specs: a design spec (:mod:`bayeshcc.specs.design`) with a list of scenarios and the
planner's questions.

On top of ``[design]`` and ``[simulation]``:

``[scenario]`` or ``[[scenarios]]``
    One truth, or several, each with a ``name``. A scenario is one of:

    - fixed: :meth:`Scenario.fixed <bayeshcc.Scenario.fixed>`'s keywords (``median``, ``hazards``,
      ``cutpoints``, ``hazard_ratio``, ``cure_fraction``, ``response_rates``);
    - a design prior written by hand (:meth:`Scenario.from_prior <bayeshcc.Scenario.from_prior>`):
      ``log_hr = { dist = "normal", mu = -0.36, sigma = 0.15 }`` with the control arm (``median`` or
      ``hazards``), or ``response_rates = { control = { dist = "beta", ... }, treatment = ... }``,
      and optionally ``draws``;
    - a design prior from a fitted study (:meth:`Scenario.from_fit <bayeshcc.Scenario.from_fit>`):
      ``from_fit = "huang2022_os.toml"`` (a fit spec, relative to this file), optionally ``run``
      (which of its fits), ``arms = { control = ..., treatment = ... }``, ``discount = { method =
      "power", a0 = 0.5 }`` or ``{ method = "mixture", weight = 0.5, log_hr = {...} }`` (required:
      the discount is always stated) and ``draws``.
``[simulation]``
    Also ``backend`` (``"local"``, ``"dask"`` or a scheduler address) and ``workers``.
``[logrank]``
    Simulate the same design with the log-rank test as its success rule beside the Bayesian one:
    :class:`~bayeshcc.LogRank`'s ``alpha`` and ``spending`` or ``critical_values``. Futility rules
    are kept unless they are predictive (a log-rank final cannot be predicted).
``[calibrate]``
    :func:`~bayeshcc.calibrate`'s ``alpha``, ``spending``, ``n_trials``; ``null_scenario`` (a
    scenario name) and ``null_grid`` (more names). The calibrated thresholds replace the design's.
``[search]``
    :func:`~bayeshcc.find_sample_size`'s ``target`` (``["power", 0.9]`` or ``["assurance", 0.8]``),
    ``vary``, ``lower``, ``upper``, ``n_trials``, ``grid``, ``rounds`` and ``scenario`` (a name).
``[grid]``
    :func:`~bayeshcc.simulate_grid` over lists of values (any :meth:`Scenario.fixed` keyword or
    design field), from the fixed scenario ``scenario`` (a name), with ``n_trials``.

Every problem is a :class:`~bayeshcc.errors.SpecError` naming the dotted key, raised before anything
is fitted or simulated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bayeshcc._toml import NUMBER, check_table, read_toml
from bayeshcc.design import LogRank, Scenario, TrialDesign
from bayeshcc.design.discount import discount_from_dict
from bayeshcc.errors import SpecError
from bayeshcc.models.priors import Normal, prior_from_dict
from bayeshcc.specs.design import _LOGRANK_KEYS as _RULE_LOGRANK_KEYS
from bayeshcc.specs.design import _SCENARIO_KEYS, _build, _design, _simulation
from bayeshcc.specs.overrides import apply_overrides

__all__ = ["FitScenario", "Plan", "load_plan", "logrank_design"]

_FIT_SCENARIO_KEYS = {"name": str, "from_fit": str, "run": str, "arms": dict, "discount": dict, "draws": int}
_PRIOR_SCENARIO_KEYS = {**_SCENARIO_KEYS, "name": str, "log_hr": dict, "draws": int}
_LOGRANK_KEYS = {k: v for k, v in _RULE_LOGRANK_KEYS.items() if k != "type"}  # [logrank]: the rule's keys
_CALIBRATE_KEYS = {"alpha": NUMBER, "spending": (str, list), "n_trials": int, "null_scenario": str,
                   "null_grid": list, "__lists_of_tables__": ("null_grid",)}  # (lists of names: checked below)
_SEARCH_KEYS = {"target": list, "vary": str, "lower": int, "upper": int, "n_trials": int, "grid": int,
                "rounds": int, "scenario": str, "__lists_of_tables__": ("target",)}  # (checked below)
_TOP_KEYS = {"title": str, "description": str, "design": dict, "scenario": dict, "scenarios": list,
             "simulation": dict, "logrank": dict, "calibrate": dict, "search": dict, "grid": dict,
             "__lists_of_tables__": ("scenarios",)}


@dataclass(frozen=True)
class FitScenario:
    """A design prior to be built from a fitted study (the fit runs in the job, not the reader).

    Attributes
    ----------
    spec : Path
        The fit spec (``models/*.toml``).
    run : str or None
        Which of the spec's fits (its run key) when it has several.
    arms : dict or None
        ``{"control": ..., "treatment": ...}`` in the fit's arm labels.
    discount : PowerPrior or RobustMixture
    draws : int or None
    """

    spec: Path
    run: str | None
    arms: dict[str, str] | None
    discount: Any
    draws: int | None

    def __str__(self) -> str:
        return f"design prior from {self.spec.name}{f' [{self.run}]' if self.run else ''}, discount {self.discount}"


@dataclass(frozen=True)
class Plan:
    """A validated planning spec.

    Attributes
    ----------
    title : str
    design : TrialDesign
    scenarios : dict of str -> Scenario or FitScenario
        In spec order; a single ``[scenario]`` is named ``"scenario"``.
    simulation : dict
        ``n_trials``, ``seed``, ``engine`` (name or Engine), ``chunk_size``, ``backend``, ``workers``
        as given.
    logrank : LogRank or None
    calibrate, search, grid : dict or None
        The sections' keywords, scenario names resolved to names that exist.
    """

    title: str
    design: TrialDesign
    scenarios: dict[str, Scenario | FitScenario]
    simulation: dict[str, Any]
    logrank: LogRank | None = None
    calibrate: dict[str, Any] | None = None
    search: dict[str, Any] | None = None
    grid: dict[str, Any] | None = None
    path: Path = field(default=Path("."))


def _scenario(table: dict, path: str, base: Path, seed: int) -> Scenario | FitScenario:
    if "from_fit" in table:
        t = check_table(table, path, _FIT_SCENARIO_KEYS, ("from_fit", "discount"))
        spec = (base / t["from_fit"]).resolve()
        from bayeshcc.specs.fit import load_fit_spec

        fit_spec = _build(f"{path}.from_fit", lambda: load_fit_spec(spec))
        keys = [r.key for r in fit_spec.runs]
        run = t.get("run")
        if run is None and len(keys) > 1:
            raise SpecError(f"{path}.run: {t['from_fit']} fits {keys}; name the one to draw truths from")
        if run is not None and run not in keys:
            raise SpecError(f"{path}.run: {run!r} is not a fit of {t['from_fit']}; expected one of {keys}")
        arms = t.get("arms")
        if arms is not None:
            arms = check_table(arms, f"{path}.arms", {"control": str, "treatment": str}, ("control", "treatment"))
        discount = discount_from_dict(t["discount"], field=f"{path}.discount")
        if "draws" in t and t["draws"] < 1:
            raise SpecError(f"{path}.draws: expected a positive whole number of posterior draws, got {t['draws']}")
        return FitScenario(spec, run, dict(arms) if arms else None, discount, t.get("draws"))
    rates = table.get("response_rates")
    if rates is not None and not isinstance(rates, dict):
        raise SpecError(f"{path}.response_rates: expected a table {{ control = ..., treatment = ... }} of rates or "
                        f"priors, got {rates!r}")
    is_prior = "log_hr" in table or any(isinstance(v, dict) for v in (rates or {}).values())
    if is_prior:
        t = dict(check_table(table, path, _PRIOR_SCENARIO_KEYS))
        t.pop("name", None)
        if "log_hr" in t:
            t["log_hr"] = prior_from_dict(t["log_hr"], field=f"{path}.log_hr")
        if "response_rates" in t:
            t["response_rates"] = {
                arm: prior_from_dict(v, field=f"{path}.response_rates.{arm}") if isinstance(v, dict) else v
                for arm, v in t["response_rates"].items()
            }
        if "hazard_ratio" in t:
            raise SpecError(f"{path}.hazard_ratio: a design prior draws the hazard ratio from log_hr; give one of them")
        return _build(path, Scenario.from_prior, seed=seed, **t)
    t = dict(check_table(table, path, {**_SCENARIO_KEYS, "name": str}))
    t.pop("name", None)
    return _build(path, Scenario.fixed, **t)


def _scenarios(raw: dict, base: Path, seed: int) -> dict[str, Scenario | FitScenario]:
    if "scenario" in raw and "scenarios" in raw:
        raise SpecError("scenario / scenarios: give one [scenario] table or a list of [[scenarios]], not both")
    if "scenario" in raw:
        return {"scenario": _scenario(raw["scenario"], "scenario", base, seed)}
    if not raw.get("scenarios"):
        raise SpecError("scenarios: a design spec needs a [scenario] table or at least one [[scenarios]] entry")
    out: dict[str, Scenario | FitScenario] = {}
    for i, table in enumerate(raw["scenarios"]):
        path = f"scenarios[{i}]"
        name = table.get("name") if isinstance(table, dict) else None
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            raise SpecError(f"{path}.name: every scenario in a list needs a name of letters, digits, '.', '_' "
                            f"or '-' (it names output files), e.g. name = \"null\"; got {name!r}")
        if name in out:
            raise SpecError(f"{path}.name: {name!r} is used twice; scenario names must differ")
        out[name] = _scenario(table, f"{path}", base, seed)
    return out


def _named(value: object, path: str, scenarios: dict) -> str:
    if value not in scenarios:
        raise SpecError(f"{path}: {value!r} is not a scenario of this spec; expected one of {list(scenarios)}")
    return value


def _pick(table: dict, key: str, path: str, scenarios: dict) -> str:
    """The scenario ``table[key]`` names (the only one when the spec has one)."""
    if key in table:
        return _named(table.pop(key), path, scenarios)
    if len(scenarios) == 1:
        return next(iter(scenarios))
    raise SpecError(f"{path}: the spec has several scenarios {list(scenarios)}; name one")


def load_plan(path: str | Path, *, sets: Sequence[str] = (), seed: int | None = None) -> Plan:
    """Read and validate a planning (design) spec, with ``--set KEY=VALUE`` overrides applied.

    Parameters
    ----------
    path : str or Path
        A TOML design spec, e.g. ``models/design_haic_vs_sorafenib.toml``.
    sets : sequence of str
        Overrides ``KEY=VALUE`` (see :mod:`bayeshcc.specs.overrides`), applied before validation.
    seed : int, optional
        Overrides ``[simulation] seed`` (it draws the hand-written design priors' truths too).

    Returns
    -------
    Plan

    Raises
    ------
    SpecError
        The file cannot be read, a key is unknown or missing, a value is invalid, a scenario name is
        unknown or repeated; the message names the dotted key. Nothing is fitted or simulated.
    """
    path = Path(path)
    raw = apply_overrides(read_toml(path), sets)
    check_table(raw, "", _TOP_KEYS, ("design",))
    design = _design(raw["design"])
    sim, engine = _simulation(raw.get("simulation", {}), design, extra={"backend": str, "workers": int})
    if seed is not None:
        sim["seed"] = seed
    scenarios = _scenarios(raw, path.parent, sim.get("seed", 1))
    logrank = None
    if "logrank" in raw:
        t = check_table(raw["logrank"], "logrank", _LOGRANK_KEYS)
        logrank = _build("logrank", LogRank, **t)
    calibrate = None
    if "calibrate" in raw:
        t = dict(check_table(raw["calibrate"], "calibrate", _CALIBRATE_KEYS))
        t["null_scenario"] = _pick(t, "null_scenario", "calibrate.null_scenario", scenarios)
        t["null_grid"] = [_named(v, f"calibrate.null_grid[{i}]", scenarios) for i, v in enumerate(t.get("null_grid", []))]
        for name in (t["null_scenario"], *t["null_grid"]):
            if not isinstance(scenarios[name], Scenario) or scenarios[name].prior is not None:
                raise SpecError(f"calibrate.null_scenario: {name!r} must be a fixed scenario (a null truth)")
        calibrate = t
    search = None
    if "search" in raw:
        t = dict(check_table(raw["search"], "search", _SEARCH_KEYS, ("lower", "upper")))
        t["scenario"] = _pick(t, "scenario", "search.scenario", scenarios)
        if "target" in t:
            tg = t["target"]
            if len(tg) != 2 or tg[0] not in ("power", "assurance") or not isinstance(tg[1], NUMBER):
                raise SpecError(f"search.target: expected [\"power\" or \"assurance\", a probability], got {tg!r}")
            t["target"] = (tg[0], tg[1])
        search = t
    grid = None
    if "grid" in raw:
        t = dict(raw["grid"])
        name = _pick(t, "scenario", "grid.scenario", scenarios)
        if not isinstance(scenarios[name], Scenario) or scenarios[name].prior is not None:
            raise SpecError(f"grid.scenario: {name!r} must be a fixed scenario (a grid varies fixed truths)")
        n = t.pop("n_trials", None)
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
            raise SpecError(f"grid.n_trials: expected a positive whole number, got {n!r}")
        for key, values in t.items():
            if not isinstance(values, list) or not values:
                raise SpecError(f"grid.{key}: expected a list of values, got {values!r}")
        if not t:
            raise SpecError("grid: give at least one key with a list of values, e.g. hazard_ratio = [0.6, 0.8, 1.0]")
        grid = {"scenario": name, "n_trials": n, "values": t}
    plan = Plan(raw.get("title", path.stem), design, scenarios, sim | {"engine": engine}, logrank, calibrate,
                search, grid, path)
    _check_sections(plan)
    return plan


def _section(section: str, api: str, check) -> None:
    """Run ``check``; a SpecError names the spec's section (``search.vary``, not ``find_sample_size.vary``)."""
    try:
        check()
    except SpecError as err:
        text = str(err).replace(api, f"{section}.")
        raise SpecError(text if text.startswith(section) else f"{section}: {text}") from None


def _check_sections(plan: Plan) -> None:
    """Run each section's own checks now, so a bad value stops the job before anything is fitted or simulated."""
    from importlib import import_module

    cal = import_module("bayeshcc.design.calibrate")  # the module (the package exports a function of that name)
    search = import_module("bayeshcc.design.search")
    from bayeshcc.design.grid import grid_cells
    from bayeshcc.design.spending import cumulative_alpha

    engine = plan.simulation["engine"]
    if plan.logrank is not None:
        _section("logrank", "LogRank.", lambda: engine.check(_logrank_design(plan.design, plan.logrank)))
    c = plan.calibrate
    if c is not None:
        nulls = [plan.scenarios[n] for n in c["null_grid"]]
        alpha = c.get("alpha", 0.025)
        _build("calibrate", lambda: cal._check(plan.design, plan.scenarios[c["null_scenario"]], alpha,
                                               c.get("n_trials", 10_000), nulls))
        if "spending" in c:
            looks = len(plan.design.analyses)
            _build("calibrate", lambda: cumulative_alpha(np.linspace(0, 1, looks + 1)[1:], alpha, c["spending"],
                                                         "calibrate.spending"))
    q = plan.search
    if q is not None:
        scenario = plan.scenarios[q["scenario"]]
        if isinstance(scenario, FitScenario):  # a design prior, built by the job: a stand-in with the same kind
            scenario = Scenario.from_prior(median=9.0, log_hr=Normal(0.0, 1.0), draws=2, seed=0)
        _section("search", "find_sample_size.", lambda: search._check(
            plan.design, scenario, q.get("target", ("power", 0.9)), q.get("vary", "events"), q["lower"], q["upper"],
            q.get("n_trials", 1000), q.get("grid", 5), q.get("rounds", 2)))
    g = plan.grid
    if g is not None:
        _section("grid", "grid.", lambda: grid_cells(plan.design, g["values"], plan.scenarios[g["scenario"]], engine,
                                          g["n_trials"] or 1, 0))


def _logrank_design(design: TrialDesign, rule: LogRank) -> TrialDesign:
    """``design`` with the log-rank test as its success rule at every look (predictive futility dropped)."""
    from dataclasses import replace

    futility = [None if f is not None and f.uses_predictive() else f for f in design.futility]
    return _build("logrank", lambda: replace(design, success=rule, futility=futility))


def logrank_design(plan: Plan) -> TrialDesign | None:
    """The plan's design analysed by the log-rank test instead (``[logrank]``), or None."""
    return None if plan.logrank is None else _logrank_design(plan.design, plan.logrank)

