"""The simulate job behind ``bayeshcc simulate SPEC``: a planning spec's scenarios, its log-rank
comparison, threshold calibration, sample-size search and scenario grid, and their outputs.

Library code: nothing is printed (the command prints the job) and the matplotlib backend is left
alone (figures are drawn on bare ``Figure`` objects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from bayeshcc.design import (
    CalibrationResult,
    SampleSizeResult,
    Scenario,
    SimulationResult,
    TrialDesign,
    calibrate,
    find_sample_size,
    run_campaign,
    simulate_grid,
    stopping_table,
)
from bayeshcc.design.summaries import duration_quantiles
from bayeshcc.errors import SpecError
from bayeshcc.jobs._write import atomic_write, output_dir, save_figure
from bayeshcc.specs.plan import FitScenario, Plan, load_plan, logrank_design

__all__ = ["DEFAULT_N_TRIALS", "DEFAULT_SEED", "SimulateJob", "run_simulate"]

#: ``[simulation]`` defaults when the spec and the caller give none.
DEFAULT_N_TRIALS = 10_000
DEFAULT_SEED = 1


@dataclass
class SimulateJob:
    """What a simulate job produced.

    Attributes
    ----------
    plan : Plan
        The validated spec (with ``--set`` overrides applied).
    design : TrialDesign
        The design simulated (with calibrated thresholds when the spec asks for calibration).
    scenarios : dict of str -> Scenario
        Every scenario, design priors from fitted studies built.
    results : dict of str -> SimulationResult
        The Bayesian design under each scenario.
    logrank : dict of str -> SimulationResult
        The same design with the log-rank test as its success rule (``[logrank]``), or empty.
    at_median : dict of str -> SimulationResult
        Power at each design prior's median truth (beside its assurance).
    calibration, sample_size : optional
    grid : xarray.Dataset, optional
    files : dict of str -> Path
    """

    plan: Plan
    design: TrialDesign
    scenarios: dict[str, Scenario]
    results: dict[str, SimulationResult] = field(default_factory=dict)
    logrank: dict[str, SimulationResult] = field(default_factory=dict)
    at_median: dict[str, SimulationResult] = field(default_factory=dict)
    calibration: CalibrationResult | None = None
    sample_size: SampleSizeResult | None = None
    grid: xr.Dataset | None = None
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def result(self) -> SimulationResult:
        """The first scenario's result (the only one of a single-scenario spec)."""
        return next(iter(self.results.values()))

    def operating_characteristics(self) -> pd.DataFrame:
        """Every scenario's table stacked, with ``scenario``, ``method`` (``bayesian`` or
        ``log_rank``), ``engine``, ``seed`` and ``n_trials`` columns."""
        return self._stack(lambda r: r.operating_characteristics())

    def assurance(self) -> pd.DataFrame:
        """For each design-prior scenario: assurance beside power at its median truth, the prior
        probability of benefit and how much a win overstates the effect (empty without one)."""
        from bayeshcc.design.planning import AssuranceResult

        frames = []
        for name, median in self.at_median.items():
            t = AssuranceResult(self.results[name], median).table().reset_index()
            t.insert(0, "scenario", name)
            frames.append(t.assign(design_prior=str(self.scenarios[name]), engine=median.engine,
                                   seed=str(median.seed)))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def stopping(self) -> pd.DataFrame:
        """Cumulative stopping probabilities by look, per scenario and analysis."""
        return self._stack(stopping_table)

    def durations(self) -> pd.DataFrame:
        """Quantiles of trial duration (50% and 90% of trials finish by...), per scenario and analysis."""
        return self._stack(lambda r: duration_quantiles(r, q=(0.5, 0.9)))

    def _stack(self, table) -> pd.DataFrame:
        frames = []
        for method, results in (("bayesian", self.results), ("log_rank", self.logrank)):
            for name, r in results.items():
                t = table(r).reset_index()
                t.insert(0, "method", method)
                t.insert(0, "scenario", name)
                frames.append(t.assign(engine=r.engine, seed=str(r.seed), n_trials=r.n_trials))
        return pd.concat(frames, ignore_index=True)

    def __repr__(self) -> str:
        fmt = {"float_format": lambda v: f"{v:.4g}"}
        lines = [f"{self.plan.title}", str(self.design)]
        if self.calibration is not None:
            lines += ["", "Calibrated success thresholds:", self.calibration.table.to_string(**fmt)]
        for name, r in self.results.items():
            oc = r.operating_characteristics()
            lines += ["", f"== {name}: {r.scenario} ==",
                      f"{r.n_trials} trials, engine {r.engine!r}, seed {r.seed} (time in months; MCSE in the CSV)",
                      oc[[c for c in oc.columns if not c.endswith("_mcse")]].to_string(**fmt)]
            if name in self.logrank:
                lr = self.logrank[name].operating_characteristics().loc["overall"]
                lines.append(f"log-rank analysis of the same trials' design: P(success) {lr['p_success']:.4g} "
                             f"(MCSE {lr['p_success_mcse']:.2g})")
        a = self.assurance()
        if len(a):
            lines += ["", "Assurance (design priors):", a[["scenario", "quantity", "estimate", "mcse"]].to_string(index=False, **fmt)]
        if self.sample_size is not None:
            lines += ["", str(self.sample_size)]
        if self.grid is not None:
            lines += ["", f"Scenario grid: dims {dict(self.grid.sizes)}; P(success):",
                      self.grid["p_success"].to_series().to_string(**fmt)]
        return "\n".join(lines)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "scenario"


