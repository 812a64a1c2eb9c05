"""Posterior engines against closed forms and direct numerical computation."""

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr
from scipy import integrate, optimize, special, stats

from bayeshcc.conjugate import BetaPosterior, GammaPosterior, prob_difference_above
from bayeshcc.design import (
    Accrual,
    Analysis,
    PosteriorProbability,
    Scenario,
    TrialDesign,
    simulate,
)
from bayeshcc.design.engines import MCMCEngine, get_engine, laplace_ph
from bayeshcc.errors import SpecError
from bayeshcc.models import Beta, BinomialResponse, Gamma, LogNormal, Normal, PiecewiseExponential

VAGUE_HAZARD = (math.log(0.05), 10.0)
VAGUE_HR = (0.0, 10.0)


def test_laplace_single_interval_matches_the_closed_form():
    # One interval, vague priors: mode log(dt/Et) - log(dc/Ec), variance 1/dt + 1/dc, up to the
    # prior's precision 1/100.
    events = np.array([[[60.0], [45.0]], [[12.0], [7.0]], [[150.0], [151.0]]])
    exposure = np.array([[[800.0], [900.0]], [[100.0], [130.0]], [[3000.0], [2800.0]]])
    post = laplace_ph(events, exposure, VAGUE_HAZARD, VAGUE_HR)
    d, e = events[..., 0], exposure[..., 0]
    mean = np.log(d[:, 1] / e[:, 1]) - np.log(d[:, 0] / e[:, 0])
    sd = np.sqrt(1 / d[:, 1] + 1 / d[:, 0])
    # The prior pulls the mode towards 0 by about (sd^2 / 10^2) |mean| and the baselines' priors
    # add a little more: allow twice that plus 1e-4.
    assert np.all(np.abs(post.mean - mean) < 2 * sd**2 / 100 * (np.abs(mean) + 1) + 1e-4)
    assert post.sd == pytest.approx(sd, rel=2e-3)
    p = post.prob("hazard_ratio", "<", 1.0)
    assert p == pytest.approx(stats.norm.cdf(-post.mean / post.sd))
    assert post.prob("hazard_ratio", ">", 0.8) == pytest.approx(
        stats.norm.sf((math.log(0.8) - post.mean) / post.sd)
    )


def neg_log_post(theta, dc, dt, ec, et, prior_a, prior_b):
    # alpha: control log hazards; the prior sits on the arms' mean log hazard alpha + beta / 2
    alpha, beta = theta[:-1], theta[-1]
    ll = (dc + dt) @ alpha + dt.sum() * beta - ec @ np.exp(alpha) - et @ np.exp(alpha + beta)
    lp = -((alpha + beta / 2 - prior_a[0]) ** 2).sum() / (2 * prior_a[1] ** 2) - (beta - prior_b[0]) ** 2 / (
        2 * prior_b[1] ** 2
    )
    return -(ll + lp)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_laplace_piecewise_mode_and_curvature_match_direct_optimisation(seed):
    rng = np.random.default_rng(seed)
    j = 4
    exposure = rng.uniform(5, 200, size=(1, 2, j))
    events = rng.poisson(exposure * np.array([[0.05], [0.03]])[None]).astype(float)
    events[0, 1, 3] = 0.0  # an interval without treatment events
    prior_a, prior_b = (math.log(0.05), 2.0), (0.0, 1.0)  # informative enough to matter
    post = laplace_ph(events, exposure, prior_a, prior_b)
    args = (events[0, 0], events[0, 1], exposure[0, 0], exposure[0, 1], prior_a, prior_b)
    res = optimize.minimize(
        neg_log_post, np.zeros(j + 1), args=args, method="BFGS", options={"gtol": 1e-10}
    )
    assert post.mean[0] == pytest.approx(res.x[-1], abs=1e-5)
    assert post.alpha[0] == pytest.approx(res.x[:-1], abs=1e-5)
    # Marginal variance of beta from the numerical Hessian at the mode.
    h = np.zeros((j + 1, j + 1))
    eps = 1e-4
    for a in range(j + 1):
        for b in range(j + 1):
            ea, eb = np.eye(j + 1)[a] * eps, np.eye(j + 1)[b] * eps
            h[a, b] = (
                neg_log_post(res.x + ea + eb, *args)
                - neg_log_post(res.x + ea - eb, *args)
                - neg_log_post(res.x - ea + eb, *args)
                + neg_log_post(res.x - ea - eb, *args)
            ) / (4 * eps**2)
    cov = np.linalg.inv(h)
    assert post.sd[0] == pytest.approx(math.sqrt(cov[-1, -1]), rel=1e-4)
    # The conditional of alpha given beta used by predictive sampling.
    slope = -np.linalg.solve(h[:-1, :-1], h[:-1, -1])
    assert post.alpha_slope[0] == pytest.approx(slope, rel=1e-4, abs=1e-8)


