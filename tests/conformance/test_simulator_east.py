"""East 6.5 benchmark (gsDesign's tests, CHECKS.md): control median 10 months, HR 0.5, 48 patients
entering uniformly over 12 months, analysis at month 42, one-sided alpha 0.025: expected events
39.0212 and power 0.5812.

The expected events are exact (analytic), so the simulated mean must match within 4 Monte Carlo
standard errors. The power 0.5812 is the log-rank test's; it is checked on the simulated trials
with a log-rank test computed here (4 MCSE). The Bayesian rule P(HR < 1 | data) > 0.975 with the
exponential analysis model is a different test: on exponential data it is slightly more powerful
(it uses the exposure, and at ~39 events its size is 0.027, not 0.025), so it is held to the
log-rank power within 0.02 and to agreeing with the log-rank decision in at least 92% of trials.
"""

import math

import numpy as np
import pytest

from bayeshcc._random import BlockRNG
from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.design.engines import LaplaceEngine
from bayeshcc.design.generate import generate, look_data

N_TRIALS = 20_000
HR, MEDIAN, END = 0.5, 10.0, 42.0


@pytest.fixture(scope="module")
def design() -> TrialDesign:
    return TrialDesign(
        control="control",
        treatment="treatment",
        n_patients=48,
        accrual=Accrual(duration=12),
        analyses=[Analysis(months=END)],
        success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
    )


def analytic_expected_events() -> float:
    """Uniform entry on [0, 12], follow-up 42 - u: P(event) = 1 - (e^{-30 l} - e^{-42 l}) / (12 l)."""
    total = 0.0
    for lam in (math.log(2) / MEDIAN, HR * math.log(2) / MEDIAN):
        total += 24 * (1 - (math.exp(-30 * lam) - math.exp(-42 * lam)) / (12 * lam))
    return total


def logrank_z(time: np.ndarray, event: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Log-rank Z per trial (rows), positive when the treatment arm has fewer events than expected."""
    order = np.argsort(time, axis=1)
    ev = np.take_along_axis(event, order, 1)
    tr = np.take_along_axis(treated, order, 1)
    n_risk = np.arange(time.shape[1], 0, -1)[None, :]
    t_risk = np.cumsum(tr[:, ::-1], axis=1)[:, ::-1]
    expected = np.where(ev, t_risk / n_risk, 0.0).sum(1)
    var = np.where(ev, t_risk * (n_risk - t_risk) / n_risk**2, 0.0).sum(1)
    observed = (ev & tr).sum(1)
    return (expected - observed) / np.sqrt(var)


def test_analytic_expected_events_match_east():
    assert analytic_expected_events() == pytest.approx(39.0212, abs=1e-4)


def test_expected_events_and_power(design):
    result = simulate(
        design,
        Scenario.fixed(median=MEDIAN, hazard_ratio=HR),
        n_trials=N_TRIALS,
        seed=65,
        progress=False,
    )
    oc = result.operating_characteristics().loc["overall"]
    assert abs(oc["expected_events"] - analytic_expected_events()) < 4 * oc["expected_events_mcse"]
    assert np.all(result.trials["duration"].values == END)
    power = oc["p_success"]
    assert abs(power - 0.5812) < 0.02


def test_generated_trials_give_east_logrank_power(design):
    n = 20_000
    batch = generate(
        design,
        Scenario.fixed(median=MEDIAN, hazard_ratio=HR),
        BlockRNG([np.random.default_rng(6)], [n]),
    )
    follow = END - batch.entry
    time = np.minimum(batch.event_time, follow)
    event = batch.event_time <= follow
    reject = logrank_z(time, event, batch.treated) > 1.959964
    assert abs(reject.mean() - 0.5812) < 4 * math.sqrt(0.5812 * 0.4188 / n)
    # The Bayesian decision on the same trials agrees with the log-rank decision.
    data = look_data(design, batch, np.full(n, END))
    bayes = LaplaceEngine().posterior(data, design).prob("hazard_ratio", "<", 1.0) > 0.975
    # Near the threshold two different tests disagree; at ~39 events that is about 6% of trials.
    assert (bayes == reject).mean() > 0.92
    assert abs(bayes.mean() - reject.mean()) < 0.02