def _build_scenarios(plan: Plan, seed: int) -> dict[str, Scenario]:
    """Fit the studies that design priors come from (each fit spec once), then build the scenarios."""
    from bayeshcc.jobs.fit import run_fit

    fits: dict[Path, Any] = {}
    out: dict[str, Scenario] = {}
    for name, s in plan.scenarios.items():
        if isinstance(s, FitScenario):
            if s.spec not in fits:
                fits[s.spec] = run_fit(s.spec)
            job = fits[s.spec]
            fit = job.fits[s.run] if s.run is not None else next(iter(job.fits.values()))
            out[name] = Scenario.from_fit(fit, arms=s.arms, discount=s.discount, draws=s.draws, seed=seed)
        else:
            out[name] = s
    return out


def run_simulate(
    path: str | Path,
    *,
    out: str | Path | None = None,
    n_trials: int | None = None,
    seed: int | None = None,
    progress: bool = True,
    sets: tuple[str, ...] | list[str] = (),
    backend: str | None = None,
    workers: int | None = None,
    resume: bool = False,
) -> SimulateJob:
    """Run what a planning spec describes; write its outputs into ``out`` if given.

    Parameters
    ----------
    path : str or Path
        A design spec (``models/design_*.toml``; see :mod:`bayeshcc.specs.plan`).
    out : str or Path, optional
        Directory (created if missing) for ``operating_characteristics.csv`` (every scenario and
        analysis), ``stopping.csv``, ``duration.csv``, ``assurance.csv`` (design priors),
        ``calibration.csv``, ``sample_size.csv`` and ``.png``, ``grid.nc`` and ``grid.png``,
        ``trials[_<scenario>].nc`` and ``stopping[_<scenario>].png``, each written atomically;
        and ``campaign/``, the finished chunks of every simulation (see ``resume``).
    n_trials, seed : int, optional
        Override the spec's ``[simulation]`` settings (defaults 10,000 trials, seed 1).
    progress : bool, default True
        Progress bars (on a terminal only).
    sets : sequence of str
        ``KEY=VALUE`` overrides of spec fields (:mod:`bayeshcc.specs.overrides`).
    backend, workers : optional
        Override ``[simulation] backend`` / ``workers`` (:func:`~bayeshcc.simulate`).
    resume : bool, default False
        Reuse the finished chunks in ``out/campaign`` of an interrupted run of the same campaign;
        without it a directory holding finished chunks is refused.

    Returns
    -------
    SimulateJob

    Raises
    ------
    SpecError
        The spec is missing, unreadable or invalid (before anything is fitted or simulated), or
        ``out`` is not a directory, or holds another campaign.
    """
    plan = load_plan(path, sets=sets, seed=seed)
    sim = plan.simulation
    n = n_trials if n_trials is not None else sim.get("n_trials", DEFAULT_N_TRIALS)
    s = seed if seed is not None else sim.get("seed", DEFAULT_SEED)
    directory = output_dir(out) if out is not None else None
    if directory is not None and not resume:
        finished = [*(directory / "campaign").rglob("chunk-*.npz"), *(directory / "campaign").rglob("cell-*.json")]
        if finished:
            raise SpecError(
                f"--out {directory}: {len(finished)} finished chunks of an earlier run are in {directory / 'campaign'}; "
                "pass --resume to continue that run (refused if the spec or settings differ), or delete that folder"
            )
    run = {"n_trials": n, "seed": s, "engine": sim["engine"], "backend": backend or sim.get("backend", "local"),
           "workers": workers if workers is not None else sim.get("workers"), "progress": progress,
           "chunk_size": sim.get("chunk_size"), "resume": resume}
    scenarios = _build_scenarios(plan, s)
    design = plan.design
    calibration = None
    if plan.calibrate is not None:
        c = dict(plan.calibrate)
        nulls = [scenarios[g] for g in c.pop("null_grid")]
        calibration = calibrate(design, scenarios[c.pop("null_scenario")], null_grid=nulls or None,
                                seed=s, engine=sim["engine"], **{"n_trials": n, **c})
        design = calibration.design
    camp = (lambda name: directory / "campaign" / name) if directory is not None else (lambda name: None)
    job = SimulateJob(plan, design, scenarios, calibration=calibration)
    job.results = _campaign(design, scenarios, run, camp("bayesian"))
    lr = logrank_design(plan)
    if lr is not None:
        job.logrank = _campaign(lr, scenarios, run, camp("log_rank"))
    medians = {name: sc.at_median() for name, sc in scenarios.items() if sc.prior is not None}
    if medians:
        job.at_median = _campaign(design, medians, run, camp("median_truth"))
    if plan.search is not None:
        q = dict(plan.search)
        # trials per simulated size: [search] n_trials, else the run's n_trials up to 2,000 (the search
        # simulates about 10 sizes and refines where it matters)
        job.sample_size = find_sample_size(design, scenarios[q.pop("scenario")], seed=s, engine=sim["engine"],
                                           **{"n_trials": min(n, 2000), **q})
    if plan.grid is not None:
        g = plan.grid
        job.grid = simulate_grid(design, grid=g["values"], base_scenario=scenarios[g["scenario"]],
                                 n_trials=g["n_trials"] or n, seed=s, engine=sim["engine"], backend=run["backend"],
                                 workers=run["workers"], directory=camp("grid"), progress=progress)
    if directory is not None:
        _write(job, directory)
    return job