def test_laplace_survives_degenerate_data():
    events = np.array([[[0.0], [0.0]], [[5.0], [0.0]], [[0.0], [4.0]]])
    exposure = np.array([[[0.0], [0.0]], [[50.0], [60.0]], [[40.0], [30.0]]])
    post = laplace_ph(events, exposure, VAGUE_HAZARD, VAGUE_HR)
    assert np.all(np.isfinite(post.mean)) and np.all(np.isfinite(post.sd))
    assert post.mean[0] == pytest.approx(0.0, abs=1e-6) and post.sd[0] == pytest.approx(
        10.0, rel=1e-6
    )
    assert post.mean[1] < -2 and post.mean[2] > 2


def test_gamma_posterior_probability_is_exact():
    shape = np.array([[30.001, 20.001], [5.5, 9.0]])
    rate = np.array([[400.0, 410.0], [60.0, 55.0]])
    post = GammaPosterior(shape, rate)
    for c in (1.0, 0.7):
        p = post.prob("hazard_ratio", "<", c)
        for i in range(2):
            lc = stats.gamma(shape[i, 0], scale=1 / rate[i, 0])
            lt = stats.gamma(shape[i, 1], scale=1 / rate[i, 1])
            ref = integrate.quad(
                lambda x, lt=lt, lc=lc, c=c: lc.pdf(x) * lt.cdf(c * x), 0, np.inf, epsabs=1e-12
            )[0]
            assert p[i] == pytest.approx(ref, abs=1e-8)
    s = post.summary()
    mean = (
        special.digamma(shape[:, 1])
        - np.log(rate[:, 1])
        - special.digamma(shape[:, 0])
        + np.log(rate[:, 0])
    )
    assert s["log_hr_mean"] == pytest.approx(mean)
    assert post.prob("hazard_ratio", ">", 1.0) == pytest.approx(
        1 - post.prob("hazard_ratio", "<", 1.0)
    )


@pytest.mark.parametrize(
    ("a_t", "b_t", "a_c", "b_c", "delta", "tol"),
    [
        (1, 1, 1, 1, 0.0, 1e-8),
        (19, 37, 2, 58, 0.0, 1e-8),
        (19, 37, 2, 58, 0.2, 1e-8),
        (12, 30, 8, 34, -0.05, 1e-8),
        (1, 101, 1, 101, 0.0, 1e-8),
        (0.5, 20.5, 3.5, 17.5, 0.05, 1e-4),
    ],
)
def test_beta_difference_probability_matches_adaptive_quadrature(a_t, b_t, a_c, b_c, delta, tol):
    ref = integrate.quad(
        lambda x: stats.beta.pdf(x, a_c, b_c) * stats.beta.sf(x + delta, a_t, b_t),
        0,
        1,
        epsabs=1e-13,
        limit=200,
    )[0]
    assert prob_difference_above(a_t, b_t, a_c, b_c, delta) == pytest.approx(ref, abs=tol)
    post = BetaPosterior(np.array([[a_c, a_t]], float), np.array([[b_c, b_t]], float))
    assert post.prob("risk_difference", ">", delta)[0] == pytest.approx(ref, abs=tol)
    assert post.prob("risk_difference", "<", delta)[0] == pytest.approx(1 - ref, abs=tol)


GOLDEN = Path(__file__).with_name("golden")


