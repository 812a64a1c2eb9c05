"""A decision rule applies to a fitted study and inside ``simulate`` through one code path.

``rule.evaluate(comparison)`` and ``rule.evaluate(look)`` both call ``prob(quantity, direction,
value, **selectors)``. Here the simulator's mcmc engine is handed the very fit the Comparison comes
from (``PiecewiseExponential.fit`` is replaced by a function returning it), so every simulated
trial's posterior is the study's: each trial's decision and stored probability must equal the
Comparison's, exactly. A second check holds a Comparison of draws from known gamma posteriors to
the conjugate engine's exact posterior with the same parameters.
"""

import math
import warnings

import arviz as az
import numpy as np
import pytest
import xarray as xr

import bayeshcc as bh
from bayeshcc.conjugate import HazardDrawsPosterior, PiecewiseGammaPosterior
from bayeshcc.design.predictive import FinalLook
from bayeshcc.results.survival import SurvivalFit

CONTROL, TREATMENT = "Sorafenib", "FOLFOX-HAIC"
CUTS = [0, 6, 12, 18]


def simulate_with_fit(monkeypatch, fit, rule, n_trials=3):
    """simulate() whose mcmc engine gets ``fit`` for every trial, judged by ``rule``."""
    monkeypatch.setattr(bh.PiecewiseExponential, "fit", lambda self, data, **kw: fit)
    design = bh.TrialDesign(
        control=CONTROL,
        treatment=TREATMENT,
        n_patients=40,
        accrual=bh.Accrual(duration=12),
        analyses=[bh.Analysis(months=30)],
        success=rule,
        analysis=fit.model,
    )
    with warnings.catch_warnings():
        # 40 patients over 4 intervals: some arm-intervals have no events, but the posterior
        # here is the fixed study fit, not the (sparse) simulated data
        warnings.simplefilter("ignore", bh.SparseLookWarning)
        return bh.simulate(
            design, bh.Scenario.fixed(median=9.1, hazard_ratio=0.7), n_trials=n_trials, seed=1,
            engine="mcmc", progress=False,
        ).trials


def per_arm_fit(shape, rate, draws=4000, seed=3) -> SurvivalFit:
    """A per-arm SurvivalFit of huang2022 OS whose hazard draws come from known gammas."""
    rng = np.random.default_rng(seed)
    hazard = rng.gamma(shape, 1 / rate, size=(2, draws // 2, *shape.shape))
    posterior = xr.Dataset(
        {"hazard": (("chain", "draw", "arm", "interval"), hazard)},
        coords={"chain": [0, 1], "draw": np.arange(draws // 2), "arm": [CONTROL, TREATMENT]},
    )
    model = bh.PiecewiseExponential(
        cutpoints=CUTS, effect="per_arm", baseline_prior=bh.Gamma(0.001, 0.001), control=CONTROL
    )
    return SurvivalFit(
        model=model,
        data=bh.datasets.load_huang2022().os,
        idata=az.InferenceData(posterior=posterior),
        arms=(CONTROL, TREATMENT),
        control=CONTROL,
        seed=seed,
        sampler="exact",
    )


# Gamma posteriors of each arm's hazard per month on [0, 6), [6, 12), [12, 18), [18, inf).
SHAPE = np.array([[40.0, 25.0, 12.0, 8.0], [30.0, 16.0, 9.0, 6.0]])
RATE = np.array([[600.0, 380.0, 200.0, 160.0], [640.0, 420.0, 230.0, 190.0]])
PER_ARM_RULES = [
    bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9, interval=1),
    bh.PosteriorProbability("hazard_ratio", "<", 0.9, threshold=0.8, interval=3),
    bh.PosteriorProbability("survival_difference", ">", 0.05, threshold=0.9, time=12),
    bh.PosteriorProbability("rmst_difference", ">", 1, threshold=0.97, tau=24),
]


def test_per_arm_rules_agree_on_a_fitted_study_and_inside_simulate(monkeypatch):
    fit = per_arm_fit(SHAPE, RATE)
    cmp = fit.compare(treatment=TREATMENT, control=CONTROL, times=[12], tau=24)
    rule = bh.AllOf(*PER_ARM_RULES)
    on_fit = rule.evaluate(cmp)
    # The simulator's posterior of the same draws answers every leaf with the same number.
    hazard = fit.hazard.transpose("chain", "draw", "arm", "interval").values.reshape(1, -1, 2, 4)
    in_sim = rule.evaluate(FinalLook(HazardDrawsPosterior(hazard, CUTS)))
    assert list(in_sim.probabilities) == list(on_fit.probabilities) == [str(r) for r in rule.rules]
    for leaf, p in on_fit.probabilities.items():
        assert in_sim.probabilities[leaf][0] == p, leaf
    # Leaves differ in outcome, so a swapped selector or direction would show.
    assert [r.evaluate(cmp).met for r in PER_ARM_RULES] == [True, False, True, False]
    # Inside simulate: every trial's posterior is the study's.
    for success in (rule, rule | PER_ARM_RULES[0], PER_ARM_RULES[2] & PER_ARM_RULES[0]):
        trials = simulate_with_fit(monkeypatch, fit, success)
        assert np.all((trials["decision"].values == 1) == success.evaluate(cmp).met), str(success)
        for k in range(4):
            p = cmp.prob("hazard_ratio", "<", 1, interval=k)
            np.testing.assert_array_equal(trials["prob_benefit"].values[:, 0, k], p)


def test_a_comparison_of_known_draws_matches_the_conjugate_engines_exact_posterior():
    fit = per_arm_fit(SHAPE, RATE, draws=40_000, seed=5)
    cmp = fit.compare(treatment=TREATMENT, control=CONTROL, times=[12], tau=24)
    exact = PiecewiseGammaPosterior(
        SHAPE[None], RATE[None], CUTS, rng=np.random.default_rng(6), mc_draws=40_000
    )
    for rule in PER_ARM_RULES:
        p_fit = rule.evaluate(cmp).probability
        p_exact = rule.evaluate(FinalLook(exact)).probability[0]
        # Two independent Monte Carlo estimates (one for the HR, whose exact value is exact).
        sd = math.sqrt(p_exact * (1 - p_exact) * 2 / 40_000)
        assert abs(p_fit - p_exact) < 4 * sd + 1e-12, (str(rule), p_fit, p_exact)


@pytest.mark.slow
def test_a_rule_on_the_huang2022_fit_agrees_with_the_same_rule_inside_simulate(monkeypatch):
    model = bh.PiecewiseExponential(cutpoints=CUTS, control=CONTROL)
    fit = model.fit(bh.datasets.load_huang2022().os, draws=500, chains=2, seed=1)
    cmp = fit.compare(treatment=TREATMENT, control=CONTROL)
    strong = bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)
    modest = bh.PosteriorProbability("hazard_ratio", "<", 0.4, threshold=0.5)
    d = strong.evaluate(cmp)
    assert d.probability == cmp.prob("hazard_ratio", "<", 1.0) and d.met == (d.probability > 0.975)
    assert d  # the seed study has already cleared P(HR < 1 | data) > 0.975
    for rule in (strong, modest, strong & modest):
        decision = rule.evaluate(cmp)
        trials = simulate_with_fit(monkeypatch, fit, rule)
        assert np.all((trials["decision"].values == 1) == decision.met), str(rule)
        np.testing.assert_array_equal(
            trials["prob_benefit"].values[:, 0], cmp.prob("hazard_ratio", "<", 1.0)
        )
