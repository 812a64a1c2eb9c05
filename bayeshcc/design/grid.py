"""Scenario grids: operating characteristics over a grid of scenario and design values, one
simulation per cell (the unit of parallel work), returned as an xarray Dataset with the grid as
dimensions; a power curve is a one-dimensional grid over the hazard ratio."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import itertools
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from bayeshcc.design import _store
from bayeshcc.design.backends import Backend, resolve_backend, run_tasks
from bayeshcc.design.engines import Engine, get_engine
from bayeshcc.design.oc import OC_COLUMNS
from bayeshcc.design.scenario import Scenario
from bayeshcc.design.simulate import _check, simulate
from bayeshcc.design.summaries import duration_quantiles
from bayeshcc.design.trial import TrialDesign
from bayeshcc.errors import SpecError

__all__ = ["DESIGN_KEYS", "SCENARIO_KEYS", "cell_seed", "power_curve", "simulate_grid"]

#: Grid keys that set the truth: the keywords of :meth:`Scenario.fixed`.
SCENARIO_KEYS = tuple(inspect.signature(Scenario.fixed).parameters)
#: Grid keys that set the design: the fields of :class:`TrialDesign`.
DESIGN_KEYS = tuple(f.name for f in dataclasses.fields(TrialDesign))
#: Duration quantiles reported per cell ("90% of trials finish by month X").
QUANTILES = (0.5, 0.9)


def _key(value: object) -> str:
    """Exact text of a grid value, for the cell's seed (9 and 9.0 are the same value)."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(value, list | tuple | np.ndarray):
        return "[" + ", ".join(_key(v) for v in value) + "]"
    return _store.canonical(value)


def _show(value: object) -> str:
    return _key(value) if isinstance(value, int | float | np.integer | np.floating) else str(value)


def cell_seed(seed: int | np.random.SeedSequence, cell: Mapping[str, object]) -> int:
    """The seed of one grid cell: a 63-bit integer from SHA-256 of the run's seed and the cell's
    coordinates (keys sorted), so adding a cell or a value leaves every other cell's seed alone.

    ``simulate(cell_design, cell_scenario, seed=cell_seed(seed, cell), ...)`` reproduces the cell.
    """
    if isinstance(seed, np.random.Generator):
        raise SpecError("seed: a grid needs an integer seed (or a SeedSequence); a Generator's "
                        "streams cannot be tied to cell coordinates")
    root = seed if isinstance(seed, np.random.SeedSequence) else None
    if root is None:
        from bayeshcc import _random

        root = _random.seed_sequence(seed)
    coords = ";".join(f"{k}={_key(cell[k])}" for k in sorted(cell))
    text = f"bayeshcc-grid|{root.entropy}|{tuple(root.spawn_key)}|{coords}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def _axes(grid: object) -> dict[str, list]:
    allowed = SCENARIO_KEYS + DESIGN_KEYS
    if not isinstance(grid, Mapping) or not grid:
        raise SpecError(f"grid: expected a non-empty mapping of field names to lists of values, got {grid!r}")
    out = {}
    for key, values in grid.items():
        if key not in allowed:
            raise SpecError(f"grid.{key}: unknown grid key; expected a Scenario.fixed keyword "
                            f"({', '.join(SCENARIO_KEYS)}) or a TrialDesign field ({', '.join(DESIGN_KEYS)})")
        if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray) or len(values) == 0:
            raise SpecError(f"grid.{key}: expected a non-empty list of values, got {values!r}")
        keys = [_key(v) for v in values]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise SpecError(f"grid.{key}: values repeat ({', '.join(dup)}); expected distinct values")
        out[key] = list(values)
    return out


