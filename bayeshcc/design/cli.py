"""Design specs (``models/design_*.toml``) and the ``bayeshcc simulate`` command's implementation.

A spec has three tables: ``[design]`` (with ``accrual``, ``dropout``, ``analyses``, ``success``,
``futility``, ``prior``), ``[scenario]`` and ``[simulation]``. It is read with :mod:`tomllib` only
(no eval, no pickle) and validated strictly: an unknown key or a value of the wrong type raises
:class:`~bayeshcc.errors.SpecError` naming the key. A rule is a table
``{quantity, direction, value, prob}`` (posterior probability, with ``interval``, ``time`` or
``tau`` where the quantity takes one, as in :class:`~bayeshcc.design.PosteriorProbability`),
``{type = "predictive", direction, prob, draws}``, or ``{all = [rule, ...]}`` /
``{any = [rule, ...]}``. ``[simulation]`` takes ``n_trials``, ``seed``, ``engine``, ``chunk_size``
and, with ``engine = "conjugate"``, ``mc_draws``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bayeshcc.design.design import (
    Accrual,
    Analysis,
    Dropout,
    ResponsePrior,
    Scenario,
    SurvivalPrior,
    TrialDesign,
)
from bayeshcc.design.engines import ConjugateEngine
from bayeshcc.design.oc import SimulationResult
from bayeshcc.design.rules import AllOf, AnyOf, PosteriorProbability, PredictiveProbability, Rule
from bayeshcc.design.simulate import simulate
from bayeshcc.errors import SpecError

__all__ = ["load_design_spec", "run_simulate_spec"]

_NUM = (int, float)
_LISTS_OF_TABLES = ("analyses", "all", "any")


def _table(
    value: Any, path: str, allowed: dict[str, tuple], required: tuple[str, ...] = ()
) -> dict:
    if not isinstance(value, dict):
        raise SpecError(f"{path}: expected a table, got {type(value).__name__}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise SpecError(f"{path}.{unknown[0]}: unknown key; expected one of {sorted(allowed)}")
    for key in required:
        if key not in value:
            raise SpecError(f"{path}.{key}: required key is missing")
    for key, v in value.items():
        types = allowed[key]
        if isinstance(v, bool) and bool not in types or not isinstance(v, types):
            names = "/".join(t.__name__ for t in types)
            raise SpecError(f"{path}.{key}: expected {names}, got {v!r} ({type(v).__name__})")
        if isinstance(v, list) and key not in _LISTS_OF_TABLES:
            for i, item in enumerate(v):
                if isinstance(item, bool) or not isinstance(item, _NUM):
                    raise SpecError(f"{path}.{key}[{i}]: expected a number, got {item!r}")
    return value


def _build(path: str, factory, **kwargs):
    try:
        return factory(**kwargs)
    except SpecError as err:
        raise SpecError(f"{path}: {err}") from None


def _rule(value: Any, path: str) -> Rule:
    if isinstance(value, dict) and ("all" in value or "any" in value):
        key = "all" if "all" in value else "any"
        _table(value, path, {key: (list,)}, (key,))
        if not value[key]:
            raise SpecError(f"{path}.{key}: expected at least one rule")
        rules = [_rule(r, f"{path}.{key}[{i}]") for i, r in enumerate(value[key])]
        return AllOf(*rules) if key == "all" else AnyOf(*rules)
    kind = value.get("type", "posterior") if isinstance(value, dict) else None
    if kind == "predictive":
        t = _table(
            value,
            path,
            {"type": (str,), "direction": (str,), "prob": _NUM, "draws": (int,)},
            ("direction", "prob"),
        )
        return _build(
            path,
            lambda **k: PredictiveProbability(
                k["direction"], prob=k["prob"], draws=k.get("draws", 200)
            ),
            **t,
        )
    t = _table(
        value,
        path,
        {
            "type": (str,),
            "quantity": (str,),
            "direction": (str,),
            "value": _NUM,
            "prob": _NUM,
            "interval": (int,),
            "time": _NUM,
            "tau": _NUM,
        },
        ("quantity", "direction", "value", "prob"),
    )
    if t.get("type", "posterior") != "posterior":
        raise SpecError(f"{path}.type: expected 'posterior' or 'predictive', got {t['type']!r}")
    return _build(
        path,
        lambda **k: PosteriorProbability(
            k["quantity"],
            k["direction"],
            k["value"],
            prob=k["prob"],
            **{s: k[s] for s in ("interval", "time", "tau") if s in k},
        ),
        **t,
    )


def load_design_spec(spec_path: str | Path) -> tuple[TrialDesign, Scenario, dict]:
    """Read and validate a design spec: ``(design, scenario, simulation settings)``."""
    path = Path(spec_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{path}: not valid TOML ({err})") from None
    _table(
        raw,
        "spec",
        {
            "title": (str,),
            "description": (str,),
            "design": (dict,),
            "scenario": (dict,),
            "simulation": (dict,),
        },
        ("design", "scenario"),
    )
    d = _table(
        raw["design"],
        "design",
        {
            "control": (str,),
            "treatment": (str,),
            "allocation": (list,),
            "n_patients": (int,),
            "endpoint": (str,),
            "cutpoints": (list,),
            "randomization": (str,),
            "accrual": (dict,),
            "dropout": (dict,),
            "analyses": (list,),
            "success": (dict,),
            "futility": (dict,),
            "prior": (dict,),
        },
        ("control", "treatment", "n_patients", "accrual", "analyses", "success"),
    )
    accrual = _table(
        d["accrual"],
        "design.accrual",
        {"rate": (list, *_NUM), "cutpoints": (list,), "ramp_up": _NUM, "duration": _NUM},
    )
    dropout = None
    if "dropout" in d:
        dt = _table(d["dropout"], "design.dropout", {"rate": _NUM, "proportion": _NUM, "by": _NUM})
        dropout = _build("design.dropout", Dropout, **dt)
    success, futility = _rule(d["success"], "design.success"), None
    if "futility" in d:
        futility = _rule(d["futility"], "design.futility")
    looks, success_by_look, futility_by_look, override = [], [], [], False
    for i, a in enumerate(d["analyses"]):
        p = f"design.analyses[{i}]"
        a = _table(
            a,
            p,
            {
                "events": (int,),
                "months": _NUM,
                "patients": (int,),
                "min_follow_up": _NUM,
                "success": (dict,),
                "futility": (dict,),
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
    endpoint = d.get("endpoint", "survival")
    prior = None
    if "prior" in d:
        if endpoint == "response":
            pt = _table(d["prior"], "design.prior", {"control": (list,), "treatment": (list,)})
            prior = _build("design.prior", ResponsePrior, **{k: tuple(v) for k, v in pt.items()})
        else:
            pt = _table(
                d["prior"],
                "design.prior",
                {"log_hr": (list,), "log_hazard": (list,), "hazard": (list,)},
            )
            prior = _build("design.prior", SurvivalPrior, **{k: tuple(v) for k, v in pt.items()})
    if override:
        k = len(looks)
        futility_by_look = [f if i < k - 1 else None for i, f in enumerate(futility_by_look)]
    design = _build(
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
        prior=prior,
        endpoint=endpoint,
        cutpoints=d.get("cutpoints", [0.0]),
        randomization=d.get("randomization", "blocked"),
    )
    s = _table(
        raw["scenario"],
        "scenario",
        {
            "median": _NUM,
            "hazards": (list, *_NUM),
            "cutpoints": (list,),
            "hazard_ratio": (list, *_NUM),
            "cure_fraction": (dict, *_NUM),
            "response_rates": (dict,),
        },
    )
    scenario = _build("scenario", Scenario.fixed, **s)
    sim = _table(
        raw.get("simulation", {}),
        "simulation",
        {
            "n_trials": (int,),
            "seed": (int,),
            "engine": (str,),
            "chunk_size": (int,),
            "mc_draws": (int,),
        },
    )
    if "mc_draws" in sim:
        if sim.get("engine") != "conjugate":
            raise SpecError(
                'simulation.mc_draws: only used with engine = "conjugate" (its Monte Carlo '
                f"survival and RMST differences), got engine = {sim.get('engine', 'laplace')!r}"
            )
        sim["engine"] = _build(
            "simulation.mc_draws", lambda **k: ConjugateEngine(**k), mc_draws=sim.pop("mc_draws")
        )
    return design, scenario, sim


def run_simulate_spec(
    spec_path: str | Path,
    *,
    out: str | Path | None = None,
    n_trials: int | None = None,
    seed: int | None = None,
    progress: bool = True,
) -> SimulationResult:
    """Run the simulation a design spec describes; write its outputs into ``out`` if given.

    Parameters
    ----------
    spec_path : path
        A ``models/design_*.toml`` file.
    out : path, optional
        Directory for ``operating_characteristics.csv``, ``trials.nc`` and ``stopping.png``
        (created if missing).
    n_trials, seed : int, optional
        Override the spec's ``[simulation]`` settings (defaults 10,000 trials, seed 1).
    progress : bool, default True

    Returns
    -------
    SimulationResult
        Its operating characteristics are also printed.
    """
    design, scenario, sim = load_design_spec(spec_path)
    result = simulate(
        design,
        scenario,
        n_trials=n_trials if n_trials is not None else sim.get("n_trials", 10_000),
        seed=seed if seed is not None else sim.get("seed", 1),
        engine=sim.get("engine", "laplace"),
        progress=progress,
        chunk_size=sim.get("chunk_size"),
    )
    oc = result.operating_characteristics()
    if out is not None:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        from bayeshcc.plots.design import plot_stopping

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        oc.to_csv(out / "operating_characteristics.csv")
        result.to_netcdf(out / "trials.nc")
        ax = plot_stopping(oc)
        ax.figure.savefig(out / "stopping.png", dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
    print(result)
    return result
