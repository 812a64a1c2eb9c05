"""SurvivalData covariates: text columns as factors, missing values refused or kept, rows dropped."""

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.data._covariates import without_rows


def _frame(n=40, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"t": rng.exponential(8, n) + 0.05, "d": rng.integers(0, 2, n), "arm": np.repeat(["A", "B"], n // 2),
                         "cp": rng.choice(["Child-Pugh A", "Child-Pugh B"], n), "age": rng.normal(60, 10, n)})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.assign(cp=d.cp.where(d.index != 5)), r"covariate 'cp' is missing .* in row 5;"),
        (lambda d: d.assign(cp=d.cp.mask(d.index == 2, " ")), r"covariate 'cp' is missing .* in row 2;"),
        (lambda d: d.assign(cp=d.cp.mask(d.index == 3, "child-pugh a")), "differ only in case or spacing"),
        (lambda d: d.assign(cp=d.cp.astype(object).mask(d.index == 4, True)), r"mixes text with True/False.*\(row 4\)"),
    ],
)
def test_bad_text_covariates_are_refused_naming_rows(change, message):
    with pytest.raises(bh.DataError, match=message):
        bh.SurvivalData.from_frame(change(_frame()), time="t", event="d", arm="arm", covariates=["cp"])


def test_kept_missing_values_are_nan_but_infinities_and_bad_settings_are_refused():
    df = _frame().assign(age=lambda d: d.age.mask(d.index == 7), cp=lambda d: d.cp.mask(d.index == 9))
    data = bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["age", "cp"],
                                      missing_covariates="keep")
    assert np.isnan(data.frame.loc[7, "age"]) and pd.isna(data.frame.loc[9, "cp"])
    with pytest.raises(bh.DataError, match=r"'age' has 1 infinite value\(s\) \(row 3\)"):
        bh.SurvivalData.from_frame(df.assign(age=df.age.mask(df.index == 3, np.inf)), time="t", event="d",
                                   arm="arm", covariates=["age"], missing_covariates="keep")
    with pytest.raises(bh.DataError, match="missing_covariates must be 'error' or 'keep', got 'drop'"):
        bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["age"], missing_covariates="drop")


def test_without_rows_keeps_type_and_fields_and_refuses_to_empty_an_arm():
    data = bh.SurvivalData.from_frame(_frame(), time="t", event="d", arm="arm", covariates=["cp"]).with_control("B")
    out = without_rows(data, [3, 1])
    assert type(out) is type(data) and out.control == "B" and out.dropped_rows == (1, 3)
    assert len(out.frame) == 38 and out.frame.index.equals(pd.RangeIndex(38))
    pd.testing.assert_series_equal(out.frame["time"], data.frame["time"].drop(index=[1, 3]).reset_index(drop=True))
    with pytest.raises(bh.DataError, match=r"leaves arm\(s\) \['A'\] without patients"):
        without_rows(data, range(20))