def test_beta_difference_probability_with_singular_beta_densities():
    # Parameters below 1 make a beta density unbounded at 0 or 1. The reference values come from
    # adaptive quadrature of the density (golden/make_beta_difference_quad.py): every combination of
    # a, b in {0.5, 1, 3, 30} for both arms and delta in {-0.1, 0, 0.1}; they agree with the
    # quantile-scale rule to about 3e-11, so 1e-8 leaves a wide margin.
    ref = np.genfromtxt(GOLDEN / "beta_difference_quad.csv", delimiter=",", names=True)
    for delta in (-0.1, 0.0, 0.1):
        r = ref[np.isclose(ref["delta"], delta)]
        got = prob_difference_above(r["a_t"], r["b_t"], r["a_c"], r["b_c"], delta)
        assert np.abs(got - r["prob"]).max() < 1e-8
    # The review's case: adaptive quadrature and 4e6 Monte Carlo draws give 0.97625.
    assert prob_difference_above(3.5, 7.5, 0.5, 10.5, 0.0) == pytest.approx(0.9762504912, abs=1e-8)


@pytest.mark.parametrize(
    ("p_control", "p_treatment", "exact"), [(0.05, 0.05, 0.0058252846), (0.05, 0.3, 0.5907020770)]
)
def test_jeffreys_prior_response_design_matches_enumeration(p_control, p_treatment, exact):
    # 20 patients per arm, Beta(0.5, 0.5) priors, success if P(p_t > p_c | data) > 0.975. Exact
    # values: binomial enumeration over the 21 x 21 outcomes with quadrature posteriors
    # (golden/make_jeffreys_response_oc.py). The old density-scale rule gave 0.00105 and 0.544 (6
    # and 13 MCSE away). Tolerance 4 MCSE; two checks, false-failure probability < 2e-4.
    design = TrialDesign(
        control="C",
        treatment="T",
        n_patients=40,
        accrual=Accrual(rate=4),
        analysis=BinomialResponse(prior=Beta(0.5, 0.5)),
        analyses=[Analysis(patients=40)],
        success=PosteriorProbability("risk_difference", ">", 0, threshold=0.975),
    )
    scenario = Scenario.fixed(response_rates={"control": p_control, "treatment": p_treatment})
    n = 20_000
    result = simulate(design, scenario, n_trials=n, seed=13, engine="conjugate", progress=False)
    p = result.operating_characteristics().loc["overall", "p_success"]
    assert abs(p - exact) < 4 * math.sqrt(exact * (1 - exact) / n)


def test_laplace_and_conjugate_agree_with_many_events():
    # With ~100 events per arm the normal approximation of log HR is close to the exact
    # gamma-ratio posterior (difference in P(HR < 1) well below 0.01).
    rng = np.random.default_rng(4)
    exposure = rng.uniform(900, 1100, size=(200, 2, 1))
    events = rng.poisson(exposure * np.array([[0.1], [0.08]])).astype(float)
    lap = laplace_ph(events, exposure, VAGUE_HAZARD, VAGUE_HR).prob("hazard_ratio", "<", 1.0)
    exact = GammaPosterior(0.001 + events[..., 0], 0.001 + exposure[..., 0]).prob(
        "hazard_ratio", "<", 1.0
    )
    assert np.abs(lap - exact).max() < 0.01


def test_unknown_engine_and_wrong_quantity():
    with pytest.raises(SpecError, match="engine"):
        get_engine("bootstrap")
    post = GammaPosterior(np.ones((1, 2)), np.ones((1, 2)))
    with pytest.raises(SpecError, match="risk_difference"):
        post.prob("risk_difference", ">", 0.0)


def _fake_fit(calls):
    """A stand-in for PiecewiseExponential.fit: no sampling. Its "draws" carry the model's log-HR
    prior mean, the seed it was given and the events it saw, so results show which model, seed
    and data each fit used; every call is recorded in ``calls``."""

    def fake_fit(self, data, *, draws, chains, seed, **kwargs):
        events = int(data.frame["event"].sum())
        calls.append((self, seed, events))
        log_hr = np.full((chains, draws), self.log_hr_prior.mu + 1e-3 * (seed % 1000) + events / 100)
        return SimpleNamespace(idata=SimpleNamespace(posterior={"log_hr": xr.DataArray(log_hr)}))

    return fake_fit


