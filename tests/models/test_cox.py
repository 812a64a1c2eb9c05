"""CoxPH: formula, design, collapse, missing covariates, g-computation maths (no sampling here)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.datasets._synthetic import SYNTHETIC_HUANG2022_TRUTH
from bayeshcc.models._cox_design import DesignRows
from bayeshcc.results import _standardise as st


@pytest.fixture
def cohort():
    return bh.datasets.synthetic_huang2022(seed=3)


def test_synthetic_cohort_follows_table1_and_is_labelled(cohort):
    assert cohort.n_by_arm == {"Sorafenib": 59, "FOLFOX-HAIC": 55}
    f = cohort.frame
    assert f[f.arm == "FOLFOX-HAIC"]["pvtt"].sum() == 18 and f[f.arm == "Sorafenib"]["pvtt"].sum() == 17
    assert f[f.arm == "FOLFOX-HAIC"]["afp_high"].sum() == 34 and f[f.arm == "Sorafenib"]["afp_high"].sum() == 36
    assert "SYNTHETIC" in repr(cohort) and "synthetic" in cohort.note.lower()
    assert "SYNTHETIC" in bh.datasets.synthetic_huang2022.__doc__
    assert f["time"][~f["event"]].min() >= 28.4  # administrative censoring only, as in the study
    same = bh.datasets.synthetic_huang2022(seed=3).frame
    pd.testing.assert_frame_equal(f, same)
    assert np.isclose(np.exp(SYNTHETIC_HUANG2022_TRUTH["treatment"]), 0.29)
    assert np.isclose(np.exp(-SYNTHETIC_HUANG2022_TRUTH["pvtt"]), 0.49)


def test_formula_terms_reference_level_and_structure(cohort):
    m = bh.CoxPH("~ C(arm, contr.treatment('Sorafenib')) + pvtt", cutpoints=[0, 6, 12])
    prep = m.prepare(cohort)
    assert prep.coords["term"] == ["C(arm, contr.treatment('Sorafenib'))[T.FOLFOX-HAIC]", "pvtt"]
    assert prep.arms == ("Sorafenib", "FOLFOX-HAIC")
    assert prep.extra["collapsed"]  # 0/1 covariates: 4 patterns for 114 patients
    assert prep.arrays["events"].sum() == cohort.frame["event"].sum()
    assert np.isclose(prep.arrays["exposure"].sum(), cohort.frame["time"].sum())


@pytest.mark.parametrize("bad, match", [("time ~ arm", "right-hand side"), ("", "right-hand side"),
                                        ("arm + nosuch", "not in the data")])
def test_bad_formulas(cohort, bad, match):
    with pytest.raises((bh.SpecError, bh.DataError), match=match):
        bh.CoxPH(bad, cutpoints=[0, 6]).prepare(cohort)


def test_settings_refused():
    with pytest.raises(bh.SpecError, match="collapse"):
        bh.CoxPH("arm", cutpoints=[0], collapse="yes")
    with pytest.raises(bh.SpecError, match="coef_prior"):
        bh.CoxPH("arm", cutpoints=[0], coef_prior=bh.LogNormal(0, 1))
    with pytest.raises(bh.SpecError, match="missing"):
        bh.CoxPH("arm", cutpoints=[0], missing="impute")


def test_cutpoints_beyond_data_and_strata_in_formula(cohort):
    with pytest.raises(bh.DataError, match="beyond"):
        bh.CoxPH("arm", cutpoints=[0, 100]).prepare(cohort)
    with pytest.raises(bh.SpecError, match="also in the formula"):
        bh.CoxPH("arm + pvtt", cutpoints=[0, 6], strata="pvtt").prepare(cohort)
    with pytest.raises(bh.DataError, match="time_varying"):
        bh.CoxPH("arm + pvtt", cutpoints=[0, 6], time_varying=["nosuch"]).prepare(cohort)


def test_missing_covariates_error_lists_rows_or_drop_reports():
    df = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0, 5.0], "d": [1, 0, 1, 1, 0], "x": [0.5, np.nan, 1.0, np.nan, 2.0]})
    with pytest.raises(bh.DataError, match="rows 1, 3"):
        bh.CoxPH("x", cutpoints=[0]).survival_data(df, time="t", event="d")
    with pytest.warns(UserWarning, match="dropped 2 row"):
        data = bh.CoxPH("x", cutpoints=[0], missing="drop").survival_data(df, time="t", event="d")
    assert data.dropped_rows == (1, 3) and len(data.frame) == 3


def test_collapse_sums_cells_exactly(cohort):
    a = bh.CoxPH("arm + pvtt + afp_high", cutpoints=[0, 6, 12], collapse=False).prepare(cohort)
    b = bh.CoxPH("arm + pvtt + afp_high", cutpoints=[0, 6, 12], collapse=True).prepare(cohort)
    assert len(b.arrays["events"]) <= 8 * 3 < len(a.arrays["events"])
    assert a.arrays["events"].sum() == b.arrays["events"].sum()
    assert np.isclose(a.arrays["exposure"].sum(), b.arrays["exposure"].sum())
    # continuous covariate: auto does not collapse
    df = cohort.frame.assign(score=np.linspace(0, 1, len(cohort.frame)))
    data = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", covariates=["score"])
    assert not bh.CoxPH("arm + score", cutpoints=[0, 6]).prepare(data).extra["collapsed"]


def _draws(rng, s=50, strata=1, k=3, p=2, q=0, c=1):
    return st.Draws(log_base=rng.normal(-2, 0.3, (s, strata, k)), beta=rng.normal(0, 0.5, (s, p)),
                    beta_tv=rng.normal(0, 0.5, (s, q, k)), frailty=rng.normal(0, 0.3, (s, c)))


@pytest.mark.parametrize("q", [0, 1], ids=["proportional", "time_varying"])
def test_standardised_chunks_equal_brute_force(q):
    rng = np.random.default_rng(1)
    n, c = 40, np.array([0.0, 2.0, 5.0])
    rows = DesignRows(const=rng.normal(size=(n, 2)), tv=rng.normal(size=(n, q)), stratum=rng.integers(0, 2, n),
                      cluster=rng.integers(0, 3, n))
    draws = _draws(rng, strata=2, q=q, c=3)
    times = np.array([1.0, 3.0, 7.0])
    res = st.standardised(rows, np.ones(n), draws, c, times, 6.0, memory_budget=2000)  # a chunk per draw
    whole = st.standardised(rows, np.ones(n), draws, c, times, 6.0)
    np.testing.assert_allclose(res.median, whole.median, rtol=1e-12)
    s, rm = res.survival, res.rmst
    lh = st.log_hazard(rows, draws, slice(0, n))
    from bayeshcc import piecewise
    brute = np.exp(-np.einsum("snk,tk->snt", np.exp(lh), piecewise.overlap(c, np.zeros(3), times))).mean(axis=1)
    np.testing.assert_allclose(s, brute, rtol=1e-12)
    np.testing.assert_allclose(rm, piecewise.rmst(np.exp(lh), c, 6.0).mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(st.standardised(rows, np.ones(n), draws, c, times, 2.0).rmst,
                               piecewise.rmst(np.exp(lh), c, 2.0).mean(axis=1), rtol=1e-12)  # tau at a cutpoint
    # the median: the brute-force average survival there is 1/2
    at_med = np.exp(-np.einsum("snk,sk->sn", np.exp(lh), piecewise.overlap(c, np.zeros(50), res.median))).mean(axis=1)
    np.testing.assert_allclose(at_med, 0.5, atol=1e-9)
    # weights of identical rows equal the rows repeated
    uniq, w = DesignRows(const=np.repeat(rows.const[:5], 3, 0), tv=np.repeat(rows.tv[:5], 3, 0),
                         stratum=np.repeat(rows.stratum[:5], 3), cluster=np.repeat(rows.cluster[:5], 3)).unique()
    s5 = st.standardised(DesignRows(rows.const[:5], rows.tv[:5], rows.stratum[:5], rows.cluster[:5]),
                            np.ones(5), draws, c, times)
    np.testing.assert_allclose(st.standardised(uniq, w, draws, c, times).survival, s5.survival, rtol=1e-12)


def test_patient_log_likelihood_matches_exponential_density():
    rng = np.random.default_rng(2)
    rows = DesignRows(const=np.zeros((3, 1)), tv=np.zeros((3, 0)), stratum=np.zeros(3, int), cluster=np.zeros(3, int))
    draws = st.Draws(log_base=np.log(np.full((1, 1, 1), 0.2)), beta=np.zeros((1, 1)), beta_tv=np.zeros((1, 0, 1)),
                     frailty=np.zeros((1, 1)))
    t, d = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 1.0])
    ll = st.patient_log_likelihood(rows, t, d, np.array([0.0]), draws)
    np.testing.assert_allclose(ll[0], d * np.log(0.2) - 0.2 * t)
    del rng


def test_standardised_median_is_exact():
    """One patient, constant hazard: log 2 / h; two patients with hazards 0.1 and 0.4 in one
    interval: the root of (exp(-0.1 t) + exp(-0.4 t)) / 2 = 1/2, found here by bisection."""
    rows = DesignRows(const=np.array([[0.0], [np.log(4.0)]]), tv=np.zeros((2, 0)), stratum=np.zeros(2, int),
                      cluster=np.zeros(2, int))
    draws = st.Draws(log_base=np.log(np.full((1, 1, 2), 0.1)), beta=np.ones((1, 1)), beta_tv=np.zeros((1, 0, 2)),
                     frailty=np.zeros((1, 1)))
    c = np.array([0.0, 1.0])
    one = st.standardised(rows, np.array([1.0, 0.0]), draws, c, np.array([1.0]))
    assert abs(one.median[0] - np.log(2) / 0.1) < 1e-9 and one.rmst is None
    lo, hi = 0.0, 50.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if (np.exp(-0.1 * mid) + np.exp(-0.4 * mid)) / 2 > 0.5 else (lo, mid)
    assert abs(st.standardised(rows, np.ones(2), draws, c, np.array([1.0])).median[0] - lo) < 1e-8


def test_fit_result_with_mock_sampler(cohort, mock_sampler):
    def draw(model, prepared, chains, draws, rng):
        k = len(prepared.coords["interval"])
        return {"baseline_hazard": np.full((chains, draws, 1, k), 0.08),
                "log_hr": np.stack([rng.normal(np.log(0.3), 0.01, (chains, draws)), np.full((chains, draws), 0.7)], -1)}

    mock_sampler(draw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bh.CoxPH("arm + pvtt", cutpoints=[0, 6, 12]).fit(cohort, seed=1, draws=200, chains=2)
    table = fit.summary(prob=0.9)
    assert {"eti90_lower", "eti90_upper", "p_hr_below_1"} <= set(table.columns)
    hr = table[(table.term == "arm[T.FOLFOX-HAIC]") & (table.scale == "HR")].iloc[0]
    assert abs(hr["median"] - 0.3) < 0.01 and hr["p_hr_below_1"] == 1.0
    cmp = fit.compare(times=[6, 12], tau=12)
    assert cmp.prob("hazard_ratio", "<", 1) == 1.0
    # standardised survival: direct average over patients at the fixed baseline
    # (design columns are centred at the data's means: the baseline is the mean patient's hazard)
    surv = cmp.draws["survival"].sel(arm="Sorafenib", time=12).values.ravel()
    lhr = fit.idata.posterior["log_hr"].isel(term=0).values.ravel()
    pv, haic = cohort.frame["pvtt"].to_numpy(), (cohort.frame["arm"] == "FOLFOX-HAIC").mean()
    h = 0.08 * np.exp(lhr[:, None] * (0 - haic) + 0.7 * (pv - pv.mean())[None, :])
    np.testing.assert_allclose(surv, np.exp(-h * 12).mean(axis=1), rtol=1e-10)
    assert "SYNTHETIC" in "\n".join(cmp.notes) and "SYNTHETIC" in repr(fit)
    assert fit.idata.posterior.attrs["data_note"].startswith("SYNTHETIC")
    from bayeshcc.plots import plot_fit
    from bayeshcc.plots.cox import plot_forest
    fig = plot_fit(fit, cmp)
    assert len(fig.axes[0].lines) >= 4  # two medians and two KM steps
    ax = plot_forest(table)
    assert len(ax.get_yticklabels()) == 2


def _mixed_cohort(seed=5, n=80):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"age": rng.normal(60, 10, n), "pvtt": rng.integers(0, 2, n),
                       "site": rng.integers(0, 2, n), "centre": rng.integers(0, 4, n),
                       "arm": rng.choice(["A", "B"], n)})
    t = rng.exponential(12.0, n)
    c = rng.uniform(6, 30, n)
    df["time"], df["event"] = np.minimum(t, c), (t <= c).astype(int)
    return bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm",
                                      covariates=["age", "pvtt", "site", "centre"])


@pytest.mark.parametrize("kwargs", [dict(strata="site", frailty="centre"), dict(), dict(strata="site")])
def test_patient_likelihood_equals_cells_up_to_a_constant(monkeypatch, kwargs):
    """The per-patient likelihood and the split cells' Poisson differ by sum(d log E - log d!) only."""
    data = _mixed_cohort()
    model = bh.CoxPH("arm + age + pvtt", cutpoints=[0, 4, 9, 15], collapse=False, **kwargs)
    prep = model.prepare(data)
    assert prep.extra["per_patient"] and prep.arrays["exposure"].shape == (80, 4)
    assert prep.arrays["events"].sum() == data.frame["event"].sum()
    assert np.isclose(prep.arrays["exposure"].sum(), data.frame["time"].sum())
    pm_patients = model.build(prep)
    monkeypatch.setattr(bh.CoxPH, "_patient_likelihood", False)
    cells = model.prepare(data)
    assert not cells.extra["per_patient"] and cells.structure != prep.structure
    pm_cells = model.build(cells)
    assert "events_patients" in pm_patients.named_vars and "events_cells" in pm_cells.named_vars
    f_p, f_c = pm_patients.compile_logp(), pm_cells.compile_logp()
    ev, ex = cells.arrays["events"], cells.arrays["exposure"]
    constant = float(np.sum(ev * np.log(ex)))  # log d! = 0 for 0/1 events
    rng = np.random.default_rng(0)
    point0 = pm_patients.initial_point()
    diffs = []
    for _ in range(5):
        pt_ = {k: v + rng.normal(0, 0.7, np.shape(v)) for k, v in point0.items()}
        diffs.append(f_c(pt_) - f_p(pt_))
        assert np.isfinite(diffs[-1])
    assert np.allclose(diffs, constant, rtol=0, atol=1e-8)
    # pointwise: one observed term per patient
    ll = pm_patients.compile_fn(pm_patients.logp(vars=pm_patients.observed_RVs, sum=False)[0])(pt_)
    assert ll.shape == (80,)


