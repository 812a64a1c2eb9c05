"""Design specs (``models/design_*.toml``): a trial design, the scenario it is simulated under, and
the simulation settings.

TOML keys are the keyword names of the constructors they configure:

``[design]``
    :class:`~bayeshcc.TrialDesign`'s (``control``, ``treatment``, ``allocation``, ``n_patients``,
    ``randomization``), with sub-tables ``accrual`` (:class:`~bayeshcc.Accrual`), ``dropout``
    (:class:`~bayeshcc.Dropout`), ``[[design.analyses]]`` (:class:`~bayeshcc.Analysis`, each
    optionally with its own ``success`` / ``futility`` rule), ``success``, ``futility`` and
    ``analysis``.
``[design.analysis]``
    ``family = "piecewise_exponential"`` or ``"binomial_response"`` (``bayeshcc.models.FAMILIES``)
    and that model's keywords; priors are tables such as ``{ dist = "gamma", alpha = 0.001,
    beta = 0.001 }``. Omitted: :data:`bayeshcc.design.trial.DEFAULT_ANALYSIS`.
rules
    ``{ quantity, direction, value, threshold }`` (with ``interval``, ``time`` or ``tau`` where the
    quantity takes one; :class:`~bayeshcc.PosteriorProbability`), ``{ type = "predictive",
    direction, threshold, draws }`` (:class:`~bayeshcc.PredictiveProbability`), ``{ type =
    "log_rank", alpha, spending or critical_values }`` (:class:`~bayeshcc.LogRank`), or
    ``{ all = [rule, ...] }`` / ``{ any = [rule, ...] }``.
``[scenario]``
    :meth:`Scenario.fixed <bayeshcc.Scenario.fixed>`'s keywords.
``[simulation]``
    ``n_trials``, ``seed``, ``engine``, ``chunk_size`` and, with ``engine = "conjugate"``,
    ``mc_draws``.

Every problem is a :class:`~bayeshcc.errors.SpecError` naming the dotted key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bayeshcc._toml import NUMBER, check_table, read_toml
from bayeshcc.design import (
    Accrual,
    AllOf,
    Analysis,
    AnyOf,
    Dropout,
    LogRank,
    PosteriorProbability,
    PredictiveProbability,
    Rule,
    Scenario,
    TrialDesign,
)
from bayeshcc.design.engines import ConjugateEngine, get_engine
from bayeshcc.errors import SpecError
from bayeshcc.specs.fit import build_model

__all__ = ["load_design_spec"]

_RULE_KEYS = {
    "type": str,
    "quantity": str,
    "direction": str,
    "value": NUMBER,
    "threshold": NUMBER,
    "interval": int,
    "time": NUMBER,
    "tau": NUMBER,
}
_PREDICTIVE_KEYS = {"type": str, "direction": str, "threshold": NUMBER, "draws": int}
_LOGRANK_KEYS = {"type": str, "alpha": NUMBER, "critical_values": (list, *NUMBER), "spending": (str, list)}
_DESIGN_KEYS = {
    "control": str,
    "treatment": str,
    "allocation": list,
    "n_patients": int,
    "randomization": str,
    "accrual": dict,
    "dropout": dict,
    "analyses": list,
    "success": dict,
    "futility": dict,
    "analysis": dict,
    "__lists_of_tables__": ("analyses",),
}
_SCENARIO_KEYS = {
    "median": NUMBER,
    "hazards": (list, *NUMBER),
    "cutpoints": list,
    "hazard_ratio": (list, *NUMBER),
    "cure_fraction": (dict, *NUMBER),
    "response_rates": dict,
}
_SIMULATION_KEYS = {
    "n_trials": int,
    "seed": int,
    "engine": str,
    "chunk_size": int,
    "mc_draws": int,
}


def _build(path: str, factory: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return factory(**kwargs)
    except SpecError as err:
        raise SpecError(f"{path}: {err}") from None


def _rule(value: Any, path: str) -> Rule:
    if isinstance(value, dict) and ("all" in value or "any" in value):
        key = "all" if "all" in value else "any"
        check_table(value, path, {key: list, "__lists_of_tables__": (key,)}, (key,))
        if not value[key]:
            raise SpecError(f"'{path}.{key}': expected at least one rule")
        rules = [_rule(r, f"{path}.{key}[{i}]") for i, r in enumerate(value[key])]
        return AllOf(*rules) if key == "all" else AnyOf(*rules)
    kind = value.get("type", "posterior") if isinstance(value, dict) else None
    if kind == "log_rank":
        t = check_table(value, path, _LOGRANK_KEYS)
        return _build(path, LogRank, **{k: v for k, v in t.items() if k != "type"})
    if kind == "predictive":
        t = check_table(value, path, _PREDICTIVE_KEYS, ("direction", "threshold"))
        return _build(
            path,
            PredictiveProbability,
            direction=t["direction"],
            threshold=t["threshold"],
            draws=t.get("draws", 200),
        )
    t = check_table(value, path, _RULE_KEYS, ("quantity", "direction", "value", "threshold"))
    if t.get("type", "posterior") != "posterior":
        raise SpecError(f"'{path}.type': expected 'posterior', 'predictive' or 'log_rank', got {t['type']!r}")
    return _build(
        path,
        PosteriorProbability,
        quantity=t["quantity"],
        direction=t["direction"],
        value=t["value"],
        threshold=t["threshold"],
        **{s: t[s] for s in ("interval", "time", "tau") if s in t},
    )


def _design(d: dict) -> TrialDesign:
    check_table(
        d, "design", _DESIGN_KEYS, ("control", "treatment", "n_patients", "accrual", "analyses")
    )
    if "success" not in d:
        raise SpecError("'design.success' is required (the final analysis needs a success rule)")
    accrual = check_table(
        d["accrual"],
        "design.accrual",
        {"rate": (list, *NUMBER), "cutpoints": list, "ramp_up": NUMBER, "duration": NUMBER},
    )
    dropout = None
    if "dropout" in d:
        dt = check_table(
            d["dropout"], "design.dropout", {"rate": NUMBER, "proportion": NUMBER, "by": NUMBER}
        )
        dropout = _build("design.dropout", Dropout, **dt)
    success = _rule(d["success"], "design.success")
    futility = _rule(d["futility"], "design.futility") if "futility" in d else None
    looks, success_by_look, futility_by_look, override = [], [], [], False
    for i, a in enumerate(d["analyses"]):
        p = f"design.analyses[{i}]"
        a = check_table(
            a,
            p,
            {
                "events": int,
                "months": NUMBER,
                "patients": int,
                "min_follow_up": NUMBER,
                "max_months": NUMBER,
                "success": dict,
                "futility": dict,
            },
        )
        override |= "success" in a or "futility" in a
        success_by_look.append(_rule(a["success"], f"{p}.success") if "success" in a else success)
        futility_by_look.append(
            _rule(a["futility"], f"{p}.futility") if "futility" in a else futility
        )
        looks.append(
            _build(p, Analysis, **{k: v for k, v in a.items() if k not in ("success", "futility")})
        )
    if override:
        k = len(looks)
        futility_by_look = [f if i < k - 1 else None for i, f in enumerate(futility_by_look)]
    analysis = build_model(d["analysis"], "design.analysis") if "analysis" in d else None
    return _build(
        "design",
        TrialDesign,
        control=d["control"],
        treatment=d["treatment"],
        allocation=tuple(d.get("allocation", (1, 1))),
        n_patients=d["n_patients"],
        accrual=_build("design.accrual", Accrual, **accrual),
        dropout=dropout,
        analyses=looks,
        success=success_by_look if override else success,
        futility=futility_by_look if override else futility,
        analysis=analysis,
        randomization=d.get("randomization", "blocked"),
    )


def load_design_spec(path: str | Path) -> tuple[TrialDesign, Scenario, dict[str, Any]]:
    """Read and validate a design spec.

    Parameters
    ----------
    path : str or Path
        A TOML design spec, e.g. ``models/design_haic_vs_sorafenib_fixed.toml``.

    Returns
    -------
    design : TrialDesign
    scenario : Scenario
    settings : dict
        The ``[simulation]`` keys given (``n_trials``, ``seed``, ``engine``, ``chunk_size``);
        with ``mc_draws``, ``engine`` is a :class:`~bayeshcc.design.engines.ConjugateEngine`.

    Raises
    ------
    SpecError
        The file cannot be read as TOML, a key is unknown or missing, a value is invalid, or the
        engine cannot compute the design's analysis model; the message names the dotted key.
    """
    raw = read_toml(path)
    check_table(
        raw,
        "",
        {"title": str, "description": str, "design": dict, "scenario": dict, "simulation": dict},
        ("design", "scenario"),
    )
    design = _design(raw["design"])
    s = check_table(raw["scenario"], "scenario", _SCENARIO_KEYS)
    scenario = _build("scenario", Scenario.fixed, **s)
    sim, _ = _simulation(raw.get("simulation", {}), design)
    return design, scenario, sim


def _simulation(table: dict, design: TrialDesign, extra: dict | None = None) -> tuple[dict[str, Any], Any]:
    """The ``[simulation]`` keys given, and the engine they name, checked against the design."""
    sim = dict(check_table(table, "simulation", {**_SIMULATION_KEYS, **(extra or {})}))
    if "mc_draws" in sim:
        if sim.get("engine") != "conjugate":
            raise SpecError(
                'simulation.mc_draws: only used with engine = "conjugate" (its Monte Carlo '
                f"survival and RMST differences), got engine = {sim.get('engine', 'laplace')!r}"
            )
        sim["engine"] = _build(
            "simulation.mc_draws", ConjugateEngine, mc_draws=sim.pop("mc_draws")
        )
    engine = _build("simulation.engine", get_engine, engine=sim.get("engine", "laplace"))
    _build("simulation.engine", engine.check, design=design)
    return sim, engine
