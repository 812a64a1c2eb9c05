"""The fit job behind ``bayeshcc fit SPEC``: load, fit, diagnose, compare, write outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayeshcc.errors import DataError, SpecError
from bayeshcc.spec import load_fit_spec

__all__ = ["FitJob", "run_fit_spec"]


@dataclass
class FitJob:
    """What a fit job produced: the fit, its diagnostics, the comparison and written files."""

    fit: Any
    diagnostics: Any
    comparison: Any
    files: dict[str, Path] = field(default_factory=dict)


def run_fit_spec(
    path: str | Path,
    *,
    out: str | Path | None = None,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    seed: int | None = None,
) -> FitJob:
    """Run the fit a spec describes; optional overrides for the sampler settings.

    Writes to ``out`` (if given): ``idata.nc`` (ArviZ InferenceData, netCDF),
    ``summary.csv`` (the comparison table), ``diagnostics.csv`` and ``survival.png``
    (posterior survival bands with the observed/published landmarks).
    """
    from bayeshcc.results.survival import check_compare_args

    spec = load_fit_spec(path)
    data = spec.load_data()
    model = spec.build_model()
    if len(data.arms) < 2:
        raise SpecError(
            f"'data': bayeshcc fit compares two arms; the data have {len(data.arms)} ({list(data.arms)})"
        )
    cmp_cfg = dict(spec.compare)
    for key in ("treatment", "control"):
        if key in cmp_cfg and cmp_cfg[key] not in data.arms:
            raise SpecError(
                f"'compare.{key}': unknown arm {cmp_cfg[key]!r}; the data have arms {list(data.arms)}"
            )
    if model.control is not None and model.control not in data.arms:
        raise SpecError(
            f"'model.control': unknown arm {model.control!r}; the data have arms {list(data.arms)}"
        )
    if not cmp_cfg:
        control = model.control if model.control is not None else data.arms[0]
        cmp_cfg = {"treatment": next(a for a in data.arms if a != control), "control": control}
    # comparison settings are checked against the data before any sampling
    try:
        check_compare_args(data.arms, data.horizon, model.cutpoints, time_unit=data.time_unit,
                           **{"times": None, "tau": None, "prob": 0.95, **cmp_cfg})
    except (DataError, SpecError) as e:
        raise SpecError(f"'compare': {e}") from None
    settings = {"draws": 1000, "tune": 1000, "chains": 4, "seed": None, "sampler": "nutpie"}
    settings.update(spec.fit)
    for k, v in (("draws", draws), ("tune", tune), ("chains", chains), ("seed", seed)):
        if v is not None:
            settings[k] = v
    fit = model.fit(data, **settings)
    diag = fit.diagnostics()
    comparison = fit.compare(**cmp_cfg)
    job = FitJob(fit=fit, diagnostics=diag, comparison=comparison)
    if out is not None:
        job.files = write_outputs(job, Path(out), title=spec.title)
    return job


def write_outputs(job: FitJob, out: Path, *, title: str) -> dict[str, Path]:
    """Write netCDF, CSV and PNG outputs of a fit job into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bayeshcc.results.survival import survival_bands
    from bayeshcc.data import IntervalData
    from bayeshcc.plots.survival import plot_survival_bands

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "idata": out / "idata.nc",
        "summary": out / "summary.csv",
        "diagnostics": out / "diagnostics.csv",
        "plot": out / "survival.png",
    }
    job.fit.idata.to_netcdf(str(files["idata"]))
    job.comparison.summary().to_csv(files["summary"], index=False)
    job.diagnostics.table.to_csv(files["diagnostics"], index=False)
    bands = survival_bands(job.fit)
    data = job.fit.data
    table = isinstance(data, IntervalData)
    ax = plot_survival_bands(
        bands,
        observed=data.life_table() if table else None,
        observed_label="published landmark" if table else "",
        km=None if table else data.kaplan_meier(),
        time_unit=data.time_unit,
        title=title,
    )
    ax.figure.savefig(files["plot"], dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    return files
