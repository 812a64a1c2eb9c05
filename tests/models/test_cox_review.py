"""CoxPH review findings (issue 9): text covariates, strata checks, missing="drop" in fit, exact
standardised medians past the shorter arm's horizon, synthetic labels on every output (no sampling)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.models._cox_design import MAX_STRATA


def _frame(n=80, seed=1):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"t": rng.exponential(8, n) + 0.05, "d": rng.integers(0, 2, n), "arm": np.repeat(["A", "B"], n // 2),
                       "pvtt": rng.choice(["no", "yes"], n), "cp": rng.choice(["Child-Pugh A", "Child-Pugh B"], n),
                       "age": rng.normal(60, 10, n), "centre": rng.integers(0, 5, n)})
    return df


def _fixed_draws(log_hr):
    """A mock posterior: baseline hazard 0.1 in every interval, the given log HRs, no spread."""
    def draw(model, prepared, chains, draws, rng):
        k, s = len(prepared.coords["interval"]), len(prepared.coords["stratum"])
        out = {"baseline_hazard": np.full((chains, draws, s, k), 0.1)}
        if prepared.coords["term"]:
            out["log_hr"] = np.broadcast_to(np.asarray(log_hr, float), (chains, draws, len(log_hr))).copy()
        return out
    return draw


# -- 1. text covariates ----------------------------------------------------------------------------
def test_text_covariates_are_factors_with_named_reference_levels():
    df = _frame()
    data = bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["pvtt", "cp"])
    assert isinstance(data.frame["cp"].dtype, pd.CategoricalDtype)
    assert list(data.frame["cp"].cat.categories) == ["Child-Pugh A", "Child-Pugh B"]
    text = bh.CoxPH("arm + C(pvtt, contr.treatment('yes')) + cp", cutpoints=[0, 4, 8]).prepare(data)
    assert text.coords["term"] == ["arm[T.B]", "C(pvtt, contr.treatment('yes'))[T.no]", "cp[T.Child-Pugh B]"]
    # the same model on 0/1 columns coded by hand: identical likelihood arrays
    coded = df.assign(pvtt_no=(df.pvtt == "no").astype(int), cp_b=(df.cp == "Child-Pugh B").astype(int))
    numeric = bh.SurvivalData.from_frame(coded, time="t", event="d", arm="arm", covariates=["pvtt_no", "cp_b"])
    ref = bh.CoxPH("arm + pvtt_no + cp_b", cutpoints=[0, 4, 8]).prepare(numeric)
    assert text.structure[-1] == ref.structure[-1] == "patterns"
    for key in ("X", "events", "exposure"):
        np.testing.assert_array_equal(text.arrays[key], ref.arrays[key])
    # a pandas categorical keeps its level order (its first level is the default reference)
    cat = df.assign(cp=pd.Categorical(df.cp, categories=["Child-Pugh B", "Child-Pugh A"]))
    d2 = bh.SurvivalData.from_frame(cat, time="t", event="d", arm="arm", covariates=["cp"])
    assert bh.CoxPH("arm + cp", cutpoints=[0, 4]).prepare(d2).coords["term"] == ["arm[T.B]", "cp[T.Child-Pugh A]"]


def test_one_level_text_covariate_is_refused_not_dropped():
    data = bh.SurvivalData.from_frame(_frame().assign(cp="Child-Pugh A"), time="t", event="d", arm="arm", covariates=["cp"])
    with pytest.raises(bh.DataError, match=r"one level only \{'cp': \['Child-Pugh A'\]\}"):
        bh.CoxPH("arm + cp", cutpoints=[0, 4]).prepare(data)


# -- 3. strata must be discrete --------------------------------------------------------------------
def test_continuous_or_many_level_strata_are_refused():
    df = _frame()
    data = bh.SurvivalData.from_frame(df.assign(age_yr=df.age.round()), time="t", event="d", arm="arm",
                                      covariates=["age", "age_yr", "cp", "centre"])
    with pytest.raises(bh.DataError, match=r"strata: column 'age' has non-integer values \(.*\); a strata column must be discrete"):
        bh.CoxPH("arm", cutpoints=[0, 4], strata="age").prepare(data)
    n_levels = data.frame["age_yr"].nunique()
    assert n_levels > MAX_STRATA
    with pytest.raises(bh.DataError, match=rf"strata: column 'age_yr' has {n_levels} distinct values; .* at most {MAX_STRATA}"):
        bh.CoxPH("arm", cutpoints=[0, 4], strata="age_yr").prepare(data)
    with pytest.raises(bh.DataError, match="frailty: column 'age' has non-integer values"):
        bh.CoxPH("arm", cutpoints=[0, 4], frailty="age").prepare(data)
    ok = bh.CoxPH("arm", cutpoints=[0, 4], strata="cp", frailty="centre").prepare(data)
    assert ok.coords["stratum"] == ["Child-Pugh A", "Child-Pugh B"] and len(ok.coords["cluster"]) == 5


# -- 4. missing="drop" applies in fit --------------------------------------------------------------
def test_missing_covariates_are_refused_or_dropped_by_fit(mock_sampler):
    df = _frame()
    df.loc[[3, 11], "cp"] = None
    df.loc[20, "age"] = np.nan  # not read by the model: kept
    data = bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["cp", "age"],
                                      missing_covariates="keep")
    fake = mock_sampler(_fixed_draws([0.0, 0.0]))
    with pytest.raises(bh.DataError, match=r"covariate\(s\) \['cp'\] are missing in rows 3, 11; .*missing='drop'"):
        bh.CoxPH("arm + cp", cutpoints=[0, 4]).fit(data, seed=1, draws=10, chains=1)
    assert not fake.calls  # refused before sampling
    with pytest.warns(UserWarning, match=r"dropped 2 row\(s\) with missing covariates \['cp'\]: rows 3, 11"):
        fit = bh.CoxPH("arm + cp", cutpoints=[0, 4], missing="drop").fit(data, seed=1, draws=10, chains=1,
                                                                          check_convergence=False)
    assert fit.dropped_rows == (3, 11) and len(fit.data.frame) == len(df) - 2
    assert fake.calls[-1]["structure"][-1] == "patterns"
    assert "Dropped 2 row(s)" in repr(fit)
    with pytest.raises(bh.DataError, match="prepare\\(\\) takes complete data only"):
        bh.CoxPH("arm + cp", cutpoints=[0, 4], missing="drop").prepare(data)
    # a synthetic cohort keeps its note when rows are dropped
    cohort = bh.datasets.synthetic_huang2022(seed=2)
    holed = bh.SurvivalData.from_frame(cohort.frame.assign(pvtt=cohort.frame.pvtt.mask(cohort.frame.index == 0)),
                                       time="time", event="event", arm="arm", covariates=["pvtt"], missing_covariates="keep")
    dropped = bh.datasets._synthetic.SyntheticSurvivalData(**{f: getattr(holed, f) for f in ("frame", "arms", "covariates")})
    with pytest.warns(UserWarning, match="row 0"):
        kept = bh.CoxPH("arm + pvtt", cutpoints=[0, 6], missing="drop").coerce(dropped)
    assert kept.note.startswith("SYNTHETIC") and kept.dropped_rows == (0,)


# -- 2. the standardised median past the shorter arm's horizon --------------------------------------
def test_standardised_median_beyond_the_shorter_arms_horizon(mock_sampler):
    rng = np.random.default_rng(3)
    n = 200
    arm = np.repeat(["control", "treated"], n // 2)
    t = np.where(arm == "control", rng.uniform(0.5, 6.0, n), rng.uniform(0.5, 30.0, n))  # horizons 6 and 30
    df = pd.DataFrame({"t": t, "d": rng.integers(0, 2, n), "arm": arm, "x": rng.integers(0, 2, n)})
    data = bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["x"]).with_control("control")
    mock_sampler(_fixed_draws([np.log(0.5), np.log(2.0)]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bh.CoxPH("arm + x", cutpoints=[0, 2, 4]).fit(data, seed=1, draws=5, chains=1)
    cmp = fit.compare(treatment="treated", control="control", times=[3], tau=5)
    med = cmp.draws["median"]
    # exact: solve mean_i exp(-0.1 r_i t) = 1/2 for the treated arm by bisection (every draw equal)
    x = df["x"].to_numpy()
    r = np.exp(np.log(0.5) * (1 - 0.5) + np.log(2.0) * (x - x.mean()))
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.exp(-0.1 * r * mid).mean() > 0.5 else (lo, mid)
    treated = med.sel(arm="treated").values
    assert 6.0 < lo < 30.0 and np.allclose(treated, lo, atol=1e-8)  # past the control arm's horizon
    # the control arm's median lies within its own horizon: exact too
    r_c = np.exp(np.log(0.5) * (0 - 0.5) + np.log(2.0) * (x - x.mean()))
    lo_c, hi_c = 0.0, 100.0
    for _ in range(200):
        mid = (lo_c + hi_c) / 2
        lo_c, hi_c = (mid, hi_c) if np.exp(-0.1 * r_c * mid).mean() > 0.5 else (lo_c, mid)
    assert lo_c < data.horizon["control"] < lo
    np.testing.assert_allclose(med.sel(arm="control").values, lo_c, atol=1e-8)
    np.testing.assert_allclose(cmp.draws["median_difference"].values, lo - lo_c, atol=1e-8)
    assert not any("not reached" in note for note in cmp.notes)


def test_median_not_reached_within_an_arms_own_horizon_is_inf_with_a_note(mock_sampler):
    rng = np.random.default_rng(4)
    n = 100
    df = pd.DataFrame({"t": rng.uniform(0.5, 3.0, n), "d": rng.integers(0, 2, n), "arm": np.repeat(["A", "B"], n // 2),
                       "x": rng.integers(0, 2, n)})
    data = bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["x"])
    mock_sampler(_fixed_draws([0.0, 0.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bh.CoxPH("arm + x", cutpoints=[0, 1, 2]).fit(data, seed=1, draws=5, chains=1)
    cmp = fit.compare(treatment="B", control="A", times=[1], tau=2)
    assert np.isinf(cmp.draws["median"].values).all()  # log 2 / 0.1 = 6.9 > 3: beyond every horizon
    assert sum("not reached within the arm's data horizon" in note for note in cmp.notes) == 2


# -- 5. synthetic data are labelled in every output of the CLI -------------------------------------
def test_cli_outputs_of_the_synthetic_cohort_say_synthetic(mock_sampler, tmp_path, capsys):
    from pathlib import Path

    from bayeshcc.cli import main

    mock_sampler(_fixed_draws([np.log(0.3), np.log(2.0), np.log(1.4)]))
    spec = Path(__file__).resolve().parents[2] / "models" / "huang2022_os_adjusted.toml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bh.ConvergenceWarning)
        main(["fit", str(spec), "--out", str(tmp_path), "--draws", "20", "--chains", "2"])
    out = capsys.readouterr().out
    assert out.count("SYNTHETIC") >= 3  # title, data, comparison note
    for name in ("summary.csv", "diagnostics.csv"):
        table = pd.read_csv(tmp_path / name)
        assert table["data_note"].str.startswith("SYNTHETIC data").all(), name
    cohort = bh.datasets.synthetic_huang2022(seed=1)
    assert list(cohort.frame["malbi_grade"].cat.categories) == ["1", "2a", "2b"]
    counts = cohort.frame.groupby("arm", observed=True)["malbi_grade"].value_counts().to_dict()
    assert counts[("FOLFOX-HAIC", "2b")] == 8 and counts[("Sorafenib", "2a")] == 20