def _base_keywords(base: object, varied: set[str]) -> dict | Scenario:
    if base is None:
        return {}
    if isinstance(base, Mapping):
        for k in base:
            if k not in SCENARIO_KEYS:
                raise SpecError(f"base_scenario.{k}: unknown keyword; expected one of {', '.join(SCENARIO_KEYS)}")
        return dict(base)
    if not isinstance(base, Scenario):
        raise SpecError(f"base_scenario: expected a Scenario or a mapping of Scenario.fixed keywords, got {base!r}")
    if not varied:
        return base
    c, t = base.cure_fraction
    kw: dict[str, Any] = {"cutpoints": base.cutpoints, "cure_fraction": {"control": c, "treatment": t}}
    if base.control_hazards:
        kw.update(hazards=base.control_hazards, hazard_ratio=base.hazard_ratios)
    if base.response_rates is not None:
        kw["response_rates"] = dict(zip(("control", "treatment"), base.response_rates, strict=True))
    try:
        same = Scenario.fixed(**kw) == base
    except SpecError:
        same = False
    if not same:
        raise SpecError(f"base_scenario: the grid varies {', '.join(sorted(varied))}, which needs a "
                        f"scenario made by Scenario.fixed; got {base}. Pass the keywords instead "
                        "(base_scenario={'median': ..., 'hazard_ratio': ...})")
    return kw


def _cell_scenario(base: dict | Scenario, over: dict) -> Scenario:
    if isinstance(base, Scenario):
        return base
    kw = dict(base)
    for a, b in (("median", "hazards"), ("hazards", "median")):
        if a in over:
            kw.pop(b, None)
    return Scenario.fixed(**(kw | over))


