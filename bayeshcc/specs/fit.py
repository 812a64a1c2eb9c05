"""Fit specs (``models/*.toml``): data, model, sampler settings and comparison, checked before sampling.

``[model] family = "..."`` is looked up in :data:`bayeshcc.models.FAMILIES`; every other key of
``[model]`` is a keyword of that family's constructor (priors as tables,
``baseline_prior = { dist = "lognormal", mu = -3, sigma = 2 }``). Several models of the same data
side by side are an array of tables, one ``[[model]]`` per family (e.g. the exact binary and the
ordinal response model of both criteria); each is fitted to every dataset of ``[data]``.
``[compare]`` keys are the keywords of the results' ``compare``. Unknown keys name their dotted
path and list the allowed ones.
"""

from __future__ import annotations

import csv
import dataclasses
import inspect
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from bayeshcc._toml import check_table, read_text, read_toml
from bayeshcc.errors import DataError, SpecError

__all__ = ["FitRun", "FitSpec", "load_fit_spec"]

_DATA = {
    "dataset": str, "endpoint": (str, list), "criteria": list, "file": str, "format": str,
    "time": str, "event": str, "arm": str, "responders": str, "n": str,
    "censor_from": str, "censor_to": str, "time_unit": str, "criterion": str, "seed": int, "covariates": list,
    "__lists_of_tables__": ("criteria", "endpoint", "covariates"),  # lists of names (checked where read)
}
_FIT = {"draws": int, "tune": int, "chains": int, "seed": int, "sampler": str}
#: Keys of [data] that apply to each way of naming the data.
_RELEVANT = {
    "dataset": {"dataset", "endpoint", "criteria", "seed"},
    "patients": {"file", "format", "time", "event", "arm", "time_unit", "covariates"},
    "intervals": {"file", "format", "censor_from", "censor_to", "time_unit"},
    "binary": {"file", "format", "arm", "responders", "n", "criterion"},
}


class FitRun(NamedTuple):
    """One fit of a spec: a model on one dataset.

    ``key`` names it in outputs: the dataset's name (``""`` for one dataset) with one model; with
    several, ``"<dataset>/<family>"`` (or the family alone for one unnamed dataset).
    """

    key: str
    dataset: str
    family: str
    model: Any
    data: Any


@dataclass(frozen=True)
class FitSpec:
    """A validated fit spec (build it with :func:`load_fit_spec`).

    Attributes
    ----------
    path : Path
    title : str
    data : dict of str -> data container
        What to fit, by name: one entry (``""``) or one per criterion (e.g. RECIST, mRECIST).
    models : dict of str -> Model
        The spec's models by family (one ``[model]``, or one per ``[[model]]``).
    fit : dict
        Sampler settings (``draws``, ``tune``, ``chains``, ``seed``, ``sampler``).
    compare : dict
        Keywords of the results' ``compare``.
    runs : tuple of FitRun
        Every model on every dataset (datasets outer), each with the data in the form its model
        fits (a binary model reads a best-response table's objective response, CR + PR).
    """

    path: Path
    title: str
    data: dict[str, Any]
    models: dict[str, Any]
    fit: dict[str, Any] = field(default_factory=dict)
    compare: dict[str, Any] = field(default_factory=dict)
    runs: tuple[FitRun, ...] = ()

    @property
    def model(self) -> Any:
        """The model of a one-model spec (the first ``[[model]]`` where there are several)."""
        return next(iter(self.models.values()))


def load_fit_spec(path: str | Path) -> FitSpec:
    """Read and validate a fit spec, load its data and check the comparison against it.

    Raises
    ------
    SpecError
        Missing or unreadable file, bad TOML, unknown keys, wrong types, missing required keys,
        unknown family, dataset, endpoint or arm; comparison settings the data cannot support.
    DataError
        The data file fails validation (the message names the file).
    """
    p = Path(path)
    raw = read_toml(p)
    check_table(raw, "", {"title": str, "description": str, "data": dict, "model": (dict, list),
                          "fit": dict, "compare": dict, "__lists_of_tables__": ("model",)},
                required=("data", "model"))
    check_table(raw["data"], "data", _DATA)
    fit = check_table(raw.get("fit", {}), "fit", _FIT)
    models = build_models(raw["model"])
    _check_sampler(fit, models)
    data = load_data(raw["data"], p.parent)
    cmp = raw.get("compare", {})
    if not isinstance(cmp, dict):
        raise SpecError("'compare' must be a table")
    takes = {family: _keywords(m.result.compare) for family, m in models.items()}
    allowed = set.intersection(*takes.values())
    unknown = sorted(set(cmp) - allowed)
    if unknown:
        some = [f for f, keys in takes.items() if unknown[0] in keys]
        if some:  # valid for some models only: say which lack it
            lack = [f for f in takes if f not in some]
            raise SpecError(f"'compare.{unknown[0]}': taken by {some} but not by {lack}; [compare] keys must suit "
                            f"every [[model]] (keys all of them take: {sorted(allowed)})")
        raise SpecError(f"unknown key 'compare.{unknown[0]}'; expected one of {sorted(allowed)}")
    runs = []
    for key, raw_data in data.items():
        for path, (family, model) in zip(_model_paths(raw["model"]), models.items(), strict=True):
            where = ", ".join(w for w in (key, family if len(models) > 1 else "") if w)
            where = f" ({where})" if where else ""
            try:
                d = _as_model_data(model, raw_data)
                model.check_data(d)
                prepared = model.bind(d).prepare(d)
            except (DataError, SpecError) as e:
                raise _within(path, e, where, cls=SpecError) from None
            if len(models) == 1:
                data[key] = d
            runs.append(FitRun(key if len(models) == 1 else "/".join(k for k in (key, family) if k),
                               key, family, model, d))
            if len(prepared.arms) < 2 and model.endpoint == "survival":  # one cohort: nothing to compare
                if cmp:
                    raise SpecError(f"'compare': the data{f' ({key})' if key else ''} have one arm "
                                    f"({list(prepared.arms)}); remove the [compare] table")
                continue
            try:
                model.bind(d).check_compare(d, prepared, **cmp)
            except (DataError, SpecError) as e:
                raise _within("compare", e, where, cls=SpecError) from None
    return FitSpec(path=p, title=raw.get("title", p.stem), data=data, models=models, fit=fit, compare=cmp,
                   runs=tuple(runs))


