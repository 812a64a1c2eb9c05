"""The Model / Fit seam: one fit path for every family, the compiled-model cache, LOO terms."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc import sampling
from bayeshcc.testing import fake_fit, life_table


@pytest.fixture
def ipd(ipd_frame):
    return bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm")


@pytest.fixture
def table():
    """A life table with all three row kinds: closed, follow-up window and actuarial."""
    return life_table()


def test_registry_names_every_family():
    expected = {"piecewise_exponential": bh.PiecewiseExponential, "binomial_response": bh.BinomialResponse,
                "cox_ph": bh.CoxPH}
    assert {k: bh.FAMILIES.get(k) for k in expected} == expected
    for name, cls in bh.FAMILIES.items():
        assert cls.family == name and cls.endpoint in ("survival", "response", "adverse_events") and cls.data_types


def test_fit_runs_prepare_result_and_diagnostics_through_the_mocked_sampler(ipd, mock_sampler):
    true = np.array([[0.1, 0.05], [0.06, 0.03]])  # (arm, interval)

    def draws(model, prepared, chains, n, rng):
        return {"hazard": true * np.exp(0.01 * rng.standard_normal((chains, n, 2, 2)))}

    fake = mock_sampler(draws)
    model = bh.PiecewiseExponential(cutpoints=[0, 10], effect="per_arm", control="A")
    fit = model.fit(ipd, draws=500, chains=2, seed=4)
    assert isinstance(fit, bh.SurvivalFit) and fit.arms == ("A", "B") and fit.control == "A"
    assert fake.calls == [{"model": model, "structure": ("ipd", ("A", "B"), 2, ()), "sampler": "nutpie", "seed": 4}]
    hr = fit.compare(treatment="B", control="A", times=[5]).draws["hazard_ratio"]
    np.testing.assert_allclose(hr.median(dim=("chain", "draw")).values, true[1] / true[0], rtol=0.01)


def test_fake_fit_builds_any_familys_result():
    recist = bh.datasets.load_huang2022().response["RECIST"]
    model = bh.BinomialResponse(control="Sorafenib")
    fit = fake_fit(model, recist, {"rate": np.tile([0.1, 0.4], (2, 50, 1))})
    assert isinstance(fit, bh.ResponseFit)
    assert fit.compare().prob("risk_difference", ">", 0.29) == 1.0


def test_compiled_model_cache_is_keyed_by_settings_and_structure(ipd, table):
    sampling.clear_compiled_cache()
    a = bh.PiecewiseExponential(cutpoints=[0, 6], control="A")
    same = bh.PiecewiseExponential(cutpoints=(0.0, 6.0), control="A")
    other_prior = bh.PiecewiseExponential(cutpoints=[0, 6], control="A", log_hr_prior=bh.Normal(0, 1))
    assert a == same and hash(a) == hash(same) and a != other_prior
    prepared = a.prepare(ipd)
    first = sampling._compiled(a, prepared, "pymc")
    assert sampling._compiled(same, same.prepare(ipd), "pymc") is first
    assert sampling._compiled(other_prior, other_prior.prepare(ipd), "pymc") is not first


def test_sampler_settings_refused_before_anything_is_built(ipd):
    model = bh.PiecewiseExponential(cutpoints=[0, 6])
    for kwargs, message in [({"draws": 0}, "draws must be"), ({"chains": 2.5}, "chains must be"),
                            ({"draws": 10**20}, "exceeds the limit"), ({"sampler": "gibbs"}, "sampler must be one of")]:
        with pytest.raises(bh.SpecError, match=message):
            model.fit(ipd, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["nutpie", "pymc"])
def test_every_term_has_a_pointwise_log_likelihood(table, sampler):
    fit = bh.PiecewiseExponential(cutpoints=[0, 6, 12], control="C").fit(
        table, draws=200, tune=300, chains=2, seed=2, sampler=sampler, log_likelihood=True)
    ll = fit.idata.log_likelihood
    assert set(ll.data_vars) == {"events_closed", "events_actuarial", "events_window"}
    # the actuarial row (T, [6, 12)) is the half-at-risk formula at every draw
    h = fit.hazard.sel(arm="T").isel(interval=1).values * 6.0
    d, n_eff = 9, 42 - 3 / 2
    np.testing.assert_allclose(ll["events_actuarial"].values[..., -1], d * np.log(-np.expm1(-h)) - (n_eff - d) * h,
                               rtol=1e-6)
    with warnings.catch_warnings(record=True):  # 6 grouped rows: high Pareto k is expected here
        warnings.simplefilter("always")
        loo = fit.loo(pointwise=True)
    assert np.isfinite(loo.elpd_loo) and loo.n_data_points == 2 + 2 + 2
    assert loo.pareto_k.sizes["observation"] == 6


def test_loo_needs_the_log_likelihood(ipd, mock_sampler):
    mock_sampler(lambda m, p, c, n, rng: {"hazard": np.exp(rng.normal(-3, 0.1, (c, n, 2, 1)))})
    fit = bh.PiecewiseExponential(cutpoints=[0], effect="per_arm").fit(ipd, draws=100, chains=2)
    with pytest.raises(bh.SpecError, match="log_likelihood=True"):
        fit.loo()


def test_parameter_summary_names_its_interval(ipd, mock_sampler):
    mock_sampler(lambda m, p, c, n, rng: {"hazard": np.exp(rng.normal(-3, 0.1, (c, n, 2, 1)))})
    fit = bh.PiecewiseExponential(cutpoints=[0], effect="per_arm").fit(ipd, draws=400, chains=2)
    s = fit.summary(prob=0.9)
    assert list(s.columns[:6]) == ["parameter", "mean", "sd", "median", "eti90_lower", "eti90_upper"]
    assert s["parameter"].tolist() == ["hazard[A, [0, inf)]", "hazard[B, [0, inf)]"]
    assert (s["eti90_lower"] < s["median"]).all() and (s["median"] < s["eti90_upper"]).all()


def test_patient_level_loo_has_one_exact_term_per_patient(ipd, mock_sampler):
    """Sum over patients of d log h(t) - H(t) equals the Poisson-cell form sum D log h - h E."""
    mock_sampler(lambda m, p, c, n, rng: {"hazard": np.exp(rng.normal(-3, 0.3, (c, n, 2, 3)))})
    cuts = [0, 5, 12]
    fit = bh.PiecewiseExponential(cutpoints=cuts, effect="per_arm").fit(ipd, draws=50, chains=2, log_likelihood=True)
    ll = fit.idata.log_likelihood["patients"]
    assert ll.sizes["patient"] == len(ipd.frame)
    d, e = ipd.exposure_table(cuts)
    h = fit.hazard.transpose("chain", "draw", "arm", "interval").values
    cells = (d * np.log(h) - h * e).sum(axis=(-1, -2))
    np.testing.assert_allclose(ll.sum("patient").values, cells, rtol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert fit.loo().n_data_points == len(ipd.frame)


def test_patient_log_likelihood_puts_an_event_at_a_cutpoint_where_the_split_does(mock_sampler):
    """Times rounded to whole months, cutpoints on them: each patient's term uses the interval that
    SurvivalData.split (the sampled likelihood) gives, so the sum equals the Poisson-cell form."""
    frame = pd.DataFrame({"time": [6.0, 6.0, 3.0, 12.0, 6.0, 9.0, 13.0], "event": [1, 0, 1, 1, 1, 0, 0],
                          "arm": ["A", "A", "A", "B", "B", "B", "B"]})
    ipd = bh.SurvivalData.from_frame(frame, time="time", event="event", arm="arm")
    mock_sampler(lambda m, p, c, n, rng: {"hazard": np.exp(rng.normal(-2, 0.5, (c, n, 2, 3)))})
    cuts = [0, 6, 12]
    fit = bh.PiecewiseExponential(cutpoints=cuts, effect="per_arm").fit(ipd, draws=20, chains=2, log_likelihood=True)
    d, e = ipd.exposure_table(cuts)
    h = fit.hazard.transpose("chain", "draw", "arm", "interval").values
    cells = (d * np.log(h) - h * e).sum(axis=(-1, -2))
    np.testing.assert_allclose(fit.idata.log_likelihood["patients"].sum("patient").values, cells, rtol=1e-10)


def test_grouping_patient_data_keeps_the_named_control(ipd):
    named = ipd.with_control("B")
    grouped = bh.IntervalData.from_survival(named, [0, 6])
    assert grouped.control == "B"
    assert bh.PiecewiseExponential(cutpoints=[0, 6]).prepare(grouped).control == "B"
