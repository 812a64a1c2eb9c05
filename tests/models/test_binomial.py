"""BinomialResponse: an ExactModel whose draws come from the exact Beta posterior."""

import numpy as np
import pytest
from scipy import integrate, optimize, stats

import bayeshcc as bh


@pytest.fixture
def recist():
    return bh.datasets.load_huang2022().response["RECIST"]


def test_matches_exact_beta_difference(recist):
    """RECIST 18/55 vs 1/59 with Beta(1, 1): rates Beta(19, 38) and Beta(2, 59). The draws'
    difference quantiles and probabilities must match the exact ones within 4 Monte Carlo
    standard errors (for a quantile: sqrt(q(1-q)/n) / density; for a probability: sqrt(p(1-p)/n))."""
    fit = bh.BinomialResponse(prior=bh.Beta(1, 1)).fit(recist, draws=10_000, chains=4, seed=3)
    assert fit.sampler == "exact" and fit.diagnostics().ok
    params = fit.posterior_parameters().set_index("arm")
    assert params.loc["FOLFOX-HAIC", ["alpha", "beta"]].tolist() == [19.0, 38.0]
    assert params.loc["Sorafenib", ["alpha", "beta"]].tolist() == [2.0, 59.0]
    cmp = fit.compare(treatment="FOLFOX-HAIC", control="Sorafenib")
    t, c = stats.beta(19, 38), stats.beta(2, 59)
    n = fit.n_draws

    def cdf(x):  # P(p_T - p_C <= x), exact by quadrature
        return integrate.quad(lambda u: c.pdf(u) * t.cdf(x + u), 0, 1, limit=200)[0]

    def pdf(x):
        return integrate.quad(lambda u: c.pdf(u) * t.pdf(x + u), 0, 1, limit=200)[0]

    draws = cmp.draws["risk_difference"].values.ravel()
    for q in (0.025, 0.5, 0.975):
        exact_q = optimize.brentq(lambda x, q=q: cdf(x) - q, -0.5, 0.9)
        se = np.sqrt(q * (1 - q) / n) / pdf(exact_q)
        assert abs(np.quantile(draws, q) - exact_q) < 4 * se, q
    for value in (0.2, 0.3, 0.4):
        exact_p = 1 - cdf(value)
        assert abs(cmp.prob("risk_difference", ">", value) - exact_p) < 4 * np.sqrt(exact_p * (1 - exact_p) / n)
        # the closed form answers the same question with no Monte Carlo error
        assert fit.exact_posterior(treatment="FOLFOX-HAIC", control="Sorafenib").prob("risk_difference", ">", value)[0] == pytest.approx(exact_p, abs=1e-7)


def test_same_seed_same_draws_and_defaults(recist):
    model = bh.BinomialResponse()
    a, b = model.fit(recist, seed=9, draws=100), model.fit(recist, seed=9, draws=100)
    np.testing.assert_array_equal(a.rate.values, b.rate.values)
    cmp = a.compare()  # control: the one the bundled study names; treatment: the other arm
    assert (cmp.control, cmp.treatment) == ("Sorafenib", "FOLFOX-HAIC") == (recist.control, recist.arms[0])
    assert cmp.prob("risk_difference", ">", 0) > 0.99
    # data without a named control fall back to their first arm, and with_control names one
    plain = bh.BinaryData.from_frame(recist.frame)
    assert plain.control is None and model.fit(plain, seed=1, draws=10).compare().control == "FOLFOX-HAIC"
    assert model.fit(plain.with_control("Sorafenib"), seed=1, draws=10).compare().control == "Sorafenib"
    with pytest.raises(bh.DataError, match="control: unknown arm 'Placebo'"):
        plain.with_control("Placebo")
    assert set(cmp.draws.data_vars) == {"rate", "risk_difference", "risk_ratio", "odds_ratio", "number_needed_to_treat"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"prior": bh.Normal(0, 1)}, "must be a bh.Beta"), ({"control": 3.5}, "control must be an arm name")],
)
def test_bad_settings(kwargs, message):
    with pytest.raises(bh.SpecError, match=message):
        bh.BinomialResponse(**kwargs)


def test_bad_data_and_arms(recist):
    with pytest.raises(bh.DataError, match="BinomialResponse fits BinaryData, got IntervalData"):
        bh.BinomialResponse().fit(bh.datasets.load_huang2022().os)
    with pytest.raises(bh.DataError, match=r"control: unknown arm\(s\) \['Placebo'\]"):
        bh.BinomialResponse(control="Placebo").fit(recist)
    with pytest.raises(bh.SpecError, match="sampler must be one of \\['exact'\\]"):
        bh.BinomialResponse().fit(recist, sampler="nutpie")
    fit = bh.BinomialResponse().fit(recist, seed=1, draws=50)
    with pytest.raises(bh.DataError, match="treatment and control must differ"):
        fit.compare(treatment="Sorafenib", control="Sorafenib")
