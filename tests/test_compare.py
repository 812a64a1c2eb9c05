import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.results.survival import survival_bands
from bayeshcc.testing import fake_survival_fit


@pytest.fixture
def data():
    df = pd.DataFrame({"time": [1.0, 40.0, 2.0, 40.0], "event": [1, 0, 1, 0], "arm": ["C", "C", "T", "T"]})
    return bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm")


def exponential_fit(data, lam_c, lam_t):
    rng = np.random.default_rng(3)
    lc = rng.gamma(400, lam_c / 400, size=(2, 500))
    lt = lc * lam_t / lam_c
    h = np.stack([lc, lt], axis=-1)[..., None]  # (chain, draw, arm, 1 interval)
    return fake_survival_fit(h, cutpoints=[0], data=data, effect="proportional"), lc, lt


def test_closed_form_quantities(data):
    fit, lc, lt = exponential_fit(data, 0.08, 0.04)
    cmp = fit.compare(treatment="T", control="C", times=[12], tau=24)
    d = cmp.draws
    np.testing.assert_allclose(d["hazard_ratio"].values, 0.5)
    np.testing.assert_allclose(d["median"].sel(arm="C").values, np.log(2) / lc)
    np.testing.assert_allclose(d["rmst"].sel(arm="T").values, (1 - np.exp(-24 * lt)) / lt)
    np.testing.assert_allclose(d["survival_difference"].sel(time=12).values, np.exp(-12 * lt) - np.exp(-12 * lc))
    assert cmp.prob("hazard_ratio", "<", 1.0) == 1.0
    assert cmp.prob("median_difference", ">", 0) == 1.0
    p = cmp.prob("survival", ">", 0.6, arm="T", time=12)
    assert p == np.mean(np.exp(-12 * lt) > 0.6)


def test_summary_states_interval_mass(data):
    fit, lc, _ = exponential_fit(data, 0.08, 0.04)
    s = fit.compare(treatment="T", control="C", times=[12], tau=24, prob=0.9).summary()
    assert {"eti90_lower", "eti90_upper", "mean", "median"} <= set(s.columns)
    row = s[(s.quantity == "median") & (s.arm == "C")].iloc[0]
    np.testing.assert_allclose(row["eti90_lower"], np.quantile(np.log(2) / lc, 0.05), rtol=1e-10)
    s80 = fit.compare(treatment="T", control="C", times=[12], tau=24).summary(prob=0.8)
    assert "eti80_lower" in s80.columns


def test_median_not_reached_is_reported(data):
    fit, _, _ = exponential_fit(data, 0.01, 0.005)  # medians about 69 and 139 months > horizon 40
    cmp = fit.compare(treatment="T", control="C", times=[12], tau=24)
    assert np.isinf(cmp.draws["median"]).all()
    assert any("not reached" in n for n in cmp.notes)
    row = cmp.summary().query("quantity == 'median' and arm == 'T'").iloc[0]
    assert np.isinf(row["median"])
    assert "not reached" in repr(cmp)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"treatment": "X", "control": "C"}, bh.DataError, r"treatment: unknown arm\(s\) \['X'\]"),
        ({"treatment": "T", "control": "T"}, bh.DataError, "must differ"),
        ({"treatment": "T", "control": "C", "times": [50]}, bh.DataError, "beyond the data horizon 40"),
        ({"treatment": "T", "control": "C", "tau": 41}, bh.DataError, "tau must be in"),
        ({"treatment": "T", "control": "C", "prob": 1.5}, bh.SpecError, "prob must be"),
    ],
)
def test_compare_errors(data, kwargs, error, message):
    fit, _, _ = exponential_fit(data, 0.08, 0.04)
    with pytest.raises(error, match=message):
        fit.compare(**kwargs)


def test_prob_errors(data):
    cmp = exponential_fit(data, 0.08, 0.04)[0].compare(treatment="T", control="C", times=[6, 12])
    with pytest.raises(bh.SpecError, match="select one value"):
        cmp.prob("survival_difference", ">", 0)
    with pytest.raises(bh.SpecError, match="direction: expected"):
        cmp.prob("hazard_ratio", "<=", 1)
    with pytest.raises(bh.SpecError, match="not in this comparison"):
        cmp.prob("odds_ratio", "<", 1)