@pytest.mark.parametrize("kwargs", [dict(strata="site", frailty="centre", time_varying=["pvtt"]), dict()])
def test_collapsed_patterns_equal_cells_up_to_a_constant(kwargs):
    """Collapsed (pattern x interval matrices) and split-cell likelihoods differ by a constant."""
    data = _mixed_cohort()
    logps = []
    rng = np.random.default_rng(1)
    for collapse in (True, False):
        model = bh.CoxPH("arm + pvtt", cutpoints=[0, 4, 9, 15], collapse=collapse, **kwargs)
        prep = model.prepare(data)
        if collapse:
            assert prep.structure[-1] == "patterns" and prep.arrays["events"].shape[1] == 4
            assert prep.arrays["events"].sum() == data.frame["event"].sum()
            assert np.isclose(prep.arrays["exposure"].sum(), data.frame["time"].sum())
        pm_model = model.build(prep)
        f = pm_model.compile_logp()
        if collapse:
            point0 = pm_model.initial_point()
            points = [{k: v + rng.normal(0, 0.7, np.shape(v)) for k, v in point0.items()} for _ in range(4)]
        logps.append(np.array([f(q) for q in points]))
    diff = logps[0] - logps[1]
    assert np.ptp(logps[0]) > 1 and np.ptp(diff) < 1e-8


@pytest.mark.parametrize(
    ("formula", "error", "message"),
    [
        ("0 + arm", bh.SpecError, "removes the intercept"),
        ("arm - 1", bh.SpecError, "removes the intercept"),
        ("arm + C(stage, contr.treatment(4))", bh.DataError, r"could not be applied to the data: Value `4`"),
    ],
)
def test_formulas_that_cannot_work_are_refused_clearly(formula, error, message):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"time": rng.exponential(5, 60) + 0.1, "event": rng.integers(0, 2, 60),
                       "arm": np.repeat(["A", "B"], 30), "stage": rng.integers(1, 4, 60)})
    data = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", covariates=["stage"])
    with pytest.raises(error, match=message):
        bh.CoxPH(formula, cutpoints=[0, 3]).prepare(data)