def test_a_reused_mcmc_engine_fits_each_designs_own_model(monkeypatch):
    calls = []
    monkeypatch.setattr(PiecewiseExponential, "fit", _fake_fit(calls))

    def design(log_hr_prior) -> TrialDesign:
        return TrialDesign(
            control="C",
            treatment="T",
            n_patients=60,
            accrual=Accrual(rate=10),
            analysis=PiecewiseExponential(
                cutpoints=[0], baseline_prior=LogNormal(math.log(0.05), 10), log_hr_prior=log_hr_prior
            ),
            analyses=[Analysis(events=30)],
            success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
        )

    vague, sceptical = design(Normal(0, 10)), design(Normal(math.log(0.3), 0.01))
    scenario = Scenario.fixed(median=10, hazard_ratio=0.7)

    def run(d, engine, n_trials=3):
        return simulate(d, scenario, n_trials=n_trials, seed=1, engine=engine, progress=False).trials

    engine = MCMCEngine(draws=20, tune=20, chains=1)
    first = run(vague, engine)
    second = run(sceptical, engine)
    again = run(vague, engine)
    fresh = run(sceptical, MCMCEngine(draws=20, tune=20, chains=1))
    xr.testing.assert_identical(second, fresh)
    xr.testing.assert_identical(again, first)
    # Each fit used the design's own model, with the design's control arm set.
    models = {m for m, _, _ in calls}
    assert models == {
        dataclasses.replace(d.analysis, control="C") for d in (vague, sceptical)
    }
    # Each trial's seed comes from its own stream (the run's seed, not the engine): different
    # between trials, the same in every run with seed=1. The sceptical prior's mean is log 0.3.
    seeds = [s for _, s, _ in calls[:3]]
    assert len(set(seeds)) == 3
    assert [s for _, s, _ in calls[3:6]] == seeds == [s for _, s, _ in calls[6:9]]
    events = second["look_events"].values[:, 0]
    expected = math.log(0.3) + 1e-3 * (np.array(seeds) % 1000) + events / 100
    np.testing.assert_allclose(second["log_hr_mean"].values[:, 0], expected)


def test_mcmc_engine_results_do_not_depend_on_the_chunk_size(monkeypatch):
    # Two looks and more than one block of 250 trials: trial i's seed at each look comes from its
    # own stream, so chunks of one block and one chunk of all give identical results. Trials that
    # stopped at the interim are not refitted.
    calls = []
    monkeypatch.setattr(PiecewiseExponential, "fit", _fake_fit(calls))
    design = TrialDesign(
        control="C",
        treatment="T",
        n_patients=40,
        accrual=Accrual(duration=6),
        analyses=[Analysis(events=10), Analysis(events=20)],
        # fake log HR at the interim: 0.1 + 0.001 (seed % 1000), so about 20% succeed and 20% stop
        success=PosteriorProbability("hazard_ratio", "<", math.exp(0.3), threshold=0.5),
        futility=PosteriorProbability("hazard_ratio", ">", math.exp(0.9), threshold=0.5),
    )
    scenario = Scenario.fixed(median=6, hazard_ratio=1.0)

    def run(chunk_size):
        calls.clear()
        result = simulate(
            design, scenario, n_trials=600, seed=4, engine=MCMCEngine(draws=5, tune=5, chains=1),
            progress=False, chunk_size=chunk_size,
        )
        return result.trials, len(calls)

    ref, n_fits = run(None)
    for chunk in (250, 500):
        again, n_again = run(chunk)
        xr.testing.assert_identical(again, ref)
        assert n_again == n_fits
    stop = ref["stop_analysis"].values
    assert 0 < (stop == 1).mean() < 1  # both looks decide something
    assert n_fits == 600 + (stop == 2).sum()


GAMMA_PER_ARM = PiecewiseExponential(cutpoints=[0], effect="per_arm", baseline_prior=Gamma(1, 10))


@pytest.mark.parametrize(
    ("engine", "analysis", "match"),
    [
        ("conjugate", None, r"TrialDesign\.analysis\.effect: the conjugate engine computes each arm's own hazards"),
        (
            "conjugate",
            PiecewiseExponential(cutpoints=[0], effect="per_arm", baseline_prior=LogNormal(0, 1)),
            r"TrialDesign\.analysis\.baseline_prior: the conjugate engine needs a Gamma prior",
        ),
        ("laplace", GAMMA_PER_ARM, r"TrialDesign\.analysis\.effect: the laplace engine computes proportional"),
        (
            "laplace",
            PiecewiseExponential(cutpoints=[0], baseline_prior=Gamma(1, 10)),
            r"TrialDesign\.analysis\.baseline_prior: the laplace engine needs a LogNormal prior",
        ),
    ],
)
def test_engines_refuse_analysis_models_they_do_not_compute(engine, analysis, match):
    design = TrialDesign(
        control="C", treatment="T", n_patients=60, accrual=Accrual(rate=10),
        analyses=[Analysis(events=30)], analysis=analysis,
        success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
    )
    with pytest.raises(SpecError, match=match):
        simulate(design, Scenario.fixed(median=10), n_trials=5, seed=1, engine=engine)


