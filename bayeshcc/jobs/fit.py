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
    """What a fit job produced, per dataset name (``""`` when the spec fits one dataset).

    Attributes
    ----------
    spec : FitSpec
    fits, diagnostics, comparisons : dict
        Keyed like ``spec.data`` (e.g. ``"RECIST"``, ``"mRECIST"``).
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
        """All comparisons in one table (a ``dataset`` column when there are several)."""
        frames = [pd.DataFrame()]
        for key, cmp in self.comparisons.items():
            table = cmp.summary()
            if len(self.comparisons) > 1:
                table.insert(0, "dataset", key)
            frames.append(table)
        return pd.concat(frames, ignore_index=True)

    def evidence_table(self) -> pd.DataFrame:
        """Published figures beside their posteriors, for fits to published evidence (else empty)."""
        frames = []
        for key, fit in self.fits.items():
            table = fit.evidence() if hasattr(fit, "evidence") else pd.DataFrame()
            if len(table) and len(self.fits) > 1:
                table.insert(0, "dataset", key)
            frames.append(table)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def diagnostics_table(self) -> pd.DataFrame:
        """All diagnostics verdicts in one table."""
        frames = []
        for key, diag in self.diagnostics.items():
            table = diag.table.copy()
            if len(self.diagnostics) > 1:
                table.insert(0, "dataset", key)
            frames.append(table)
        return pd.concat(frames, ignore_index=True)


def run_fit(
    path: str | Path,
    *,
    out: str | Path | None = None,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    seed: int | None = None,
) -> FitJob:
    """Run the fits a spec describes, with optional overrides of its ``[fit]`` settings.

    Everything in the spec (keys, data, arms, comparison times) is checked before any sampling.
    Without ``[fit] sampler`` an MCMC family samples with ``"pymc"`` here (PyTensor's compiled C code
    is cached on disk, so a one-off fit in a new process is fastest with it).
    Writes to ``out`` (if given): ``idata.nc`` (``idata_<dataset>.nc`` for several datasets),
    ``summary.csv`` (the comparisons), ``diagnostics.csv`` and the family's figure
    (``survival.png``, ``response.png``; suffixed likewise). Files are written atomically.
    """
    from bayeshcc import __version__, sampling

    spec = load_fit_spec(path)
    model = spec.model
    # A one-off fit from the command line samples with PyMC's NUTS by default: PyTensor keeps the
    # compiled C code on disk, so a new process skips compilation, whereas nutpie's numba compile
    # (the library default, fastest for refits in one process) happens in every process. See
    # benchmarks/RESULTS.md ("Main job vs brms").
    settings: dict[str, Any] = {"seed": None, "sampler": "pymc" if "pymc" in model.samplers else model.samplers[0]}
    settings.update(spec.fit)
    for k, v in (("draws", draws), ("tune", tune), ("chains", chains), ("seed", seed)):
        if v is not None:
            settings[k] = v
    try:
        sampling.check_args(draws=settings.get("draws", 1000), tune=settings.get("tune", 1000),
                            chains=settings.get("chains", 4), seed=settings["seed"],
                            sampler=settings.get("sampler", model.samplers[0]), allowed=model.samplers)
    except SpecError as e:  # name the [fit] key (or the command-line option that overrode it)
        key, _, rest = str(e).partition(" ")
        raise SpecError(f"'fit.{key}' {rest}" if key in _FIT_KEYS else f"'fit': {e}") from None
    if out is not None:
        out = output_dir(out)
    job = FitJob(spec=spec)
    for key, data in spec.data.items():
        fit = model.fit(data, **settings)
        fit.idata.posterior.attrs.update(
            spec=str(spec.path), dataset=key, seed=fit.seed, sampler=fit.sampler,
            bayeshcc_version=__version__, model=repr(model), priors=fit.priors,
        )
        job.fits[key] = fit
        job.diagnostics[key] = fit.diagnostics()
        if len(fit.arms) > 1 or model.endpoint != "survival":  # one survival cohort: its evidence table only
            job.comparisons[key] = fit.compare(**spec.compare)
    if out is not None:
        job.files = _write(job, out)
    return job


def _write(job: FitJob, out: Path) -> dict[str, Path]:
    from bayeshcc.plots import extra_figures, figure_name, plot_fit

    files: dict[str, Path] = {}
    for key, fit in job.fits.items():
        suffix = f"_{key}" if len(job.fits) > 1 else ""
        files[f"idata{suffix}"] = atomic_write(out / f"idata{suffix}.nc",
                                               lambda tmp, f=fit: f.idata.to_netcdf(str(tmp)))
        title = job.spec.title + (f" ({key})" if key else "")
        fig = plot_fit(fit, job.comparisons.get(key), title=title)
        name = f"{figure_name(fit)}{suffix}"
        files[name] = save_figure(fig, out / f"{name}.png")
        for stem, extra in extra_figures(fit, job.comparisons.get(key), title=title).items():
            files[f"{stem}{suffix}"] = save_figure(extra, out / f"{stem}{suffix}.png")
    files["summary"] = atomic_write(out / "summary.csv", lambda tmp: job.summary().to_csv(tmp, index=False))
    evidence = job.evidence_table()
    if len(evidence):
        files["evidence"] = atomic_write(out / "evidence.csv", lambda tmp: evidence.to_csv(tmp, index=False))
    files["diagnostics"] = atomic_write(out / "diagnostics.csv",
                                        lambda tmp: job.diagnostics_table().to_csv(tmp, index=False))
    return files