def _model_paths(table: dict | list) -> list[str]:
    return ["model"] if isinstance(table, dict) else [f"model[{i}]" for i in range(len(table))]


def build_models(table: dict | list) -> dict[str, Any]:
    """The models of ``[model]`` (one table) or ``[[model]]`` (an array of tables), by family."""
    if isinstance(table, list) and not table:
        raise SpecError("'model' must be a table, or an array of tables ([[model]]) with one table per model")
    models: dict[str, Any] = {}
    for path, entry in zip(_model_paths(table), [table] if isinstance(table, dict) else table, strict=True):
        model = build_model(entry, path)
        if model.family in models:
            raise SpecError(f"'{path}.family': a second '{model.family}' model; give one [[model]] per family")
        models[model.family] = model
    return models


def _check_sampler(fit: dict[str, Any], models: dict[str, Any]) -> None:
    """``[fit] sampler`` must suit every MCMC model (exact models always use their closed form)
    and at least one model."""
    if "sampler" not in fit:
        return
    wrong = [m for m in models.values() if fit["sampler"] not in m.samplers and m.samplers != ("exact",)]
    if wrong or not any(fit["sampler"] in m.samplers for m in models.values()):
        m = (wrong or list(models.values()))[0]
        raise SpecError(f"'fit.sampler' must be one of {list(m.samplers)} for family "
                        f"'{m.family}', got {fit['sampler']!r}")


def _as_model_data(model, data):
    from bayeshcc.models.response_analysis import as_model_data

    return as_model_data(model, data)


def _within(table: str, e: Exception, where: str = "", cls: type | None = None) -> Exception:
    """The error re-raised with the spec's dotted key: ``control: ...`` -> ``'model.control': ...``."""
    text = str(e)
    head, sep, rest = text.partition(": ")
    if sep and head.isidentifier():
        return (cls or type(e))(f"'{table}.{head}'{where}: {rest}")
    return (cls or type(e))(f"'{table}'{where}: {text}")


def _keywords(func) -> set[str]:
    return {n for n, prm in inspect.signature(func).parameters.items() if prm.kind is prm.KEYWORD_ONLY}


def build_model(table: dict[str, Any], path: str = "model"):
    """The model a ``[model]`` table (at dotted ``path``) describes: ``family`` plus constructor keywords."""
    from bayeshcc.models import FAMILIES
    from bayeshcc.models.priors import prior_from_dict

    if not isinstance(table, dict):
        raise SpecError(f"'{path}' must be a table")
    family = table.get("family")
    if family not in FAMILIES:
        raise SpecError(f"'{path}.family' must be one of {sorted(FAMILIES)}, got {family!r}")
    cls = FAMILIES[family]
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs = {}
    for key, value in table.items():
        if key == "family":
            continue
        if key not in names:
            raise SpecError(f"unknown key '{path}.{key}' for family '{family}'; expected one of {sorted(['family', *names])}")
        if isinstance(value, dict):
            value = prior_from_dict(value, field=f"{path}.{key}")
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except TypeError as e:
        raise SpecError(f"'{path}': {e}") from None
    except SpecError as e:
        raise _within(path, e) from None


