"""Design priors: per-trial truths, Scenario.from_fit / from_prior, discounts, and their checks."""

import math

import numpy as np
import pytest

import bayeshcc as bh
import bayeshcc.design._store as _store
from bayeshcc.data import SurvivalData
from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.design.design_prior import DesignPrior, average_hazard_ratio
from bayeshcc.design.discount import PowerPrior, RobustMixture, discount_from_dict
from bayeshcc.errors import SpecError
from bayeshcc.testing import fake_survival_fit

RULE = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)


def survival_design(n=120, events=(40, 80)) -> TrialDesign:
    return TrialDesign(control="C", treatment="T", n_patients=n, accrual=Accrual(duration=12),
                       analyses=[Analysis(events=e) for e in events], success=RULE)


def response_design() -> TrialDesign:
    return TrialDesign(control="C", treatment="T", n_patients=60, accrual=Accrual(duration=12),
                       analyses=[Analysis(patients=30), Analysis(patients=60)],
                       success=PosteriorProbability("risk_difference", ">", 0, threshold=0.95),
                       analysis=bh.BinomialResponse())


@pytest.fixture(scope="module")
def response_fit():
    study = bh.datasets.load_huang2022()
    return bh.BinomialResponse().fit(study.response["RECIST"], draws=1000, chains=2, seed=1)


@pytest.fixture(scope="module")
def survival_fit():
    rng = np.random.default_rng(5)
    data = SurvivalData.from_frame(
        __import__("pandas").DataFrame({"time": rng.exponential(10, 40).round(2) + 0.1, "event": 1,
                                        "arm": np.repeat(["Sorafenib", "HAIC"], 20)}),
        time="time", event="event", arm="arm", time_unit="months")
    h = np.stack([rng.gamma(50, 0.1 / 50, (2, 300, 2)), rng.gamma(50, 0.05 / 50, (2, 300, 2))], axis=2)
    return fake_survival_fit(h, cutpoints=[0, 6], data=data, arms=["Sorafenib", "HAIC"])


def trials_equal(a, b) -> bool:
    return all(np.array_equal(a.trials[k].values, b.trials[k].values, equal_nan=True) for k in a.trials.data_vars)


# --- per-trial truths in the simulator ------------------------------------------------------------------


def test_each_trial_draws_its_own_truth_and_records_it():
    scenario = Scenario.from_prior(median=12, log_hr=bh.Normal(math.log(0.7), 0.3), draws=500, seed=1)
    r = simulate(survival_design(), scenario, n_trials=600, seed=2, progress=False)
    t = r.trials
    idx = t["truth_draw"].values
    assert idx.min() >= 0 and idx.max() < 500 and np.unique(idx).size > 300
    np.testing.assert_array_equal(t["true_hazard_ratio"].values, scenario.prior.hazard_ratio[idx])
    np.testing.assert_allclose(t["true_control_median"].values, 12.0)
    # the final estimate follows the truth: trials drawn with a smaller HR estimate a smaller one
    low = t["true_hazard_ratio"].values < np.median(t["true_hazard_ratio"].values)
    est = np.log(t["estimated_hazard_ratio"].values)
    assert est[low].mean() < est[~low].mean() - 0.2


def test_results_do_not_depend_on_the_chunk_size_with_a_design_prior():
    scenario = Scenario.from_prior(median=12, log_hr=bh.Normal(math.log(0.7), 0.3), draws=500, seed=1)
    a = simulate(survival_design(), scenario, n_trials=700, seed=3, progress=False)
    b = simulate(survival_design(), scenario, n_trials=700, seed=3, progress=False, chunk_size=250)
    assert trials_equal(a, b)


def test_a_prior_whose_draws_are_all_one_truth_gives_the_fixed_scenario_bit_for_bit():
    # the truth streams are apart from the outcome streams: the patients are those of a fixed run
    h = math.log(2) / 12
    prior = DesignPrior(cutpoints=(0.0, 6.0), control_hazards=np.full((7, 2), h), hazard_ratios=np.full((7, 2), 0.7),
                        response_rates=None, cure_fraction=(0.0, 0.0), source="test", discount=None)
    drawn = simulate(survival_design(), Scenario._from_prior_object(prior), n_trials=500, seed=4, progress=False)
    fixed = simulate(survival_design(), Scenario.fixed(hazards=[h, h], cutpoints=[0, 6], hazard_ratio=0.7),
                     n_trials=500, seed=4, progress=False)
    for k in fixed.trials.data_vars:
        np.testing.assert_array_equal(drawn.trials[k].values, fixed.trials[k].values)


