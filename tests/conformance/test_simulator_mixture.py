"""Robust mixture prior in the simulator: operating characteristics match exact enumeration.

The design of ``test_simulator_binomial.py`` (permuted blocks of 2, looks at 40 and 80 patients, so
each arm has exactly 20 and 40 evaluable patients) analysed with a robust prior on every arm,
``0.8 Beta(6, 24) + 0.2 Beta(1, 1)``. The exact OC is a finite sum over the binomial outcomes at
each look; each look's decision uses the exact mixture posterior (weights by the beta-binomial
marginal likelihood, the risk difference as a double sum of two-Beta quadratures), computed here
independently of the simulator's ``BetaMixturePosterior`` with scipy's ``betaln``. Tolerance:
4 Monte Carlo standard errors of each probability; six checks, so a correct simulator fails this
file with probability < 4e-4.
"""

import math

import numpy as np
import pytest
from scipy import special, stats

from bayeshcc.conjugate import prob_difference_above
from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.models import Beta, BinomialResponse
from bayeshcc.models.priors import Mixture

N_TRIALS = 20_000
PRIOR_W, PRIOR_A, PRIOR_B = np.array([0.8, 0.2]), np.array([6.0, 1.0]), np.array([24.0, 1.0])
SUCCESS = PosteriorProbability("risk_difference", ">", 0, threshold=0.975)
FUTILITY = PosteriorProbability("risk_difference", "<", 0.05, threshold=0.8)


def mixture_prob_above(yc, yt, n, delta):
    """P(p_T - p_C > delta) for every (y_C, y_T) pair of a grid, with n patients per arm."""
    def post(y):
        a, b = PRIOR_A + y[..., None], PRIOR_B + n - y[..., None]
        logw = np.log(PRIOR_W) + special.betaln(a, b) - special.betaln(PRIOR_A, PRIOR_B)
        return np.exp(logw - special.logsumexp(logw, axis=-1, keepdims=True)), a, b

    wc, ac, bc = post(yc)
    wt, at, bt = post(yt)
    total = np.zeros(yc.shape)
    for j in range(2):
        for k in range(2):
            p = prob_difference_above(at[..., k], bt[..., k], ac[..., j], bc[..., j], delta)
            total += wc[..., j] * wt[..., k] * p
    return total


def exact_oc(p_control: float, p_treatment: float) -> dict[str, float]:
    y = np.arange(21)
    yc, yt = np.meshgrid(y, y, indexing="ij")
    interim_win = mixture_prob_above(yc, yt, 20, 0.0) > 0.975
    interim_stop = interim_win | (1 - mixture_prob_above(yc, yt, 20, 0.05) > 0.8)
    interim_lose = interim_stop & ~interim_win
    z = np.arange(41)
    zc, zt = np.meshgrid(z, z, indexing="ij")
    final_win = mixture_prob_above(zc, zt, 40, 0.0) > 0.975
    pc, pt = stats.binom.pmf(y, 20, p_control), stats.binom.pmf(y, 20, p_treatment)
    joint = np.outer(pc, pt)
    later = np.zeros((21, 21))
    for i in range(21):
        for j in range(21):
            later[i, j] = pc @ final_win[i : i + 21, j : j + 21] @ pt
    return {
        "interim_success": float((joint * interim_win).sum()),
        "interim_futility": float((joint * interim_lose).sum()),
        "success": float((joint * interim_win).sum() + (joint * ~interim_stop * later).sum()),
    }


@pytest.mark.parametrize(("p_control", "p_treatment"), [(0.2, 0.2), (0.2, 0.5)])
def test_mixture_prior_oc_matches_enumeration(p_control, p_treatment):
    prior = Mixture([Beta(6, 24), Beta(1, 1)], weights=[0.8, 0.2])
    design = TrialDesign(
        control="control",
        treatment="treatment",
        n_patients=80,
        accrual=Accrual(duration=20),
        analyses=[Analysis(patients=40), Analysis(patients=80)],
        analysis=BinomialResponse(prior=prior),
        success=SUCCESS,
        futility=FUTILITY,
    )
    scenario = Scenario.fixed(response_rates={"control": p_control, "treatment": p_treatment})
    result = simulate(design, scenario, n_trials=N_TRIALS, seed=2024, engine="conjugate", progress=False)
    oc = result.operating_characteristics()
    exact = exact_oc(p_control, p_treatment)
    simulated = {
        "interim_success": oc.loc[1, "p_success"],
        "interim_futility": oc.loc[1, "p_futility"],
        "success": oc.loc["overall", "p_success"],
    }
    for key, p in exact.items():
        mcse = math.sqrt(p * (1 - p) / N_TRIALS)
        assert abs(simulated[key] - p) < 4 * mcse + 1e-12, (key, simulated[key], p)
    assert 0 < exact["interim_success"] + exact["interim_futility"] < 1


def test_mixture_prior_changes_the_decisions():
    """The mixture prior matters here: with the uniform prior some interim outcome is decided
    differently (otherwise the test above could not tell the two priors apart)."""
    y = np.arange(21)
    yc, yt = np.meshgrid(y, y, indexing="ij")
    mix = mixture_prob_above(yc, yt, 20, 0.0) > 0.975
    flat = prob_difference_above(1 + yt, 21 - yt, 1 + yc, 21 - yc, 0.0) > 0.975
    assert (mix != flat).sum() >= 1