def load_data(d: dict[str, Any], base: Path) -> dict[str, Any]:
    """The data a ``[data]`` table names: a bundled dataset's endpoint or a CSV beside the spec."""
    if ("dataset" in d) == ("file" in d):
        raise SpecError("'data' needs exactly one of 'dataset' or 'file'")
    kind = "dataset" if "dataset" in d else d.get("format", "patients")
    if kind not in _RELEVANT:
        raise SpecError(f"'data.format' must be one of {sorted(set(_RELEVANT) - {'dataset'})}, got {kind!r}")
    stray = sorted(set(d) - _RELEVANT[kind] - {"__lists_of_tables__"})
    if stray:
        source = "a dataset" if kind == "dataset" else f"a file of format '{kind}'"
        raise SpecError(f"'data': key(s) {stray} do not apply to {source}; expected only {sorted(_RELEVANT[kind])}")
    if kind == "dataset":
        return _dataset(d)
    return {"": _read_file(d, kind, base)}


def _dataset(d: dict[str, Any]) -> dict[str, Any]:
    from bayeshcc import datasets

    if d["dataset"] in datasets.SYNTHETIC:  # a simulated cohort: seed= picks it; patient-level OS only
        stray = sorted(set(d) & {"endpoint", "criteria"} - ({"endpoint"} if d.get("endpoint") == "os" else set()))
        if stray:
            raise SpecError(f"'data.{stray[0]}': {d['dataset']} is one patient-level OS cohort; use 'seed' only")
        return {"": datasets.SYNTHETIC[d["dataset"]](seed=d.get("seed", 1))}
    if "seed" in d:
        raise SpecError(f"'data.seed' applies to synthetic datasets {sorted(datasets.SYNTHETIC)} only")
    names = list(datasets.list_datasets()["name"])
    if d["dataset"] not in names:
        raise SpecError(f"'data.dataset': unknown dataset {d['dataset']!r}; available: {names}")
    study = datasets.load(d["dataset"])
    endpoint = d.get("endpoint", "os")
    if isinstance(endpoint, list):  # several sources fitted together (survival models)
        if not endpoint or "criteria" in d or not all(isinstance(e, str) for e in endpoint):
            raise SpecError("'data.endpoint': a list names survival sources fitted together, e.g. "
                            f"[\"os\", \"os_medians\"]; got {endpoint!r}")
        return {"": [_dataset({**d, "endpoint": e})[""] for e in endpoint]}
    value = getattr(study, endpoint, None) if endpoint.isidentifier() and not endpoint.startswith("_") else None
    fittable = ("os", "pfs", "spp", "os_medians", "response", "ordinal_response", "adverse_events")
    if endpoint not in fittable or value is None:
        have = [e for e in fittable if getattr(study, e, None) is not None]
        raise SpecError(f"'data.endpoint': {d['dataset']} has no {endpoint!r}; expected one of {have}")
    if isinstance(value, dict):
        criteria = d.get("criteria", list(value))
        for c in criteria:
            if not isinstance(c, str) or c not in value:
                raise SpecError(f"'data.criteria': {d['dataset']} {endpoint} has no {c!r}; available: {list(value)}")
        return {c: value[c] for c in criteria}
    if "criteria" in d:
        raise SpecError(f"'data.criteria': {d['dataset']} {endpoint} has no criteria")
    return {"": value}


def _read_file(d: dict[str, Any], kind: str, base: Path):
    import pandas as pd

    from bayeshcc.data import BinaryData, IntervalData, SurvivalData

    path = (base / d["file"]).resolve()
    text = read_text(path, kind="CSV file", field="'data.file'")
    rows = [r for r in csv.reader(io.StringIO(text)) if r]
    if rows:
        ragged = [i + 1 for i, r in enumerate(rows) if len(r) != len(rows[0])]
        if ragged:
            raise SpecError(
                f"'data.file': {path.name} is not a well-formed CSV: line(s) {ragged[:5]} have a different "
                f"number of fields from the header's {len(rows[0])}"
            )
    try:
        df = pd.read_csv(io.StringIO(text))
    except pd.errors.EmptyDataError:
        raise SpecError(f"'data.file': {path.name} is empty; expected a header row and data") from None
    except pd.errors.ParserError as e:
        raise SpecError(f"'data.file': {path.name} is not a well-formed CSV ({str(e).strip()})") from None
    try:
        if kind == "patients":
            covariates = d.get("covariates", [])
            bad = [c for c in covariates if not isinstance(c, str) or not c]
            if bad:
                raise SpecError(f"'data.covariates': expected column names, got {bad!r}")
            # missing covariate values are kept here and judged by the model: CoxPH refuses them
            # naming the rows, or drops them with missing = "drop"
            return SurvivalData.from_frame(df, time=d.get("time", "time"), event=d.get("event", "event"),
                                           arm=d.get("arm", "arm"), time_unit=d.get("time_unit", "time units"),
                                           covariates=covariates, missing_covariates="keep")
        if kind == "binary":
            return BinaryData.from_frame(df, arm=d.get("arm", "arm"), responders=d.get("responders", "responders"),
                                         n=d.get("n", "n"), criterion=d.get("criterion"))
        window = {k: d.get(k, k) for k in ("censor_from", "censor_to") if k in d or k in df.columns}
        return IntervalData.from_frame(df, time_unit=d.get("time_unit", "time units"), **window)
    except DataError as e:
        raise DataError(f"{path.name}: {e}") from None
