"""Robust mixture priors: validation, spec form, exact mixture posteriors and effective sample size."""

import numpy as np
import pytest
from scipy import integrate, special, stats

import bayeshcc as bh
from bayeshcc.conjugate import beta_mixture_ess, beta_mixture_update
from bayeshcc.models.priors import prior_from_dict

ROBUST = bh.Mixture([bh.Beta(3, 57), bh.Beta(1, 1)], weights=[0.8, 0.2])


def test_robust_helper_and_spec_round_trip():
    assert bh.robust(bh.Beta(3, 57), weight=0.2) == ROBUST
    assert str(ROBUST) == "Mixture(0.8 Beta(alpha=3, beta=57) + 0.2 Beta(alpha=1, beta=1))"
    assert ROBUST.support == "unit" and hash(ROBUST) == hash(bh.robust(bh.Beta(3, 57)))
    spec = {"dist": "mixture", "weights": [0.8, 0.2],
            "components": [{"dist": "beta", "alpha": 3, "beta": 57}, {"dist": "beta", "alpha": 1, "beta": 1}]}
    assert prior_from_dict(spec, field="model.prior") == ROBUST
    assert prior_from_dict(ROBUST.as_dict(), field="x") == ROBUST
    assert bh.robust(bh.Beta(3, 57), vague=bh.Beta(0.5, 0.5)).components[1] == bh.Beta(0.5, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"components": [bh.Beta(1, 1), bh.Normal(0, 1)], "weights": [0.5, 0.5]}, "share one support"),
        ({"components": [bh.Beta(1, 1), bh.Beta(2, 2)], "weights": [0.5, 0.6]}, "must sum to 1"),
        ({"components": [bh.Beta(1, 1), bh.Beta(2, 2)], "weights": [1.2, -0.2]}, r"weights\[1\] must be a finite number > 0"),
        ({"components": [bh.Beta(1, 1)], "weights": [0.5, 0.5]}, "one number per component"),
        ({"components": [], "weights": []}, "non-empty list"),
        ({"components": [ROBUST], "weights": [1.0]}, "not a mixture"),
    ],
)
def test_bad_mixtures(kwargs, message):
    with pytest.raises(bh.SpecError, match=message):
        bh.Mixture(**kwargs)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "mixture", "components": [{"dist": "beta", "alpha": -1, "beta": 1}], "weights": [1]},
         r"model.prior.components\[0\]: Beta: alpha must be"),
        ({"dist": "mixture", "components": [{"dist": "beta"}], "weights": [0.4]}, "model.prior: Mixture: weights must sum"),
        ({"dist": "mixture", "components": [], "weights": []}, "model.prior.components: expected a non-empty"),
        ({"dist": "mixture", "parts": []}, r"unknown parameter\(s\) \['parts'\]"),
    ],
)
def test_bad_mixture_specs(spec, message):
    with pytest.raises(bh.SpecError, match=message):
        prior_from_dict(spec, field="model.prior")


def test_robust_and_models_refuse_bad_priors():
    with pytest.raises(bh.SpecError, match="robust: weight must be a number in"):
        bh.robust(bh.Beta(2, 3), weight=1.0)
    with pytest.raises(bh.SpecError, match="robust: prior must be a bh.Beta"):
        bh.robust(bh.Normal(0, 1))
    with pytest.raises(bh.SpecError, match="Mixture of Betas"):
        bh.BinomialResponse(prior=bh.Mixture([bh.Gamma(1, 1), bh.Gamma(2, 1)], weights=[0.5, 0.5]))


def test_mixture_posterior_weights_match_marginal_likelihoods():
    """Posterior weights against an independent computation: the beta-binomial pmf of scipy."""
    data = bh.datasets.load_huang2022().response["RECIST"]  # 18/55 vs 1/59
    fit = bh.BinomialResponse(prior=ROBUST).fit(data, draws=5000, chains=4, seed=4)
    table = fit.posterior_parameters()
    for arm, y, n in (("FOLFOX-HAIC", 18, 55), ("Sorafenib", 1, 59)):
        rows = table[table["arm"] == arm]
        lik = np.array([stats.betabinom.pmf(y, n, 3, 57), stats.betabinom.pmf(y, n, 1, 1)])
        expected = np.array([0.8, 0.2]) * lik / (np.array([0.8, 0.2]) * lik).sum()
        np.testing.assert_allclose(rows["weight"], expected, rtol=1e-10)
        np.testing.assert_allclose(rows["alpha"], [3 + y, 1 + y])
        np.testing.assert_allclose(rows["prior_weight"], [0.8, 0.2])
    # 18/55 conflicts with a prior centred on 5%: the weight moves to the vague component
    assert table.set_index(["arm", "component"]).loc[("FOLFOX-HAIC", 1), "weight"] > 0.99
    # draws: the posterior mean of each arm within 4 Monte Carlo SEs of the mixture's mean
    w, a, b = (table.pivot(index="arm", columns="component", values=c) for c in ("weight", "alpha", "beta"))
    mean = (w * a / (a + b)).sum(axis=1)
    second = (w * a * (a + 1) / ((a + b) * (a + b + 1))).sum(axis=1)
    sd = np.sqrt(second - mean**2)
    drawn = fit.rate.mean(("chain", "draw")).to_series()
    for arm in drawn.index:
        assert abs(drawn[arm] - mean[arm]) < 4 * sd[arm] / np.sqrt(fit.n_draws)


