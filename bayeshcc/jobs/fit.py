"""The fit job behind ``bayeshcc fit SPEC``: load, fit, diagnose, compare, write outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from bayeshcc.errors import SpecError
from bayeshcc.jobs._write import atomic_write, output_dir, save_figure
from bayeshcc.specs.fit import FitSpec, load_fit_spec

__all__ = ["FitJob", "run_fit"]

_FIT_KEYS = ("draws", "tune", "chains", "seed", "sampler")


@dataclass
class FitJob:
    """What a fit job produced, per run of the spec (:attr:`FitSpec.runs`).

    Attributes
    ----------
    spec : FitSpec
    fits, diagnostics, comparisons : dict
        Keyed by run (:class:`~bayeshcc.specs.fit.FitRun` ``key``): the dataset's name with one
        model (``""`` for one dataset; ``"RECIST"``, ``"mRECIST"``), ``"<dataset>/<family>"``
        with several (``"RECIST/binomial_response"``).
    files : dict of str -> Path
        What was written.
    """

    spec: FitSpec
    fits: dict[str, Any] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
    comparisons: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every fit's diagnostics passed."""
        return all(d.ok for d in self.diagnostics.values())

    def summary(self) -> pd.DataFrame:
        """All comparisons in one table (``dataset`` and ``model`` columns when there are several)."""
        return self._stack({key: cmp.summary() for key, cmp in self.comparisons.items()})

    def evidence_table(self) -> pd.DataFrame:
        """Published figures beside their posteriors, for fits to published evidence (else empty)."""
        tables = {key: fit.evidence() for key, fit in self.fits.items() if hasattr(fit, "evidence")}
        return self._stack({key: t for key, t in tables.items() if len(t)})

    def coefficients(self, key: str) -> pd.DataFrame | None:
        """The per-term table of a regression fit (a Cox model's log HR and HR per term, a logistic
        model's coefficients), or None for models without terms."""
        from bayeshcc.results.cox import CoxFit

        fit = self.fits[key]
        if isinstance(fit, CoxFit):
            table = fit.summary()
        elif callable(getattr(fit, "coefficients", None)):
            table = fit.coefficients()
        else:
            return None
        return table if isinstance(table.index, pd.RangeIndex) else table.reset_index()

    def coefficients_table(self) -> pd.DataFrame:
        """Every regression fit's per-term table, stacked (empty when no model has terms)."""
        tables = {key: self.coefficients(key) for key in self.fits}
        return self._stack({key: t for key, t in tables.items() if t is not None})

    def diagnostics_table(self) -> pd.DataFrame:
        """All diagnostics verdicts in one table."""
        return self._stack({key: diag.table for key, diag in self.diagnostics.items()})

    def _stack(self, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Tables by run, stacked, with the run's dataset and model where the spec has several."""
        runs = {r.key: r for r in self.spec.runs}
        frames = [pd.DataFrame()]
        for key, table in tables.items():
            table = table.copy()
            if len(self.spec.models) > 1:
                if runs[key].model.endpoint == "response":  # a binary and an ordinal model differ on NE
                    from bayeshcc.models.response_analysis import not_evaluated_handling

                    table.insert(0, "not_evaluated", not_evaluated_handling(runs[key].model))
                table.insert(0, "model", runs[key].family)
            if len(self.spec.data) > 1:
                table.insert(0, "dataset", runs[key].dataset)
            note = getattr(self.fits[key].data, "note", "") if key in self.fits else ""
            if note:  # data that say what they are (a SYNTHETIC cohort): every table carries it
                table.insert(0, "data_note", note)
            frames.append(table)
        return pd.concat(frames, ignore_index=True)


def run_fit(
    path: str | Path | FitSpec,
    *,
    out: str | Path | None = None,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    seed: int | None = None,
) -> FitJob:
    """Run the fits a spec describes, with optional overrides of its ``[fit]`` settings.

    ``path`` is a spec file, or a spec :func:`~bayeshcc.specs.fit.load_fit_spec` already read.
    Everything in the spec (keys, data, arms, comparison times) is checked before any sampling.
    Without ``[fit] sampler`` a model samples with ``"numpy"`` where its family has a numpy log
    density for the data (the piecewise-exponential family without random walks or mixture
    priors: nothing to compile, the fastest one-off fit), else with ``"pymc"`` (PyTensor's
    compiled C code is cached on disk); exact families draw from their closed form. The fit
    records the sampler. Each model of a ``[[model]]`` spec is fitted to each dataset.
    Writes to ``out`` (if given): ``idata.nc`` (``idata_<run>.nc`` for several runs, the run's key
    with ``/`` as ``_``: ``idata_RECIST.nc``, ``idata_RECIST_ordinal_response.nc``),
    ``summary.csv`` (the comparisons), ``coefficients.csv`` (regression models: the per-term table,
    e.g. a Cox model's HR per covariate), ``diagnostics.csv`` and the family's figure
    (``survival.png``, ``response.png``; suffixed likewise). Files are written atomically.
    """
    from bayeshcc import __version__

    spec = path if isinstance(path, FitSpec) else load_fit_spec(path)
    overrides = {"draws": draws, "tune": tune, "chains": chains, "seed": seed}
    settings = {family: _settings(model, spec.fit, overrides) for family, model in spec.models.items()}
    if out is not None:
        out = output_dir(out)
    job = FitJob(spec=spec)
    run_settings = {run.key: _run_settings(run, settings[run.family], spec.fit) for run in spec.runs}
    for run in spec.runs:
        fit = run.model.fit(run.data, **run_settings[run.key])
        fit.idata.posterior.attrs.update(
            spec=str(spec.path), dataset=run.dataset, seed=fit.seed, sampler=fit.sampler,
            bayeshcc_version=__version__, model=repr(run.model), priors=fit.priors,
        )
        job.fits[run.key] = fit
        job.diagnostics[run.key] = fit.diagnostics()
        if len(fit.arms) > 1 or run.model.endpoint != "survival":  # one survival cohort: its evidence table only
            job.comparisons[run.key] = fit.compare(**spec.compare)
    if out is not None:
        job.files = _write(job, out)
    return job


def _run_settings(run: Any, settings: dict[str, Any], fit: dict[str, Any]) -> dict[str, Any]:
    """One run's sampler settings: ``"numpy"`` where the spec names no sampler and the family has a
    numpy density for the run's data (the fastest one-off fit); a named ``"numpy"`` checked against
    the data here, before any run samples."""
    has_density = getattr(run.model, "has_density", None)
    if "sampler" not in fit:
        return {**settings, "sampler": "numpy"} if has_density is not None and has_density(run.data) else settings
    if settings["sampler"] == "numpy" and not has_density(run.data):
        where = f" (run {run.key!r})" if run.key else ""
        raise SpecError(f"'fit.sampler' = 'numpy'{where}: {type(run.model).__name__}({run.model.describe()}) has no "
                        "numpy log density for these settings (random walks and mixture priors have none); "
                        "use 'nutpie' or 'pymc'")
    return settings


def _settings(model: Any, fit: dict[str, Any], overrides: dict[str, int | None]) -> dict[str, Any]:
    """Sampler settings of one model: the spec's ``[fit]``, command-line overrides, and the sampler
    (``[fit] sampler`` where the model has it; an exact model's closed form otherwise)."""
    from bayeshcc import sampling

    # A one-off fit from the command line samples with PyMC's NUTS by default (run_fit prefers
    # "numpy" where the family has a numpy density): PyTensor keeps the compiled C code on disk, so
    # a new process skips compilation, whereas nutpie's numba compile (the library default, fastest
    # for refits in one process) happens in every process. See benchmarks/RESULTS.md.
    settings: dict[str, Any] = {"seed": None, "sampler": "pymc" if "pymc" in model.samplers else model.samplers[0]}
    settings.update({k: v for k, v in fit.items() if k != "sampler" or v in model.samplers})
    settings.update({k: v for k, v in overrides.items() if v is not None})
    try:
        sampling.check_args(draws=settings.get("draws", 1000), tune=settings.get("tune", 1000),
                            chains=settings.get("chains", 4), seed=settings["seed"],
                            sampler=settings["sampler"], allowed=model.samplers)
    except SpecError as e:  # name the [fit] key (or the command-line option that overrode it)
        key, _, rest = str(e).partition(" ")
        raise SpecError(f"'fit.{key}' {rest}" if key in _FIT_KEYS else f"'fit': {e}") from None
    return settings


def _write(job: FitJob, out: Path) -> dict[str, Path]:
    from bayeshcc.plots import extra_figures, figure_name, plot_fit

    files: dict[str, Path] = {}
    for key, fit in job.fits.items():
        suffix = "_" + key.replace("/", "_") if len(job.fits) > 1 else ""
        files[f"idata{suffix}"] = atomic_write(out / f"idata{suffix}.nc",
                                               lambda tmp, f=fit: f.idata.to_netcdf(str(tmp)))
        title = job.spec.title + (f" ({key.replace('/', ', ')})" if key else "")
        fig = plot_fit(fit, job.comparisons.get(key), title=title)
        name = f"{figure_name(fit)}{suffix}"
        files[name] = save_figure(fig, out / f"{name}.png")
        for stem, extra in extra_figures(fit, job.comparisons.get(key), title=title).items():
            files[f"{stem}{suffix}"] = save_figure(extra, out / f"{stem}{suffix}.png")
    files["summary"] = atomic_write(out / "summary.csv", lambda tmp: job.summary().to_csv(tmp, index=False))
    coefficients = job.coefficients_table()
    if len(coefficients):
        files["coefficients"] = atomic_write(out / "coefficients.csv",
                                             lambda tmp: coefficients.to_csv(tmp, index=False))
    evidence = job.evidence_table()
    if len(evidence):
        files["evidence"] = atomic_write(out / "evidence.csv", lambda tmp: evidence.to_csv(tmp, index=False))
    files["diagnostics"] = atomic_write(out / "diagnostics.csv",
                                        lambda tmp: job.diagnostics_table().to_csv(tmp, index=False))
    return files
