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


# -- numbers stored as objects or text, True/False with gaps (review of issue 9) --------------------
def test_object_numbers_are_numeric_not_one_factor_level_per_value():
    df = _frame()
    data = bh.SurvivalData.from_frame(df.assign(age_obj=df.age.astype(object)), time="t", event="d", arm="arm",
                                      covariates=["age", "age_obj"])
    assert data.frame["age_obj"].dtype == float
    np.testing.assert_array_equal(data.frame["age_obj"], data.frame["age"])
    assert bh.CoxPH("arm + age_obj", cutpoints=[0, 4]).prepare(data).coords["term"] == ["arm[T.B]", "age_obj"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (lambda d: d.age.round().astype(int).astype(str),
         r"column 'age_txt' holds numbers stored as text .*pandas.to_numeric.*pd.Categorical"),
        (lambda d: d.age.astype(object).mask(d.index.isin([2, 6]), "unknown"),
         r"column 'age_txt' mixes numbers with text \('unknown' in rows 2, 6\)"),
        (lambda d: d.age.astype(object).mask(d.index == 5, True), r"column 'age_txt' mixes numbers with True/False values \(row 5\)"),
    ],
)
def test_numbers_as_text_or_mixed_with_text_are_refused(values, message):
    df = _frame()
    with pytest.raises(bh.DataError, match=message):
        bh.SurvivalData.from_frame(df.assign(age_txt=values(df)), time="t", event="d", arm="arm", covariates=["age_txt"])
    # an explicit categorical of the same text is a factor
    codes = df.assign(grade=(df.index % 3 + 1).astype(str))
    with pytest.raises(bh.DataError, match="numbers stored as text"):
        bh.SurvivalData.from_frame(codes, time="t", event="d", arm="arm", covariates=["grade"])
    factor = bh.SurvivalData.from_frame(codes.assign(grade=codes.grade.astype("category")), time="t", event="d",
                                        arm="arm", covariates=["grade"])
    assert list(factor.frame["grade"].cat.categories) == ["1", "2", "3"]


def test_object_true_false_with_a_gap_is_a_flag_and_can_be_dropped():
    flag = pd.Series([True, False] * 20, dtype=object).mask(lambda s: s.index == 7)
    df = _frame().assign(flag=flag)
    with pytest.raises(bh.DataError, match=r"'flag' has 1 missing or infinite value\(s\) \(row 7\)"):
        bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["flag"])
    data = bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["flag"], missing_covariates="keep")
    assert data.frame["flag"].dtype == float and np.isnan(data.frame.loc[7, "flag"])
    assert data.frame["flag"].drop(index=7).tolist() == [float(i % 2 == 0) for i in range(40) if i != 7]
    with pytest.warns(UserWarning, match="row 7"):
        kept = bh.CoxPH("arm + flag", cutpoints=[0, 4], missing="drop").coerce(data)
    assert kept.dropped_rows == (7,) and len(kept.frame) == 39


def test_rows_are_named_by_the_frames_index_labels_everywhere():
    df = _frame().set_axis(range(100, 140))
    df.loc[[103, 111], "cp"] = None
    data = bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["cp"], missing_covariates="keep")
    assert data.row_labels == tuple(range(100, 140))
    with pytest.raises(bh.DataError, match="missing in rows 103, 111;"):
        bh.CoxPH("arm + cp", cutpoints=[0, 4]).coerce(data)
    with pytest.warns(UserWarning, match="rows 103, 111"):
        once = bh.CoxPH("arm + cp", cutpoints=[0, 4], missing="drop").coerce(data)
    assert once.dropped_rows == (103, 111) and once.row_labels == tuple(r for r in range(100, 140) if r not in (103, 111))
    twice = without_rows(once, [0])  # positions in `once`; labels of the caller's frame
    assert twice.dropped_rows == (103, 111, 100)
    plain = bh.SurvivalData.from_frame(_frame(), time="t", event="d", arm="arm", covariates=["cp"])
    assert plain.row_labels is None and without_rows(plain, [4]).dropped_rows == (4,)
