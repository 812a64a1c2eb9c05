"""Assurance beside power, estimates among successful trials, and joint endpoints on shared truths."""

import math

import numpy as np
import pytest

import bayeshcc as bh
import bayeshcc.testing
from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.design.discount import PowerPrior
from bayeshcc.errors import SpecError

RULE = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)


def survival_design() -> TrialDesign:
    return TrialDesign(control="C", treatment="T", n_patients=300, accrual=Accrual(duration=12),
                       analyses=[Analysis(events=100), Analysis(events=200)], success=RULE)


def response_design() -> TrialDesign:
    return TrialDesign(control="C", treatment="T", n_patients=80, accrual=Accrual(duration=12),
                       analyses=[Analysis(patients=80)],
                       success=PosteriorProbability("risk_difference", ">", 0, threshold=0.975),
                       analysis=bh.BinomialResponse())


@pytest.fixture(scope="module")
def prior_scenario():
    return Scenario.from_prior(median=10, log_hr=bh.Normal(math.log(0.6), 0.3), draws=5000, seed=1)


@pytest.fixture(scope="module")
def joint_scenario():
    study = bh.datasets.load_huang2022()
    resp = bh.BinomialResponse().fit(study.response["RECIST"], draws=500, chains=2, seed=1)
    rng = np.random.default_rng(3)
    # a survival posterior with as many draws, paired with the response draws by index
    h = np.stack([rng.gamma(60, 0.075 / 60, (2, 500, 1)), rng.gamma(44, 0.04 / 44, (2, 500, 1))], axis=2)
    os_fit = bh.testing.fake_survival_fit(h, cutpoints=[0], data=study.os, arms=["Sorafenib", "FOLFOX-HAIC"])
    return Scenario.from_fit({"os": os_fit, "response": resp}, discount=PowerPrior(a0=1), seed=2)


def test_assurance_sits_beside_power_at_the_median_truth(prior_scenario):
    res = bh.assurance(survival_design(), prior_scenario, n_trials=2000, seed=3)
    t = res.table()
    assert list(t.index) == ["assurance", "power_at_median_truth", "prior_prob_benefit", "p_success_given_benefit",
                             "p_success_given_no_benefit", "median_estimate_vs_truth"]
    a, power = t.loc["assurance"], t.loc["power_at_median_truth"]
    # power at HR 0.6 is about 0.95 (Schoenfeld, 200 events); a spread of truths around it loses
    # more where the truth is weak than it gains where it is strong: assurance about 0.76 (O'Hagan)
    assert a["estimate"] + 4 * math.hypot(a["mcse"], power["mcse"]) < power["estimate"]
    assert t.loc["prior_prob_benefit", "estimate"] > a["estimate"]
    assert res.at_median.scenario.prior is None
    assert res.at_median.scenario.hazard_ratios[0] == pytest.approx(np.median(prior_scenario.prior.hazard_ratios))
    assert t.attrs["discount"] == "none" and "log HR ~ Normal" in t.attrs["design_prior"]
    assert "assurance" in repr(res)


def test_a_win_overstates_the_effect(prior_scenario):
    r = simulate(survival_design(), prior_scenario, n_trials=2000, seed=4, progress=False)
    est = r.estimates_among_successes()
    assert list(est.columns) == ["estimated_hazard_ratio", "true_hazard_ratio", "ratio_estimated_to_true"]
    # successful trials estimate a smaller HR than their truth (selection on a favourable estimate)
    assert est.attrs["median_ratio"] + 4 * est.attrs["median_ratio_mcse"] < 1
    assert est.attrs["n_successes"] == int((r.trials["decision"].values == 1).sum())
    with pytest.raises(SpecError, match="quantiles: expected levels strictly between 0 and 1"):
        r.estimates_among_successes(quantiles=[0.5, 1.0])


def test_a_fixed_scenario_has_assurance_equal_to_power():
    r = simulate(survival_design(), Scenario.fixed(median=10, hazard_ratio=0.7), n_trials=500, seed=5,
                 progress=False)
    a = r.assurance()
    assert a.loc["assurance", "estimate"] == r.operating_characteristics().loc["overall", "p_success"]
    assert a.loc["prior_prob_benefit", "estimate"] == 1.0
    with pytest.raises(SpecError, match="scenario: assurance needs a design prior"):
        bh.assurance(survival_design(), Scenario.fixed(median=10, hazard_ratio=0.7), n_trials=10, seed=1)


def test_joint_endpoints_share_each_trials_truth(joint_scenario):
    designs = {"os": survival_design(), "response": response_design()}
    joint = bh.simulate_joint(designs, joint_scenario, require="both", n_trials=500, seed=6)
    os_t, resp_t = joint.results["os"].trials, joint.results["response"].trials
    np.testing.assert_array_equal(os_t["truth_draw"].values, resp_t["truth_draw"].values)
    idx = os_t["truth_draw"].values
    np.testing.assert_array_equal(resp_t["true_response_treatment"].values,
                                  joint_scenario.prior.response_rates[idx, 1])
    np.testing.assert_array_equal(os_t["true_hazard_ratio"].values, joint_scenario.prior.hazard_ratio[idx])
    # the patients of each endpoint come from their own streams
    assert not np.array_equal(os_t["look_time"].values[:, 0], resp_t["look_time"].values[:, 0])
    wins = np.stack([os_t["decision"].values == 1, resp_t["decision"].values == 1])
    np.testing.assert_array_equal(joint.success(), wins.all(axis=0))
    t = joint.table()
    assert t.loc["joint (require='both')", "p_success"] == t.loc["all", "p_success"] <= t.loc["os", "p_success"]
    anyone = bh.simulate_joint(designs, joint_scenario, require="any", n_trials=500, seed=6)
    np.testing.assert_array_equal(anyone.success(), wins.any(axis=0))
    only = bh.simulate_joint(designs, joint_scenario, require="response", n_trials=500, seed=6)
    np.testing.assert_array_equal(only.success(), wins[1])
    assert "a0=1" in t.attrs["discount"]


def test_joint_inputs_are_checked_before_simulating(joint_scenario):
    designs = {"os": survival_design(), "response": response_design()}
    with pytest.raises(SpecError, match=r"require: expected 'both', 'any' or a design's name \['os', 'response'\]"):
        bh.simulate_joint(designs, joint_scenario, require="pfs", n_trials=10, seed=1)
    with pytest.raises(SpecError, match="scenario: it has no response truth"):
        bh.simulate_joint(designs, joint_scenario.for_endpoint("survival"), n_trials=10, seed=1)
    with pytest.raises(SpecError, match="scenario.response_rates: the design's analysis is a survival model"):
        simulate(survival_design(), joint_scenario, n_trials=10, seed=1)
    with pytest.raises(SpecError, match=r"designs\['os'\]: expected a TrialDesign"):
        bh.simulate_joint({"os": "design"}, joint_scenario, n_trials=10, seed=1)
