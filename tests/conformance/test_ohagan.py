"""O'Hagan, Stevens and Campbell (2005) assurance (CHECKS.md): with a design prior
log HR ~ Normal(mu, tau^2), one analysis at D events, a vague analysis prior and the rule
P(HR < 1 | data) > 0.975, assurance = Phi((-mu - z_0.975 sqrt(v)) / sqrt(v + tau^2)), v = 4/D; as
tau -> 0 it equals the power at HR = exp(mu).

Tolerance: 4 Monte Carlo standard errors of the simulated proportion, sqrt(A (1 - A) / n_trials)
(a correct simulator fails one such check with probability < 1e-4). The design prior is a pool of
200,000 draws, so its own Monte Carlo error (sd of the power over the prior / sqrt(200,000) < 0.0011)
adds under 3% to that variance. Schoenfeld's variance 4/D is an approximation: the actual 1/d_t + 1/d_c
is (1 + HR)^2 / (4 HR) times larger (1.3% at HR 0.8, 3.2% at HR 0.7), which moves the closed form by
about 0.003-0.004, inside the 0.02 tolerance at 10,000 trials.
"""

import math

import numpy as np
import pytest
from scipy import stats

from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.models import Normal

N_TRIALS = 10_000
EVENTS = 200
Z = stats.norm.ppf(0.975)


def design() -> TrialDesign:
    return TrialDesign(control="control", treatment="treatment", n_patients=400, accrual=Accrual(duration=24),
                       analyses=[Analysis(events=EVENTS)],
                       success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975))


def closed_form(mu: float, tau: float, events: int = EVENTS) -> float:
    v = 4 / events
    return float(stats.norm.cdf((-mu - Z * math.sqrt(v)) / math.sqrt(v + tau**2)))


def test_closed_form_never_exceeds_the_prior_probability_of_benefit():
    # for a prior centred on benefit or no effect (mu <= 0); centred on harm, the type I error can exceed it
    for mu in (-0.5, -0.2, 0.0):
        for tau in (0.05, 0.3, 1.0, 3.0):
            assert closed_form(mu, tau) <= stats.norm.cdf(-mu / tau)


@pytest.mark.parametrize(("hr", "tau"), [(0.8, 0.2), (0.7, 0.5)])
def test_simulated_assurance_matches_ohagan(hr, tau):
    mu = math.log(hr)
    scenario = Scenario.from_prior(median=12, log_hr=Normal(mu, tau), draws=200_000, seed=11)
    result = simulate(design(), scenario, n_trials=N_TRIALS, seed=12, progress=False)
    table = result.assurance()
    expected = closed_form(mu, tau)
    mcse = math.sqrt(expected * (1 - expected) / N_TRIALS)
    assert abs(table.loc["assurance", "estimate"] - expected) < 4 * mcse
    assert np.all(result.trials["events"].values == EVENTS)
    # the prior probability of benefit is Phi(-mu / tau), and assurance stays below it
    benefit = stats.norm.cdf(-mu / tau)
    assert abs(table.loc["prior_prob_benefit", "estimate"] - benefit) < 4 * math.sqrt(benefit * (1 - benefit) / N_TRIALS)
    assert table.loc["assurance", "estimate"] < table.loc["prior_prob_benefit", "estimate"]


def test_assurance_with_a_tiny_prior_variance_is_the_power():
    mu = math.log(0.8)
    tiny = simulate(design(), Scenario.from_prior(median=12, log_hr=Normal(mu, 1e-6), draws=1000, seed=11),
                    n_trials=N_TRIALS, seed=12, progress=False)
    fixed = simulate(design(), Scenario.fixed(median=12, hazard_ratio=0.8), n_trials=N_TRIALS, seed=12,
                     progress=False)
    a = tiny.assurance().loc["assurance", "estimate"]
    power = fixed.operating_characteristics().loc["overall", "p_success"]
    expected = closed_form(mu, 0.0)
    mcse = math.sqrt(expected * (1 - expected) / N_TRIALS)
    # the same seed gives the same patients, so only the (tiny) spread of truths can differ
    assert abs(a - power) < mcse
    assert abs(power - expected) < 4 * mcse
