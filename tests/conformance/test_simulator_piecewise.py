"""Operating characteristics of a rule on the survival difference, conjugate engine with piecewise
hazards: type I error 0.025 under the null, power increasing with the effect.

The trial: 300 patients uniform over 18 months, one analysis at 200 events, analysis model with
each arm's own hazards on [0, 6) and [6, inf); success if P(S_T(12) - S_C(12) > 0 | data) > 0.975.
The truth: control hazards 0.1 then 0.05 per month (the same intervals), treatment hazards
HR times those.

Why 0.025: with vague gamma priors the posterior of S_T(12) - S_C(12) is asymptotically normal
around the maximum-likelihood estimate with the sampling variance (Bernstein-von Mises), so
P(difference > 0 | data) > 0.975 is asymptotically the one-sided Wald test at level 0.025, and
under the null the posterior probability is uniform. The engine's Monte Carlo error (sd about
0.0035 near 0.975 with 2000 draws) only blurs the threshold, which with a uniform posterior
probability leaves the rejection rate unchanged to first order. Run with 100,000 trials (seed 99)
the type I error was 0.0251 (MCSE 0.0005), so the finite-sample and Monte Carlo departures from
0.025 are below 0.001.

Tolerance: the simulated rate is a binomial proportion over N independent trials, MCSE
sqrt(0.025 x 0.975 / N) = 0.0017 at N = 8000; the test allows 4 MCSE (0.007), which a correct
simulator fails with probability about 6e-5. Power: the scenarios share seeds, and each step in
effect raises power by at least 0.08 (0.12, 0.35, 0.71 at HR 0.9, 0.8, 0.7 in a 2000-trial run),
far beyond 4 combined MCSE (at most 0.06).
"""

import math

import pytest

from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.models import Gamma, PiecewiseExponential

CUTS = [0, 6]


@pytest.fixture(scope="module")
def design() -> TrialDesign:
    return TrialDesign(
        control="C",
        treatment="T",
        n_patients=300,
        accrual=Accrual(duration=18),
        analyses=[Analysis(events=200)],
        success=PosteriorProbability("survival_difference", ">", 0, threshold=0.975, time=12),
        analysis=PiecewiseExponential(
            cutpoints=CUTS, effect="per_arm", baseline_prior=Gamma(0.001, 0.001)
        ),
    )


def p_success(design, hr, n_trials, seed):
    scenario = Scenario.fixed(hazards=[0.1, 0.05], cutpoints=CUTS, hazard_ratio=[hr, hr])
    result = simulate(
        design, scenario, n_trials=n_trials, seed=seed, engine="conjugate", progress=False
    )
    oc = result.operating_characteristics().loc["overall"]
    return oc["p_success"], oc["p_success_mcse"]


def test_type_one_error_is_nominal(design):
    n = 8000
    p, mcse = p_success(design, 1.0, n, seed=20250101)
    expected = 0.025
    assert abs(p - expected) < 4 * math.sqrt(expected * (1 - expected) / n), (p, mcse)


def test_power_increases_with_effect_size(design):
    results = [p_success(design, hr, 2000, seed=7) for hr in (1.0, 0.9, 0.8, 0.7)]
    for (p_weak, se_weak), (p_strong, se_strong) in zip(results[:-1], results[1:], strict=True):
        assert p_strong - p_weak > 4 * math.hypot(se_weak, se_strong), results
    assert results[-1][0] > 0.5