def test_response_truths_per_trial(response_fit):
    scenario = Scenario.from_fit(response_fit, discount=PowerPrior(a0=1), seed=1)
    r = simulate(response_design(), scenario, n_trials=500, seed=5, progress=False)
    t = r.trials
    rates = scenario.prior.response_rates[t["truth_draw"].values]
    np.testing.assert_array_equal(t["true_response_treatment"].values, rates[:, 1])
    np.testing.assert_array_equal(t["true_response_control"].values, rates[:, 0])
    assert np.isfinite(t["estimated_risk_difference"].values).all()


def test_the_average_hazard_ratio_weights_periods_by_control_events():
    assert average_hazard_ratio(np.array([[0.1, 0.1]]), np.array([[0.6, 0.6]]), [0, 6])[0] == 0.6
    # an early period holding almost every control event dominates
    avg = average_hazard_ratio(np.array([[2.0, 2.0]]), np.array([[0.5, 1.0]]), [0, 6])[0]
    assert avg == pytest.approx(0.5, rel=1e-4)


# --- from_fit ---------------------------------------------------------------------------------------------


def test_from_fit_survival_takes_the_hazards_of_the_named_arms(survival_fit):
    s = Scenario.from_fit(survival_fit, arms={"control": "Sorafenib", "treatment": "HAIC"},
                          discount=PowerPrior(a0=1), seed=1)
    h = survival_fit.hazard.transpose("chain", "draw", "arm", "interval")
    hc = h.sel(arm="Sorafenib").values.reshape(-1, 2)
    np.testing.assert_array_equal(s.prior.control_hazards, hc)
    np.testing.assert_allclose(s.prior.hazard_ratios, h.sel(arm="HAIC").values.reshape(-1, 2) / hc)
    assert s.cutpoints == (0.0, 6.0) and s.prior.n_draws == 600
    swapped = Scenario.from_fit(survival_fit, arms={"control": "HAIC", "treatment": "Sorafenib"},
                                discount=PowerPrior(a0=1), seed=1)
    np.testing.assert_allclose(swapped.prior.hazard_ratios, 1 / s.prior.hazard_ratios)
    assert s.hazard_ratios[0] < 1 < swapped.hazard_ratios[0]
    sub = Scenario.from_fit(survival_fit, discount=PowerPrior(a0=1), draws=100, seed=1)
    assert sub.prior.n_draws == 100


def test_power_prior_a0_one_and_mixture_weight_one_are_no_discount(response_fit):
    raw = response_fit.rate.transpose("chain", "draw", "arm").values.reshape(-1, 2)
    power = Scenario.from_fit(response_fit, discount=PowerPrior(a0=1), seed=1)
    mixture = Scenario.from_fit(response_fit, discount=RobustMixture(weight=1), seed=1)
    np.testing.assert_array_equal(power.prior.response_rates, raw)
    np.testing.assert_array_equal(mixture.prior.response_rates, raw)


def test_smaller_a0_widens_the_design_prior_by_the_closed_form(response_fit):
    s = Scenario.from_fit(response_fit, discount=PowerPrior(a0=0.5), seed=1)
    # Beta(1 + a0 y, 1 + a0 (n - y)) per arm: FOLFOX-HAIC 18/55, Sorafenib 1/59
    for col, (y, n) in enumerate([(1, 59), (18, 55)]):
        a, b = 1 + 0.5 * y, 1 + 0.5 * (n - y)
        mean, sd = a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        draws = s.prior.response_rates[:, col]
        assert abs(draws.mean() - mean) < 4 * sd / math.sqrt(draws.size)
    full = Scenario.from_fit(response_fit, discount=PowerPrior(a0=1), seed=1)
    assert (s.prior.response_rates.std(axis=0) > 1.2 * full.prior.response_rates.std(axis=0)).all()


def test_power_prior_refits_a_survival_model_with_the_likelihood_weight(survival_fit, mock_sampler):
    fake = mock_sampler(lambda model, prepared, chains, draws, rng: {
        "hazard": rng.gamma(10, 0.01, (chains, draws, 2, 2)) * (1 if model.likelihood_weight == 1 else 3)})
    s = Scenario.from_fit(survival_fit, discount=PowerPrior(a0=0.25), seed=1)
    assert [c["model"].likelihood_weight for c in fake.calls] == [0.25]
    assert s.prior.n_draws == 600 and s.prior.control_hazards.mean() > 0.2  # the refit's draws
    assert "power prior a0=0.25" in str(s)


