"""Model specs (``models/*.toml``): strict loading with tomllib, validation, and the fit job.

A spec names its data (a bundled dataset endpoint or a CSV file), the model, the sampler settings
and the comparison. Unknown keys, wrong types and unknown arms or datasets raise
:class:`bayeshcc.SpecError` with the key's full name before any model is built.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayeshcc.errors import DataError, SpecError
from bayeshcc.models.priors import prior_from_dict

__all__ = ["FitSpec", "load_fit_spec", "read_toml"]

_ALLOWED = {
    "title": str,
    "data": {
        "dataset": str, "endpoint": str, "file": str, "format": str,
        "time": str, "event": str, "arm": str, "censor_from": str, "censor_to": str,
        "time_unit": str,
    },
    "model": {
        "family": str, "cutpoints": list, "effect": str, "control": str,
        "priors": {"baseline": dict, "log_hr": dict},
    },
    "fit": {"draws": int, "tune": int, "chains": int, "seed": int, "sampler": str},
    "compare": {"treatment": str, "control": str, "times": list, "tau": (int, float), "prob": float},
}


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file; a missing file or bad syntax raises SpecError."""
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"spec file not found: {p}")
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{p}: not valid TOML: {e}") from None


def _check_keys(table: dict, allowed: dict, prefix: str) -> None:
    for key, value in table.items():
        name = f"{prefix}{key}"
        if key not in allowed:
            raise SpecError(f"unknown key '{name}'; expected one of {sorted(allowed)}")
        kind = allowed[key]
        if isinstance(kind, dict):
            if not isinstance(value, dict):
                raise SpecError(f"'{name}' must be a table, got {type(value).__name__}")
            _check_keys(value, kind, f"{name}.")
        else:
            ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                ok = True
            if not ok:
                want = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
                raise SpecError(f"'{name}' must be {want}, got {value!r} ({type(value).__name__})")


@dataclass(frozen=True)
class FitSpec:
    """A validated fit spec. Build it with :func:`load_fit_spec`."""

    path: Path
    title: str
    data: dict[str, Any]
    model: dict[str, Any]
    fit: dict[str, Any] = field(default_factory=dict)
    compare: dict[str, Any] = field(default_factory=dict)

    def load_data(self):
        """Load the data the spec names (a dataset endpoint or a CSV next to the spec)."""
        import pandas as pd

        from bayeshcc import datasets
        from bayeshcc.data import IntervalData, SurvivalData

        d = self.data
        if "dataset" in d:
            names = list(datasets.list_datasets()["name"])
            if d["dataset"] not in names:
                raise SpecError(f"'data.dataset': unknown dataset {d['dataset']!r}; available: {names}")
            study = datasets.load(d["dataset"])
            endpoint = d.get("endpoint", "os")
            value = getattr(study, endpoint, None)
            if not isinstance(value, SurvivalData | IntervalData):
                raise SpecError(
                    f"'data.endpoint': {d['dataset']} has no survival data for {endpoint!r} "
                    f"(only patient-level or interval data can be fitted; got {type(value).__name__})"
                )
            return value
        path = (self.path.parent / d["file"]).resolve()
        if not path.is_file():
            raise SpecError(f"'data.file': file not found: {path}")
        df = pd.read_csv(path)
        fmt = d.get("format", "patients")
        try:
            if fmt == "patients":
                return SurvivalData.from_frame(
                    df, time=d.get("time", "time"), event=d.get("event", "event"),
                    arm=d.get("arm", "arm"), time_unit=d.get("time_unit", "months"),
                )
            window = {}
            for key in ("censor_from", "censor_to"):
                if key in d or key in df.columns:
                    window[key] = d.get(key, key)
            return IntervalData.from_frame(df, time_unit=d.get("time_unit", "months"), **window)
        except DataError as e:
            raise DataError(f"{path.name}: {e}") from None

    def build_model(self):
        """The model object the spec describes."""
        from bayeshcc.models import PiecewiseExponential

        m = self.model
        priors = m.get("priors", {})
        kwargs = {}
        if "baseline" in priors:
            kwargs["baseline_prior"] = prior_from_dict(priors["baseline"], field="model.priors.baseline")
        if "log_hr" in priors:
            kwargs["log_hr_prior"] = prior_from_dict(priors["log_hr"], field="model.priors.log_hr")
        try:
            return PiecewiseExponential(
                cutpoints=m["cutpoints"], effect=m.get("effect", "proportional"),
                control=m.get("control"), **kwargs,
            )
        except SpecError as e:
            raise SpecError(f"'model': {e}") from None


def load_fit_spec(path: str | Path) -> FitSpec:
    """Read and validate a fit spec.

    Raises
    ------
    SpecError
        Missing file, bad TOML, unknown keys, wrong types, missing required keys, unknown
        family, effect or sampler.
    """
    p = Path(path)
    raw = read_toml(p)
    _check_keys(raw, _ALLOWED, "")
    for section in ("data", "model"):
        if section not in raw:
            raise SpecError(f"missing table [{section}] in {p.name}")
    data = raw["data"]
    if ("dataset" in data) == ("file" in data):
        raise SpecError("'data' needs exactly one of 'dataset' or 'file'")
    fmt = data.get("format", "patients")
    if fmt not in ("patients", "intervals"):
        raise SpecError(f"'data.format' must be 'patients' or 'intervals', got {data['format']!r}")
    relevant = (
        {"dataset", "endpoint"} if "dataset" in data
        else {"file", "format", "time_unit"} | (
            {"time", "event", "arm"} if fmt == "patients" else {"censor_from", "censor_to"}
        )
    )
    stray = sorted(set(data) - relevant)
    if stray:
        source = "a dataset" if "dataset" in data else f"a file of format '{fmt}'"
        raise SpecError(f"'data': key(s) {stray} do not apply to {source}; expected only {sorted(relevant)}")
    model = raw["model"]
    if model.get("family", "piecewise_exponential") != "piecewise_exponential":
        raise SpecError(f"'model.family' must be 'piecewise_exponential', got {model['family']!r}")
    if "cutpoints" not in model:
        raise SpecError("'model.cutpoints' is required, e.g. cutpoints = [0, 6, 12, 18]")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in model["cutpoints"]):
        raise SpecError(f"'model.cutpoints' must be a list of numbers, got {model['cutpoints']!r}")
    fit = raw.get("fit", {})
    if fit.get("sampler", "nutpie") not in ("nutpie", "pymc"):
        raise SpecError(f"'fit.sampler' must be 'nutpie' or 'pymc', got {fit['sampler']!r}")
    cmp = raw.get("compare", {})
    for key in ("treatment", "control"):
        if cmp and key not in cmp:
            raise SpecError(f"'compare.{key}' is required in [compare]")
    if "times" in cmp and not all(isinstance(x, int | float) and not isinstance(x, bool) for x in cmp["times"]):
        raise SpecError(f"'compare.times' must be a list of numbers, got {cmp['times']!r}")
    spec = FitSpec(path=p, title=raw.get("title", p.stem), data=data, model=model, fit=fit, compare=cmp)
    spec.build_model()  # validates cutpoints, effect and priors now
    return spec
