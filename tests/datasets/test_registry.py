"""The registry and the bundled CSV files agree, and every file names its source."""

from __future__ import annotations

import tomllib
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.datasets import _registry
from bayeshcc.datasets.study import PUBLISHED_COLUMNS

NAMES = ("huang2022", "haic_cisplatin")


@pytest.fixture(scope="module")
def registry():
    text = resources.files("bayeshcc.datasets").joinpath("registry.toml").read_text("utf-8")
    return tomllib.loads(text)


def _listed(registry) -> list[str]:
    return sorted(f["file"] for d in registry["dataset"] for f in d["file"])


def test_every_bundled_csv_is_registered_and_vice_versa(registry):
    assert _listed(registry) == _registry.bundled_csv_files()


def test_no_file_is_registered_twice(registry):
    listed = _listed(registry)
    assert len(listed) == len(set(listed))


def test_datasets_are_the_two_seed_studies(registry):
    assert [d["name"] for d in registry["dataset"]] == list(NAMES)
    seeds = {d["name"]: d["seed"] for d in registry["dataset"]}
    assert seeds == {
        "huang2022": "000_15b1dff9d4866ef9.txt",
        "haic_cisplatin": "003_3ef285a401be0648.txt",
    }


@pytest.mark.parametrize("key", ["name", "loader", "title", "citation", "seed", "notes"])
def test_every_dataset_has_metadata(registry, key):
    for d in registry["dataset"]:
        assert isinstance(d.get(key), str) and d[key].strip(), (d["name"], key)


def test_every_file_names_a_source_and_documents_its_columns(registry):
    for d in registry["dataset"]:
        for f in d["file"]:
            for key in ("description", "source"):
                assert isinstance(f.get(key), str) and len(f[key].strip()) > 5, (f["file"], key)
            assert f["file"].startswith(d["name"] + "/"), f["file"]
            cols = f["columns"]
            assert cols and all(isinstance(v, str) and v.strip() for v in cols.values()), f["file"]


@pytest.mark.parametrize("name", NAMES)
def test_csv_headers_match_the_column_dictionary(registry, name):
    entry = next(d for d in registry["dataset"] if d["name"] == name)
    for f in entry["file"]:
        filename = f["file"].split("/", 1)[1]
        res = resources.files("bayeshcc.datasets").joinpath(name, filename)
        with res.open("r", encoding="utf-8") as fh:
            header = list(pd.read_csv(fh, nrows=0).columns)
        assert header == list(f["columns"]), f["file"]
        df = _registry.read_csv(name, filename)
        assert len(df) > 0, f["file"]


@pytest.mark.parametrize("name", NAMES)
def test_published_rows_each_name_a_source(name):
    study = bh.datasets.load(name)
    pub = study.published
    assert tuple(pub.columns) == PUBLISHED_COLUMNS
    assert pub["source"].notna().all()
    assert (pub["source"].str.len() > 4).all()
    assert pub["endpoint"].notna().all() and pub["quantity"].notna().all()


@pytest.mark.parametrize("name", NAMES)
def test_published_p_values_agree_with_their_printed_text(name):
    pub = bh.datasets.load(name).published
    has_text = pub["p_value_text"].notna()
    dash = pub["p_value_text"] == "-"
    assert pub.loc[~has_text | dash, "p_value"].isna().all()
    rows = pub[has_text & ~dash]
    printed = rows["p_value_text"].str.lstrip("<").astype(float)
    assert np.allclose(rows["p_value"], printed), rows[~np.isclose(rows["p_value"], printed)]
    assert rows["p_value"].between(0, 1).all()


@pytest.mark.parametrize("name", NAMES)
def test_study_provenance_is_the_registry_rows(registry, name):
    study = bh.datasets.load(name)
    entry = next(d for d in registry["dataset"] if d["name"] == name)
    assert study.provenance["file"].tolist() == [f["file"] for f in entry["file"]]
    assert study.provenance["source"].str.len().gt(5).all()
    assert study.name == name
    assert study.title == entry["title"] and study.citation == entry["citation"]


def test_list_datasets():
    table = bh.datasets.list_datasets()
    assert list(table.columns) == ["name", "title", "n_patients", "endpoints", "citation"]
    assert table["name"].tolist() == list(NAMES)
    # patient counts stated in the papers (55 + 59; 67 consecutive patients)
    assert table.set_index("name")["n_patients"].to_dict() == {
        "huang2022": 114,
        "haic_cisplatin": 67,
    }
    for name, n in zip(table["name"], table["n_patients"], strict=True):
        assert bh.datasets.load(name).n_patients == n


def test_load_by_name_matches_the_loaders():
    a, b = bh.datasets.load("huang2022"), bh.datasets.load_huang2022()
    assert a.response["RECIST"].frame.equals(b.response["RECIST"].frame)
    c = bh.datasets.load("haic_cisplatin")
    assert c.spp.medians.equals(bh.datasets.load_haic_cisplatin().spp.medians)


def test_unknown_dataset_is_a_data_error():
    with pytest.raises(bh.DataError, match="unknown dataset 'rossi'.*huang2022"):
        bh.datasets.load("rossi")


def test_loaders_return_independent_objects():
    a = bh.datasets.load_huang2022()
    a.published.loc[0, "estimate"] = -1.0
    a.baseline["table1"].loc[0, "count"] = -1
    b = bh.datasets.load_huang2022()
    assert (b.published["estimate"].dropna() >= 0).all()
    assert (b.baseline["table1"]["count"] >= 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_repr_is_a_short_summary(name):
    text = repr(bh.datasets.load(name))
    assert text.startswith(f"Study {name!r}")
    assert len(text.splitlines()) < 15