def test_robust_mixture_takes_the_vague_effect_with_probability_one_minus_w(survival_fit):
    s = Scenario.from_fit(survival_fit, discount=RobustMixture(weight=0.3, log_hr=bh.Normal(0, 0.01)), seed=2)
    source = Scenario.from_fit(survival_fit, discount=PowerPrior(a0=1), seed=2)
    vague = np.abs(np.log(s.prior.hazard_ratios[:, 0])) < 0.05
    n = vague.size
    assert abs(vague.mean() - 0.7) < 4 * math.sqrt(0.21 / n)
    np.testing.assert_array_equal(s.prior.control_hazards, source.prior.control_hazards)


@pytest.mark.slow
def test_the_weighted_likelihood_is_a0_times_the_likelihood():
    study = bh.datasets.load_huang2022()
    logps = {}
    for w in (1.0, 0.4):
        m = bh.PiecewiseExponential(cutpoints=[0, 6, 12], likelihood_weight=w).build_model(study.os)
        fn = m.compile_logp(vars=m.observed_RVs, jacobian=False)
        logps[w] = fn(m.initial_point())
    assert logps[0.4] == pytest.approx(0.4 * logps[1.0], rel=1e-9)


def test_the_discount_is_stated_everywhere(response_fit):
    s = Scenario.from_fit(response_fit, discount={"method": "power", "a0": 0.5}, seed=1)
    r = simulate(response_design(), s, n_trials=250, seed=1, progress=False)
    for attrs in (r.trials.attrs, r.operating_characteristics().attrs, r.assurance().attrs):
        assert "a0=0.5" in attrs["discount"] and "a0=0.5" in attrs["scenario"]
    assert "a0=0.5" in str(s) and "Sorafenib" in str(s)


# --- bad input ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("a0", [0, -0.5, 1.5, float("nan"), True, "half"])
def test_power_prior_a0_outside_0_1_is_refused(a0):
    with pytest.raises(SpecError, match=r"PowerPrior.a0: expected a weight in \(0, 1\]"):
        PowerPrior(a0=a0)


@pytest.mark.parametrize("weight", [-0.1, 1.1, None])
def test_mixture_weight_outside_0_1_is_refused(weight):
    with pytest.raises(SpecError, match=r"RobustMixture.weight: expected a weight in \[0, 1\]"):
        RobustMixture(weight=weight)


def test_discount_spec_form():
    assert discount_from_dict({"method": "power", "a0": 0.5}) == PowerPrior(0.5)
    mix = discount_from_dict({"method": "mixture", "weight": 0.5, "log_hr": {"dist": "normal", "mu": 0, "sigma": 1}})
    assert mix == RobustMixture(weight=0.5, log_hr=bh.Normal(0, 1))
    assert discount_from_dict(mix.as_dict()) == mix
    with pytest.raises(SpecError, match=r"scenario.discount.a0: expected a weight"):
        discount_from_dict({"method": "power", "a0": 2}, field="scenario.discount")
    with pytest.raises(SpecError, match=r"discount.method: expected 'power' or 'mixture'"):
        discount_from_dict({"method": "commensurate"})
    with pytest.raises(SpecError, match=r"unknown key\(s\) \['weight'\]"):
        discount_from_dict({"method": "power", "a0": 0.5, "weight": 1})


def test_unknown_arm_is_named_with_the_fits_arms(survival_fit):
    with pytest.raises(SpecError, match=r"arms\['control'\]: 'Placebo' is not an arm of fit; its arms are "
                                        r"\['Sorafenib', 'HAIC'\]"):
        Scenario.from_fit(survival_fit, arms={"control": "Placebo", "treatment": "HAIC"}, discount=PowerPrior(1),
                          seed=1)


def test_the_discount_must_be_stated(survival_fit):
    with pytest.raises(SpecError, match="discount: state how the source is discounted"):
        Scenario.from_fit(survival_fit, discount=None, seed=1)
    with pytest.raises(SpecError, match="draws: expected an integer from 1 to 600"):
        Scenario.from_fit(survival_fit, discount=PowerPrior(1), draws=601, seed=1)