def test_survival_bands_and_plot(data):
    import matplotlib.pyplot as plt

    from bayeshcc.plots.survival import plot_survival_bands

    fit, lc, _ = exponential_fit(data, 0.08, 0.04)
    b = survival_bands(fit, [0, 10], prob=0.5)
    c10 = b[(b.arm == "C") & (b.time == 10)].iloc[0]
    np.testing.assert_allclose(c10["median"], np.median(np.exp(-10 * lc)))
    assert (b["lower"] <= b["median"]).all() and (b["median"] <= b["upper"]).all()
    obs = pd.DataFrame({"arm": ["C", "T"], "time": [10, 10], "survival": [0.4, 0.7]})
    ax = plot_survival_bands(b, observed=obs, km=data.kaplan_meier())
    labels = [line.get_label() for line in ax.get_lines()]
    assert "C (posterior median)" in labels and "T (observed)" in labels
    km_line = next(line for line in ax.get_lines() if line.get_label() == "C (Kaplan-Meier)")
    assert km_line.get_drawstyle() == "steps-post"
    np.testing.assert_allclose(km_line.get_ydata(), [1.0, 0.5])
    assert len(ax.collections) == 2  # one band per arm
    plt.close(ax.figure)


@pytest.mark.parametrize("times", [[-5], ["a"], [float("nan")], [[1, 2]], [], [True]])
def test_survival_times_are_checked(data, times):
    fit = exponential_fit(data, 0.08, 0.04)[0]
    with pytest.raises(bh.DataError, match="times must be a non-empty list of finite times >= 0"):
        fit.survival(times)


@pytest.mark.parametrize("engine", [["laplace"], 3, None])
def test_engine_must_be_a_name_or_an_engine(engine):
    design = bh.TrialDesign(control="C", treatment="T", n_patients=100, accrual=bh.Accrual(rate=10),
                            analyses=[bh.Analysis(events=30)],
                            success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975))
    with pytest.raises(bh.SpecError, match="engine: unknown engine"):
        bh.simulate(design, bh.Scenario.fixed(median=10), n_trials=10, seed=1, engine=engine)


def test_numeric_arm_codes_work_as_given():
    from bayeshcc.testing import fake_fit

    df = pd.DataFrame({"time": np.arange(1.0, 41.0), "event": 1, "arm": np.repeat([0, 1], 20)})
    ipd = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm")
    model = bh.PiecewiseExponential(cutpoints=[0], effect="per_arm", control=0)
    assert model.control == "0"
    fit = fake_fit(model, ipd, {"hazard": np.tile([0.1, 0.05], (1, 20, 1))[..., None]})
    cmp = fit.compare(treatment=1, times=[1])
    assert (cmp.treatment, cmp.control) == ("1", "0")
    assert cmp.prob("hazard_ratio", "<", 0.6) == 1.0
    with pytest.raises(bh.DataError, match=r"treatment: unknown arm\(s\) \[2\]"):
        fit.compare(treatment=2)


def test_summary_gives_the_probability_of_benefit_and_the_rmst_horizon(data):
    rng = np.random.default_rng(5)
    lc = rng.gamma(50, 0.08 / 50, size=(2, 500))
    lt = rng.gamma(50, 0.07 / 50, size=(2, 500))  # per-arm draws: the HR varies around 0.875
    h = np.stack([lc, lt], axis=-1)[..., None]
    fit = fake_survival_fit(h, cutpoints=[0], data=data, effect="per_arm")
    cmp = fit.compare(treatment="T", control="C", times=[12], tau=24)
    s = cmp.summary().set_index("quantity")
    assert s.loc["hazard_ratio", "p_benefit"] == pytest.approx(cmp.prob("hazard_ratio", "<", 1))
    assert 0.5 < s.loc["hazard_ratio", "p_benefit"] < 1
    assert s.loc["rmst_difference", "p_benefit"] == pytest.approx(cmp.prob("rmst_difference", ">", 0))
    assert s.loc["rmst_difference", "tau"] == 24 and np.isnan(s.loc["hazard_ratio", "tau"])
    assert s.loc["median", "p_benefit"].isna().all()  # per-arm rows have no benefit direction
