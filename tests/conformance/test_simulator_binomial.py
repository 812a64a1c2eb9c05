"""Beta-binomial counterpart of Gsponer et al. (2014): simulated operating characteristics of a
two-arm, two-look binomial design with uniform priors match exact enumeration.

With permuted blocks of 2 and looks at 40 and 80 patients, each arm has exactly 20 and 40
evaluable patients, so the exact OC is a finite sum over the binomial outcomes at each look (the
same posterior probabilities decide both). Tolerance: 4 Monte Carlo standard errors of each
probability; six checks, so a correct simulator fails this file with probability < 4e-4.
"""

import math

import numpy as np
import pytest
from scipy import stats

from bayeshcc.conjugate import prob_difference_above
from bayeshcc.design import (
    Accrual,
    Analysis,
    PosteriorProbability,
    Scenario,
    TrialDesign,
    simulate,
)
from bayeshcc.models import Beta, BinomialResponse

N_TRIALS = 20_000
SUCCESS = PosteriorProbability("risk_difference", ">", 0, threshold=0.975)
FUTILITY = PosteriorProbability("risk_difference", "<", 0.05, threshold=0.8)


def exact_oc(p_control: float, p_treatment: float) -> dict[str, float]:
    """Exact P(success at interim), P(futility at interim), P(success overall) by enumeration."""
    y = np.arange(21)
    yc, yt = np.meshgrid(y, y, indexing="ij")
    a_c, b_c, a_t, b_t = 1 + yc, 1 + 20 - yc, 1 + yt, 1 + 20 - yt
    interim_win = prob_difference_above(a_t, b_t, a_c, b_c, 0.0) > 0.975
    interim_stop = interim_win | (1 - prob_difference_above(a_t, b_t, a_c, b_c, 0.05) > 0.8)
    interim_lose = interim_stop & ~interim_win
    z = np.arange(41)
    zc, zt = np.meshgrid(z, z, indexing="ij")
    final_win = prob_difference_above(1 + zt, 41 - zt, 1 + zc, 41 - zc, 0.0) > 0.975
    pc, pt = stats.binom.pmf(y, 20, p_control), stats.binom.pmf(y, 20, p_treatment)
    joint = np.outer(pc, pt)
    later = np.zeros((21, 21))
    for i in range(21):
        for j in range(21):
            later[i, j] = pc @ final_win[i : i + 21, j : j + 21] @ pt
    go_on = ~interim_stop
    return {
        "interim_success": float((joint * interim_win).sum()),
        "interim_futility": float((joint * interim_lose).sum()),
        "success": float((joint * interim_win).sum() + (joint * go_on * later).sum()),
    }


@pytest.mark.parametrize(("p_control", "p_treatment"), [(0.2, 0.2), (0.2, 0.45)])
def test_simulated_oc_matches_enumeration(p_control, p_treatment):
    design = TrialDesign(
        control="control",
        treatment="treatment",
        n_patients=80,
        accrual=Accrual(duration=20),
        analyses=[Analysis(patients=40), Analysis(patients=80)],
        analysis=BinomialResponse(prior=Beta(1, 1)),
        success=SUCCESS,
        futility=FUTILITY,
    )
    scenario = Scenario.fixed(response_rates={"control": p_control, "treatment": p_treatment})
    result = simulate(
        design, scenario, n_trials=N_TRIALS, seed=2014, engine="conjugate", progress=False
    )
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
    # The rules did something in this design: not every trial runs to the end.
    assert 0 < exact["interim_success"] + exact["interim_futility"] < 1