def test_mcmc_engine_fits_a_response_model_per_trial_like_the_exact_engine():
    """BinomialResponse through model.fit per trial: its P(p_T > p_C) matches the exact beta
    posterior of the same trials within 4 Monte Carlo sd (1,000 draws: sd <= 0.016)."""
    response = TrialDesign(
        control="C", treatment="T", n_patients=40, accrual=Accrual(rate=4),
        analysis=BinomialResponse(prior=Beta(0.5, 0.5)), analyses=[Analysis(patients=20), Analysis(patients=40)],
        success=PosteriorProbability("risk_difference", ">", 0, threshold=0.975),
    )
    scenario = Scenario.fixed(response_rates={"control": 0.2, "treatment": 0.3})
    mcmc = simulate(response, scenario, n_trials=30, seed=1, engine=MCMCEngine(draws=500, chains=2)).trials
    exact = simulate(response, scenario, n_trials=30, seed=1, engine="conjugate").trials
    # same trials (same streams); later looks may differ where a decision sits within MC error
    np.testing.assert_array_equal(mcmc["look_events"].values[:, 0], exact["look_events"].values[:, 0])
    p_m, p_e = mcmc["prob_benefit"].values, exact["prob_benefit"].values
    both = np.isfinite(p_m) & np.isfinite(p_e)
    assert both.sum() >= 30 and np.all(np.abs(p_m[both] - p_e[both]) < 4 * np.sqrt(0.25 / 1000))


def test_mcmc_engine_refuses_predictive_rules():
    from bayeshcc.design import PredictiveProbability

    predictive = TrialDesign(
        control="C", treatment="T", n_patients=60, accrual=Accrual(rate=10),
        analyses=[Analysis(events=20), Analysis(events=30)],
        success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
        futility=PredictiveProbability("<", threshold=0.1),
    )
    with pytest.raises(SpecError, match=r"TrialDesign\.futility\[0\]: .*uses a predictive probability"):
        simulate(predictive, Scenario.fixed(median=10), n_trials=5, seed=1, engine="mcmc")
    # A per-arm model's quantities pass the mcmc engine's check (it would then fit per trial).
    per_arm = TrialDesign(
        control="C", treatment="T", n_patients=60, accrual=Accrual(duration=12),
        analyses=[Analysis(events=30)], analysis=GAMMA_PER_ARM,
        success=PosteriorProbability("rmst_difference", ">", 0, threshold=0.9, tau=12),
    )
    MCMCEngine().check(per_arm)


@pytest.mark.slow
def test_real_mcmc_fits_do_not_depend_on_the_chunk_size():
    # 251 trials are two blocks of the random streams: chunk_size=250 runs them as two chunks,
    # the default as one. With two looks, a seed counted per engine call (the old engine) gave
    # trial 1's second fit a different seed in the two runs; seeds from each trial's own stream
    # do not. Few draws keep it cheap (about 400 refits of one compiled model per run).
    pytest.importorskip("nutpie")
    design = TrialDesign(
        control="C",
        treatment="T",
        n_patients=30,
        accrual=Accrual(duration=6),
        analyses=[Analysis(events=10), Analysis(events=20)],
        success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9),
        futility=PosteriorProbability("hazard_ratio", ">", 1, threshold=0.7),
    )
    scenario = Scenario.fixed(median=6, hazard_ratio=0.7)
    engine = MCMCEngine(draws=100, tune=200, chains=1)

    def run(chunk_size):
        return simulate(
            design, scenario, n_trials=251, seed=5, engine=engine, progress=False,
            chunk_size=chunk_size,
        ).trials

    one_chunk = run(None)
    xr.testing.assert_identical(run(250), one_chunk)
    stop = one_chunk["stop_analysis"].values
    assert 0 < (stop == 1).mean() < 1  # second looks were fitted too
    assert np.isfinite(one_chunk["log_hr_mean"].values[stop == 2, 1]).all()
