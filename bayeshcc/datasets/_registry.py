"""Read the bundled registry (registry.toml) and the CSV files it lists."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from bayeshcc._toml import parse_toml
from bayeshcc.errors import DataError

__all__ = ["dataset_meta", "dataset_names", "provenance", "read_csv", "bundled_csv_files"]

PACKAGE = "bayeshcc.datasets"
REGISTRY = "registry.toml"

# Columns that hold labels: read as text so that categories such as "0", "1", "2a" or ".19"
# keep their printed form.
TEXT_COLUMNS = frozenset(
    {
        "arm",
        "category",
        "characteristic",
        "criterion",
        "date",
        "event",
        "grade",
        "group",
        "milestone",
        "p_value_text",
        "step",
        "system",
        "therapy",
        "unit",
        "statistic",
    }
)


@lru_cache(maxsize=1)
def _registry() -> dict[str, Any]:
    text = resources.files(PACKAGE).joinpath(REGISTRY).read_text(encoding="utf-8")
    return parse_toml(text, source=REGISTRY)


def dataset_names() -> tuple[str, ...]:
    """Names of the registered datasets, in registry order."""
    return tuple(d["name"] for d in _registry()["dataset"])


def dataset_meta(name: str) -> dict[str, Any]:
    """The registry entry of one dataset (a fresh copy, safe to modify)."""
    for d in _registry()["dataset"]:
        if d["name"] == name:
            return _copy(d)
    raise DataError(f"unknown dataset {name!r}; available: {list(dataset_names())}")


def _copy(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _copy(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_copy(v) for v in x]
    return x


def _file_entry(name: str, filename: str) -> dict[str, Any]:
    path = f"{name}/{filename}"
    for f in dataset_meta(name)["file"]:
        if f["file"] == path:
            return f
    raise DataError(f"dataset {name!r}: file {path!r} is not in {REGISTRY}")


def read_csv(name: str, filename: str) -> pd.DataFrame:
    """Read a bundled CSV of dataset ``name``; the file must be listed in the registry.

    Raises
    ------
    DataError
        If the file is not registered, or its columns differ from the registry's column
        dictionary.
    """
    entry = _file_entry(name, filename)
    res = resources.files(PACKAGE).joinpath(name, filename)
    with res.open("r", encoding="utf-8") as fh:
        columns = pd.read_csv(fh, nrows=0).columns
    dtype = {c: str for c in columns if c in TEXT_COLUMNS}
    with res.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=dtype)
    declared = list(entry["columns"])
    if list(df.columns) != declared:
        raise DataError(
            f"dataset {name!r}: {filename} has columns {list(df.columns)} but {REGISTRY} "
            f"declares {declared}"
        )
    return df


def provenance(name: str) -> pd.DataFrame:
    """Registry rows for every file of dataset ``name``: file, description, source, notes, columns."""
    rows = [
        {
            "file": f["file"],
            "description": f["description"],
            "source": f["source"],
            "notes": f.get("notes", ""),
            "columns": dict(f["columns"]),
        }
        for f in dataset_meta(name)["file"]
    ]
    return pd.DataFrame(rows, columns=["file", "description", "source", "notes", "columns"])


def bundled_csv_files() -> list[str]:
    """Every CSV shipped in the package, as ``<dataset dir>/<file>.csv`` (for consistency tests)."""
    root = resources.files(PACKAGE)
    out = []
    for sub in root.iterdir():
        if sub.is_dir() and not sub.name.startswith(("_", ".")):
            out += [f"{sub.name}/{f.name}" for f in sub.iterdir() if f.name.endswith(".csv")]
    out += [f.name for f in root.iterdir() if f.name.endswith(".csv")]
    return sorted(out)
