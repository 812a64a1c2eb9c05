"""Schoenfeld's required events: a trial analysed at 331 events with a vague prior and the rule
P(HR < 1 | data) > 0.975 has power 0.90 at HR 0.7 and type I error 0.025 at HR 1 (CHECKS.md).

Tolerance: 4 Monte Carlo standard errors, sqrt(p (1 - p) / n_trials); a correct simulator fails one
such check with probability < 1e-4. Schoenfeld's formula itself (variance 4/d) is an approximation:
with the actual variance 1/d_t + 1/d_c at HR 0.7 the power is 0.898, 0.002 below 0.90, well inside
the 0.012 tolerance at 10,000 trials.
"""

import math

import numpy as np
import pytest
from scipy import stats

from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.design.trial import DEFAULT_ANALYSIS
from bayeshcc.models import Gamma, PiecewiseExponential

#: Each engine's analysis model: the default vague exponential PH model (laplace) and each arm's
#: own exponential hazard with vague Gamma(0.001, 0.001) priors (conjugate).
ANALYSIS = {
    "laplace": DEFAULT_ANALYSIS,
    "conjugate": PiecewiseExponential(
        cutpoints=[0], effect="per_arm", baseline_prior=Gamma(0.001, 0.001)
    ),
}

N_TRIALS = 10_000


def schoenfeld_events(hr: float, alpha: float = 0.025, power: float = 0.9) -> float:
    z = stats.norm.ppf(1 - alpha) + stats.norm.ppf(power)
    return 4 * z**2 / math.log(hr) ** 2


def test_schoenfeld_events_match_checks_md():
    for hr, events in ((0.5, 87.48), (0.6, 161.07), (0.7, 330.38), (0.75, 507.84)):
        assert schoenfeld_events(hr) == pytest.approx(events, abs=0.01)


def design(engine: str) -> TrialDesign:
    return TrialDesign(
        control="control",
        treatment="treatment",
        n_patients=600,
        accrual=Accrual(duration=24),
        analyses=[Analysis(events=math.ceil(schoenfeld_events(0.7)))],
        success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
        analysis=ANALYSIS[engine],
    )


@pytest.mark.parametrize(("hr", "expected"), [(0.7, 0.90), (1.0, 0.025)])
@pytest.mark.parametrize("engine", ["laplace", "conjugate"])
def test_power_and_type_one_error(hr, expected, engine):
    result = simulate(
        design(engine),
        Scenario.fixed(median=12, hazard_ratio=hr),
        n_trials=N_TRIALS,
        seed=20240601,
        engine=engine,
        progress=False,
    )
    oc = result.operating_characteristics()
    p = oc.loc["overall", "p_success"]
    mcse = math.sqrt(expected * (1 - expected) / N_TRIALS)
    assert abs(p - expected) < 4 * mcse
    # Every trial is analysed at exactly 331 events.
    assert np.all(result.trials["events"].values == 331)