def test_a_response_fit_for_a_survival_design_is_refused(response_fit, survival_fit):
    resp = Scenario.from_fit(response_fit, discount=PowerPrior(a0=1), seed=1)
    with pytest.raises(SpecError, match="scenario: the survival endpoint needs a control median or hazards"):
        simulate(survival_design(), resp, n_trials=10, seed=1)
    surv = Scenario.from_fit(survival_fit, discount=PowerPrior(a0=1), seed=1)
    with pytest.raises(SpecError, match="scenario.response_rates: the response endpoint needs true response rates"):
        simulate(response_design(), surv, n_trials=10, seed=1)
    with pytest.raises(SpecError, match="fit: expected a SurvivalFit"):
        Scenario.from_fit("not a fit", arms={"control": "a", "treatment": "b"}, discount=PowerPrior(1), seed=1)


def test_a_trial_analysis_with_a_likelihood_weight_is_refused():
    with pytest.raises(SpecError, match="TrialDesign.analysis.likelihood_weight"):
        TrialDesign(control="C", treatment="T", n_patients=60, accrual=Accrual(duration=12),
                    analyses=[Analysis(patients=60)], success=PosteriorProbability("risk_difference", ">", 0,
                                                                                   threshold=0.95),
                    analysis=bh.BinomialResponse(likelihood_weight=0.5))


def test_from_prior_checks_its_fields():
    with pytest.raises(SpecError, match="Scenario.log_hr: expected a bh.Normal"):
        Scenario.from_prior(median=12, log_hr=0.7, seed=1)
    with pytest.raises(SpecError, match="Scenario.log_hr: a prior on the hazard ratio needs the control arm"):
        Scenario.from_prior(log_hr=bh.Normal(0, 1), seed=1)
    with pytest.raises(SpecError, match=r"Scenario.response_rates\['treatment'\]: expected a bh.Beta"):
        Scenario.from_prior(response_rates={"control": 0.2, "treatment": bh.Normal(0, 1)}, seed=1)
    with pytest.raises(SpecError, match="Scenario.draws: expected an integer >= 1"):
        Scenario.from_prior(median=12, log_hr=bh.Normal(0, 1), draws=0, seed=1)


@pytest.mark.slow
def test_a_power_prior_refit_of_a_real_survival_fit_widens_the_hazard_ratio():
    # huang2022 OS life table, proportional hazards: a0 = 0.5 halves the information on log HR, so
    # its sd grows by about sqrt(2) (less the weakly informative prior's share). The sd of 2,000
    # draws (effective size >= 500) has a relative MCSE below 1 / sqrt(2 * 500) = 3.2%, so the
    # ratio's is below 4.5%, and 4 of them give the band [1.15, 1.68] around 1.41.
    study = bh.datasets.load_huang2022()
    fit = bh.PiecewiseExponential(cutpoints=[0, 6, 12], control="Sorafenib").fit(
        study.os, draws=1000, tune=500, chains=2, seed=1)
    full = Scenario.from_fit(fit, discount=PowerPrior(a0=1), seed=2)
    half = Scenario.from_fit(fit, discount=PowerPrior(a0=0.5), seed=2)
    ratio = np.log(half.prior.hazard_ratio).std() / np.log(full.prior.hazard_ratio).std()
    assert 1.15 < ratio < 1.68
    assert abs(np.log(half.hazard_ratios[0]) - np.log(full.hazard_ratios[0])) < 0.1
    assert half.prior.n_draws == 2000 and "a0=0.5" in str(half)


def test_a_mixture_describes_only_the_components_of_its_source(survival_fit, response_fit):
    """A survival source has no response component to describe (it said 'treatment response rate ~
    Beta(1, 1)' in every output), and a response source no log HR."""
    mix = RobustMixture(weight=0.5, log_hr=bh.Normal(0, 0.5))
    surv = Scenario.from_fit(survival_fit, discount=mix, seed=2)
    resp = Scenario.from_fit(response_fit, discount=mix, seed=2)
    r = simulate(response_design(), resp, n_trials=50, seed=1, progress=False)
    for text in (str(surv), str(surv.prior.discount), repr(surv.prior)):
        assert "log HR ~ Normal(mu=0, sigma=0.5)" in text and "response rate" not in text
    for text in (str(resp), r.trials.attrs["discount"]):
        assert "treatment response rate ~ Beta(alpha=1, beta=1)" in text and "log HR" not in text
    assert "log HR" in str(mix) and "response rate" in str(mix)  # not yet applied: both components
    assert surv.prior.discount == mix and _store.fingerprint(surv.prior.discount) == _store.fingerprint(mix)