def _run_cell(design: TrialDesign, scenario: Scenario, n_trials: int, seed: int, engine: Engine,
              chunk_size: int | None) -> dict:
    """One cell, in a worker: its overall operating characteristics and the warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = simulate(design, scenario, n_trials=n_trials, seed=seed, engine=engine,
                          chunk_size=chunk_size, progress=False)
    row = result.operating_characteristics().loc["overall"]
    values = {c: float(row[c]) for c in row.index}
    dq = duration_quantiles(result, q=QUANTILES)
    for q in QUANTILES:
        name = f"duration_q{round(100 * q)}"
        values[name] = float(dq.loc[q, "duration_months"])
        values[f"{name}_mcse"] = float(dq.loc[q, "duration_months_mcse"])
    kinds = [f"{w.category.__module__}:{w.category.__qualname__}" for w in caught]
    return {"values": values, "warnings": [[k, str(w.message)] for k, w in zip(kinds, caught, strict=True)]}


def _category(path: str) -> type[Warning]:
    module, _, name = path.partition(":")
    try:
        category = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return UserWarning
    return category if isinstance(category, type) and issubclass(category, Warning) else UserWarning


def grid_cells(design: TrialDesign, grid: Mapping[str, Sequence], base_scenario: Scenario | Mapping[str, Any] | None,
               engine: Engine, n_trials: int, seed: int | np.random.SeedSequence) -> list[tuple]:
    """Every cell of a grid, checked: ``(label, design, scenario, seed, key)`` each (nothing is simulated).

    Raises
    ------
    SpecError
        An unknown key, repeated or missing values, or a cell whose design or scenario is invalid,
        named by its coordinates.
    """
    axes = _axes(grid)
    base = _base_keywords(base_scenario, {k for k in axes if k in SCENARIO_KEYS})
    cells = []
    for values in itertools.product(*axes.values()):
        cell = dict(zip(axes, values, strict=True))
        label = "grid cell (" + ", ".join(f"{k}={_show(v)}" for k, v in cell.items()) + ")"
        try:
            scenario = _cell_scenario(base, {k: v for k, v in cell.items() if k in SCENARIO_KEYS})
            over = {k: v for k, v in cell.items() if k in DESIGN_KEYS}
            cell_design = TrialDesign(**({f: getattr(design, f) for f in DESIGN_KEYS} | over)) if over else design
            _check(cell_design, scenario, engine, n_trials)
        except SpecError as err:
            raise SpecError(f"{label}: {err}") from None
        key = ";".join(f"{k}={_key(cell[k])}" for k in sorted(cell))
        cells.append((label, cell_design, scenario, cell_seed(seed, cell), key))
    return cells


def simulate_grid(
    design: TrialDesign,
    *,
    grid: Mapping[str, Sequence],
    base_scenario: Scenario | Mapping[str, Any] | None = None,
    n_trials: int,
    seed: int | np.random.SeedSequence,
    engine: Literal["conjugate", "laplace", "mcmc"] | Engine = "laplace",
    backend: Backend = "local",
    workers: int | None = None,
    directory: str | Path | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
) -> xr.Dataset:
    """Operating characteristics over a grid of scenario and design values.

    Parameters
    ----------
    design : TrialDesign
        The design every cell starts from.
    grid : mapping of str to list
        Values per key, e.g. ``{"hazard_ratio": [0.6, 0.7, 1.0], "median": [8, 10],
        "n_patients": [300, 400]}``. Keys are :meth:`Scenario.fixed` keywords (a cell's
        ``median`` replaces the base's ``hazards`` and vice versa) or :class:`TrialDesign` fields.
    base_scenario : Scenario or mapping, optional
        The truth every cell starts from: a Scenario, or :meth:`Scenario.fixed` keywords. A grid
        that varies scenario keys needs one made by ``Scenario.fixed`` (or the keywords).
    n_trials : int
        Trials per cell.
    seed : int or SeedSequence
        Each cell is simulated with its own seed, :func:`cell_seed` of this seed and the cell's
        coordinates (the ``cell_seed`` variable), so adding a cell changes no other cell.
    engine : {"conjugate", "laplace", "mcmc"} or Engine, default "laplace"
    backend : {"local", "dask"}, str, distributed.Client or None, default "local"
        Where the cells run, each whole in one worker (see :mod:`bayeshcc.design.backends`).
    workers : int, optional
    directory : str or Path, optional
        Keep each finished cell here (``cell-<hash>.json``, written atomically, with a
        ``manifest.json``); a rerun, or a run with more values, reuses the finished cells. A
        directory of another grid (different design, base scenario, engine, seed or n_trials) is
        refused with a SpecError saying what differs.
    chunk_size : int, optional
        Passed to :func:`simulate` in each cell; results do not depend on it.
    progress : bool, default True
        A progress bar over cells (only when stderr is a terminal).

    Returns
    -------
    xarray.Dataset
        Dims: the grid keys in the order given, with their values as coordinates (numbers as
        numbers, other values as their text). Variables per cell: the overall operating
        characteristics (``p_success``, ``p_futility``, ``p_no_success_final``,
        ``expected_patients``, ``expected_events``, ``expected_duration_months``,
        ``p_target_not_reached``, ``p_delayed``), the duration quantiles ``duration_q50`` and
        ``duration_q90`` (months by which 50% / 90% of trials have ended), each with its ``_mcse``,
        and ``cell_seed``. Attrs: engine, seed, n_trials, the base design and scenario.

    Raises
    ------
    SpecError
        Before anything runs: an unknown grid key (named as ``grid.<key>``), repeated or missing
        values, or a cell whose design or scenario is invalid (e.g. an event target its
        ``n_patients`` cannot reach), named by its coordinates.
    """
    eng = get_engine(engine)
    if not isinstance(design, TrialDesign):
        raise SpecError(f"design: expected a TrialDesign, got {type(design).__name__}")
    for name, value, least in (("n_trials", n_trials, 1), ("chunk_size", chunk_size, None)):
        if value is None and least is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise SpecError(f"{name}: expected a positive integer, got {value!r}")
    axes = _axes(grid)
    cells = grid_cells(design, axes, base_scenario, eng, n_trials, seed)
    runner = resolve_backend(backend, workers)
    path = None if directory is None else _prepare(Path(directory), design, base_scenario, eng, seed, n_trials)
    records: dict[int, dict] = {}
    files = [None if path is None else path / f"cell-{hashlib.sha256(c[4].encode()).hexdigest()[:16]}.json"
             for c in cells]
    prints = [_store.fingerprint((d, s, cs, n_trials, eng)) for _, d, s, cs, _ in cells]
    for i, file in enumerate(files):
        if file is not None and file.exists():
            record = _store.read_json(file)
            if record.get("fingerprint") != prints[i]:
                raise SpecError(f"directory: {file} does not hold {cells[i][0]} of this grid; delete that file")
            records[i] = record
    # largest trials first, so that the last cells to finish are short ones
    todo = sorted((i for i in range(len(cells)) if i not in records), key=lambda i: -cells[i][1].n_patients)
    tasks = [(cells[i][1], cells[i][2], n_trials, cells[i][3], eng, chunk_size) for i in todo]
    for t, out in run_tasks(runner, _run_cell, tasks, progress=progress, unit="cell", desc="grid"):
        i = todo[t]
        records[i] = dict(out, fingerprint=prints[i], cell=cells[i][0])
        if files[i] is not None:
            _store.write_json(files[i], records[i])
    for i, (label, *_) in enumerate(cells):
        for kind, message in records[i]["warnings"]:
            warnings.warn(f"{label}: {message}", _category(kind), stacklevel=2)
    return _dataset(axes, cells, records, design, base_scenario, eng, seed, n_trials)


def _prepare(path: Path, design, base_scenario, eng, seed, n_trials) -> Path:
    if path.exists() and not path.is_dir():
        raise SpecError(f"directory: {path} exists and is not a directory")
    from bayeshcc import _random

    root = _random.seed_sequence(seed)
    expected = _store.manifest({
        "design": (_store.fingerprint(design), str(design)),
        "base_scenario": (_store.fingerprint(base_scenario), str(base_scenario)),
        "engine": (_store.fingerprint(eng), repr(eng)),
        "seed": (_store.fingerprint(root), _store.canonical(root)),
        "n_trials": (_store.fingerprint(n_trials), str(n_trials)),
    }, kind="grid")
    found = _store.check_manifest(path, expected, what="grid") if path.is_dir() else None
    if found is None and path.is_dir() and any(path.glob("cell-*.json")):
        raise SpecError(f"directory: {path} holds grid cells but no {_store.MANIFEST}; use another "
                        "directory, or delete that one")
    path.mkdir(parents=True, exist_ok=True)
    _store.remove_stale(path)
    if found is None:
        _store.write_json(path / _store.MANIFEST, expected)
    return path


def _coord(values: list) -> np.ndarray:
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.int64)
    if all(isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float)
    return np.asarray([v if isinstance(v, str) else str(v) for v in values], dtype=object)


def _dataset(axes, cells, records, design, base_scenario, eng, seed, n_trials) -> xr.Dataset:
    shape = tuple(len(v) for v in axes.values())
    dims = tuple(axes)
    names = [c for n in OC_COLUMNS for c in (n, f"{n}_mcse")]
    names += [f"duration_q{round(100 * q)}{s}" for q in QUANTILES for s in ("", "_mcse")]
    data = {n: xr.Variable(dims, np.array([records[i]["values"][n] for i in range(len(cells))]).reshape(shape))
            for n in names}
    data["cell_seed"] = xr.Variable(dims, np.array([c[3] for c in cells], dtype=np.int64).reshape(shape),
                                    attrs={"description": "seed of the cell's simulate() call"})
    for n in ("expected_duration_months", "duration_q50", "duration_q90"):
        data[n].attrs["units"] = "months"
    from bayeshcc import __version__

    attrs = {"engine": eng.name, "seed": str(seed), "n_trials": int(n_trials), "design": str(design),
             "scenario": str(base_scenario), "grid": ", ".join(dims), "bayeshcc_version": __version__}
    return xr.Dataset(data, coords={k: _coord(v) for k, v in axes.items()}, attrs=attrs)


def power_curve(
    design: TrialDesign,
    scenario: Scenario | Mapping[str, Any],
    *,
    hazard_ratios: Sequence[float],
    n_trials: int,
    seed: int | np.random.SeedSequence,
    engine: Literal["conjugate", "laplace", "mcmc"] | Engine = "laplace",
    backend: Backend = "local",
    workers: int | None = None,
    directory: str | Path | None = None,
    progress: bool = True,
) -> xr.Dataset:
    """Probability of success (and the other operating characteristics) across hazard ratios.

    A one-dimensional :func:`simulate_grid` over ``hazard_ratio`` from ``scenario``; the cell at
    HR 1 gives the type I error. Plot it with :func:`bayeshcc.plots.campaign.plot_power_curve`.

    Parameters
    ----------
    design : TrialDesign
    scenario : Scenario or mapping
        The base truth (made by :meth:`Scenario.fixed`, or its keywords).
    hazard_ratios : sequence of float
    n_trials, seed, engine, backend, workers, directory, progress
        As :func:`simulate_grid`.

    Returns
    -------
    xarray.Dataset
        Dim ``hazard_ratio``; variables as :func:`simulate_grid`.
    """
    return simulate_grid(design, grid={"hazard_ratio": hazard_ratios}, base_scenario=scenario,
                         n_trials=n_trials, seed=seed, engine=engine, backend=backend,
                         workers=workers, directory=directory, progress=progress)
