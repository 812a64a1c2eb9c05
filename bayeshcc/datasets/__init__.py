"""Bundled datasets: the seed studies as validated containers with their published figures.

Every dataset is a set of CSV files inside the package (nothing is downloaded) listed in
``registry.toml`` with the table, figure or text passage each file was transcribed from.

Examples
--------
>>> import bayeshcc as bh
>>> bh.datasets.list_datasets()["name"].tolist()
['huang2022', 'haic_cisplatin']
>>> study = bh.datasets.load("huang2022")
>>> study.arms
('FOLFOX-HAIC', 'Sorafenib')
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from bayeshcc.datasets._haic_cisplatin import load_haic_cisplatin
from bayeshcc.datasets._huang2022 import load_huang2022
from bayeshcc.datasets._registry import dataset_meta, dataset_names
from bayeshcc.datasets._synthetic import synthetic_huang2022
from bayeshcc.datasets.study import Study
from bayeshcc.errors import DataError

__all__ = ["Study", "list_datasets", "load", "load_haic_cisplatin", "load_huang2022", "synthetic_huang2022"]

_LOADERS: dict[str, Callable[[], Study]] = {
    "load_huang2022": load_huang2022,
    "load_haic_cisplatin": load_haic_cisplatin,
}
#: Simulated cohorts (not in :func:`list_datasets`; every one is labelled synthetic): name -> loader(seed=).
SYNTHETIC: dict[str, Callable[..., object]] = {"synthetic_huang2022": synthetic_huang2022}


def list_datasets() -> pd.DataFrame:
    """The bundled datasets, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (pass to :func:`load`), ``title``, ``n_patients``, ``endpoints``
        (comma-separated) and ``citation``.
    """
    rows = []
    for name in dataset_names():
        meta = dataset_meta(name)
        rows.append(
            {
                "name": name,
                "title": meta["title"],
                "n_patients": int(meta["n_patients"]),
                "endpoints": ", ".join(meta["endpoints"]),
                "citation": meta["citation"],
            }
        )
    return pd.DataFrame(rows, columns=["name", "title", "n_patients", "endpoints", "citation"])


def load(name: str) -> Study:
    """Load a bundled dataset by name (see :func:`list_datasets`).

    Raises
    ------
    DataError
        If no dataset has that name.
    """
    if name not in dataset_names():
        raise DataError(f"unknown dataset {name!r}; available: {list(dataset_names())}")
    loader = dataset_meta(name)["loader"]
    if loader not in _LOADERS:
        raise DataError(f"dataset {name!r}: registry names loader {loader!r}, which does not exist")
    return _LOADERS[loader]()