def test_exact_mixture_prob_matches_quadrature():
    data = bh.BinaryData.from_frame(
        __import__("pandas").DataFrame({"arm": ["C", "T"], "responders": [4, 11], "n": [30, 30]})
    )
    fit = bh.BinomialResponse(prior=ROBUST, control="C").fit(data, draws=20_000, chains=2, seed=2)
    exact = fit.exact_posterior()
    table = fit.posterior_parameters().set_index(["arm", "component"])

    def pdf(arm, x):
        return sum(table.loc[(arm, k), "weight"] * stats.beta.pdf(x, table.loc[(arm, k), "alpha"],
                                                                   table.loc[(arm, k), "beta"]) for k in (0, 1))

    def cdf(arm, x):
        return sum(table.loc[(arm, k), "weight"] * stats.beta.cdf(x, table.loc[(arm, k), "alpha"],
                                                                   table.loc[(arm, k), "beta"]) for k in (0, 1))

    cmp = fit.compare()
    for delta in (0.0, 0.1, 0.25):
        ref = 1 - integrate.quad(lambda u, d=delta: pdf("C", u) * cdf("T", min(u + d, 1.0)), 0, 1, limit=200)[0]
        assert exact.prob("risk_difference", ">", delta)[0] == pytest.approx(ref, abs=1e-7)
        mcse = np.sqrt(ref * (1 - ref) / fit.n_draws)
        assert abs(cmp.prob("risk_difference", ">", delta) - ref) < 4 * mcse


def test_effective_sample_size():
    assert bh.effective_sample_size(bh.Beta(5, 15)) == pytest.approx(20)
    assert bh.effective_sample_size(bh.Beta(5, 15), "elir") == pytest.approx(20, abs=1e-6)
    # moment method by hand: the Beta matched to the mixture's mean and variance
    w, a, b = np.array([0.2, 0.8]), np.array([1.0, 10.0]), np.array([1.0, 2.0])
    mean = (w * a / (a + b)).sum()
    var = (w * a * (a + 1) / ((a + b) * (a + b + 1))).sum() - mean**2
    assert beta_mixture_ess(w, a, b, "moment") == pytest.approx(mean * (1 - mean) / var - 1)
    with pytest.raises(bh.SpecError, match="alpha and beta >= 1"):
        bh.effective_sample_size(bh.Beta(0.5, 0.5), "elir")
    with pytest.raises(bh.SpecError, match="Beta priors and Beta mixtures"):
        bh.effective_sample_size(bh.Normal(0, 1))


def test_elir_is_predictively_consistent():
    """Neuenschwander et al. (2020): averaging the posterior ELIR ESS after n patients over the
    prior predictive gives the prior's ESS + n (exact enumeration over the n + 1 outcomes)."""
    w, a, b = np.array([0.2, 0.8]), np.array([1.0, 10.0]), np.array([1.0, 2.0])
    n = 10
    prior_ess = beta_mixture_ess(w, a, b, "elir")
    y = np.arange(n + 1)
    pred = (w * np.exp(special.betaln(a + y[:, None], b + n - y[:, None]) - special.betaln(a, b))).sum(axis=1)
    pred *= special.comb(n, y)
    assert pred.sum() == pytest.approx(1)
    post = [beta_mixture_ess(*beta_mixture_update(w, a, b, k, n), "elir") for k in y]
    assert float(pred @ post) - n == pytest.approx(prior_ess, abs=1e-4)
    # the moment ESS is not predictively consistent: it differs here (so the check can fail)
    post_moment = [beta_mixture_ess(*beta_mixture_update(w, a, b, k, n), "moment") for k in y]
    assert abs(float(pred @ post_moment) - n - beta_mixture_ess(w, a, b, "moment")) > 0.5


def test_weights_may_be_a_numpy_array_or_numpy_numbers():
    import numpy as np

    a = bh.Mixture([bh.Beta(3, 57), bh.Beta(1, 1)], weights=np.array([0.8, 0.2]))
    b = bh.Mixture([bh.Beta(3, 57), bh.Beta(1, 1)], weights=[np.float32(0.8), np.float32(0.2)])
    assert a.weights == pytest.approx((0.8, 0.2)) and all(type(w) is float for w in b.weights)