def _campaign(design: TrialDesign, scenarios: dict[str, Scenario], run: dict, directory: Path | None):
    return run_campaign(design, scenarios, directory=directory, **run)


def _write(job: SimulateJob, directory: Path) -> None:
    from matplotlib.figure import Figure

    from bayeshcc.plots.design import plot_stopping

    def csv(name: str, table: pd.DataFrame) -> None:
        job.files[name] = atomic_write(directory / name, lambda tmp: table.to_csv(tmp, index=False))

    def figure(name: str, draw, size=(5, 3.5)) -> None:
        fig = Figure(figsize=size)
        draw(fig.subplots())
        job.files[name] = save_figure(fig, directory / name)

    csv("operating_characteristics.csv", job.operating_characteristics())
    csv("stopping.csv", job.stopping())
    csv("duration.csv", job.durations())
    single = len(job.results) == 1
    for name, r in job.results.items():
        suffix = "" if single else f"_{_slug(name)}"
        job.files[f"trials{suffix}.nc"] = atomic_write(directory / f"trials{suffix}.nc", r.to_netcdf)
        figure(f"stopping{suffix}.png", lambda ax, r=r, name=name: plot_stopping(r, ax=ax).set_title(
            name if not single else ax.get_title(), fontsize=9))
    if job.at_median:
        csv("assurance.csv", job.assurance())
    if job.calibration is not None:
        c, spec = job.calibration, job.plan.calibrate
        nulls = ", ".join([spec["null_scenario"], *spec["null_grid"]])
        csv("calibration.csv", c.table.reset_index().assign(
            null_scenarios=nulls, alpha=c.alpha, spending=str(c.spending), engine=c.engine, seed=str(c.seed),
            n_trials=c.n_trials))
        figure("critical_hr.png", lambda ax: job.calibration.plot(ax=ax))
    if job.sample_size is not None:
        ss = job.sample_size
        csv("sample_size.csv", ss.curve.assign(
            scenario=job.plan.search["scenario"], target=f"{ss.target[0]} {ss.target[1]:g}", vary=ss.vary,
            chosen_size=ss.size, engine=ss.engine, seed=str(ss.seed)))
        figure("sample_size.png", lambda ax: job.sample_size.plot(ax=ax))
    if job.grid is not None:
        from bayeshcc.plots.campaign import plot_grid, plot_power_curve

        job.files["grid.nc"] = atomic_write(directory / "grid.nc", lambda tmp: job.grid.to_netcdf(tmp, engine="h5netcdf"))
        dims = list(job.grid["p_success"].dims)
        if len(dims) == 1 and dims[0] == "hazard_ratio":
            figure("grid.png", lambda ax: plot_power_curve(job.grid, ax=ax))
        else:
            figure("grid.png", lambda ax: plot_grid(job.grid, variable="p_success", x=dims[0], ax=ax), size=(6, 4))
