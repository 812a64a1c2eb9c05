"""A patient-level CSV with covariates feeds a Cox model from a spec."""

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.errors import DataError, SpecError
from bayeshcc.specs.fit import load_fit_spec

SPEC = """
[data]
file = "patients.csv"
format = "patients"
time = "months"
event = "died"
arm = "arm"
time_unit = "months"
covariates = ["pvtt", "child_pugh"]
[model]
family = "cox_ph"
formula = "arm + pvtt + C(child_pugh, contr.treatment('A'))"
cutpoints = [0, 6, 12]
%s
"""


def _csv(tmp_path, *, gap: bool = False) -> None:
    rng = np.random.default_rng(3)
    n = 80
    df = pd.DataFrame({
        "months": rng.exponential(12, n).round(2) + 0.1, "died": rng.random(n) < 0.7,
        "arm": np.where(np.arange(n) % 2 == 0, "HAIC", "Sorafenib"), "pvtt": rng.integers(0, 2, n),
        "child_pugh": rng.choice(["A", "B"], n),
    })
    df["pvtt"] = df["pvtt"].astype(float)
    if gap:
        df.loc[[5, 17], "pvtt"] = np.nan
    df.to_csv(tmp_path / "patients.csv", index=False)


def test_covariates_from_a_csv_reach_the_cox_design(tmp_path):
    _csv(tmp_path)
    (tmp_path / "s.toml").write_text(SPEC % "")
    spec = load_fit_spec(tmp_path / "s.toml")
    data = spec.runs[0].data
    assert isinstance(data, bh.SurvivalData) and {"pvtt", "child_pugh"} <= set(data.frame.columns)
    prepared = spec.runs[0].model.bind(data).prepare(data)
    assert any("child_pugh" in str(t) and "[T.B]" in str(t) for t in prepared.coords["term"])


def test_missing_covariates_are_refused_naming_rows_unless_the_model_drops_them(tmp_path):
    _csv(tmp_path, gap=True)
    (tmp_path / "s.toml").write_text(SPEC % "")
    with pytest.raises((DataError, SpecError), match=r"5.*17|rows"):
        load_fit_spec(tmp_path / "s.toml")
    (tmp_path / "s.toml").write_text(SPEC % 'missing = "drop"')
    with pytest.warns(UserWarning, match="17"):
        spec = load_fit_spec(tmp_path / "s.toml")
    assert spec.runs[0].data is not None


def test_covariates_must_be_column_names(tmp_path):
    _csv(tmp_path)
    (tmp_path / "s.toml").write_text((SPEC % "").replace('covariates = ["pvtt", "child_pugh"]', "covariates = [1]"))
    with pytest.raises(SpecError, match="data.covariates"):
        load_fit_spec(tmp_path / "s.toml")
    (tmp_path / "s.toml").write_text((SPEC % "").replace('"child_pugh"]', '"nope"]'))
    with pytest.raises((DataError, SpecError), match="nope"):
        load_fit_spec(tmp_path / "s.toml")
