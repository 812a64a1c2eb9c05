"""A sparse first look must not look decisive (the trust issue's design).

Under no effect, a trial with an interim at month 2 (about 2 events) that succeeds if
P(HR < 1 | data) > 0.999, and a final analysis at 200 events with P(HR < 1 | data) > 0.975, has
type I error about 0.025: the interim almost never fires. With Gamma(0.001, 0.001) priors an arm
without events has its posterior piled at hazard 0, so 0 against 1 event already gives
P(HR < 1) = 0.9993 and the type I error was 0.25. The conjugate engine's default prior
(Gamma(1/2, 1/(2r)) per arm, r the trial's pooled crude rate) is vague on the log-HR scale: its
type I error must equal the laplace engine's within Monte Carlo error.

Tolerance: 4 standard errors of the difference of two independent proportions (false-failure
probability < 1e-4).
"""

import math

import numpy as np
import pytest
from scipy import stats

from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.errors import SparseLookWarning
from bayeshcc.models import Gamma, PiecewiseExponential

N_TRIALS = 4000
SCENARIO = Scenario.fixed(median=12, hazard_ratio=1.0)


def design(analysis) -> TrialDesign:
    return TrialDesign(
        control="control",
        treatment="treatment",
        n_patients=400,
        accrual=Accrual(duration=20),
        analyses=[Analysis(months=2), Analysis(events=200)],
        success=[PosteriorProbability("hazard_ratio", "<", 1, threshold=0.999),
                 PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)],
        analysis=analysis,
    )


def type_one_error(analysis, engine):
    r = simulate(design(analysis), SCENARIO, n_trials=N_TRIALS, seed=11, engine=engine, progress=False)
    return float((r.trials["decision"] == 1).mean()), r


def test_zero_against_one_event_is_not_decisive_with_the_default():
    assert stats.beta(0.5, 1.5).cdf(0.5) == pytest.approx(0.8183, abs=1e-4)  # the docstring's figure


def test_sparse_interim_type_one_error_matches_laplace():
    laplace, lr = type_one_error(PiecewiseExponential(cutpoints=[0]), "laplace")
    with np.errstate(all="ignore"):
        conj, cr = type_one_error(PiecewiseExponential(cutpoints=[0], effect="per_arm"), "conjugate")
    # the interim is sparse: about 2 events, often an arm without any
    events = cr.trials["look_events"].sel(analysis=1)
    assert 1 <= float(events.median()) <= 4
    assert float(cr.trials["look_sparse"].sel(analysis=1).mean()) > 0.2
    se = math.sqrt(laplace * (1 - laplace) / N_TRIALS + conj * (1 - conj) / N_TRIALS)
    assert abs(conj - laplace) < 4 * se
    assert 0.015 < laplace < 0.04  # about 0.025, the final rule's level


def test_vague_gamma_prior_is_decisive_on_sparse_data_and_warns():
    with pytest.warns(SparseLookWarning, match=r"analysis 1 \(month 2\): \d+ of 4000 trials stopped \(\d+ success"):
        old, _ = type_one_error(PiecewiseExponential(cutpoints=[0], effect="per_arm",
                                                     baseline_prior=Gamma(0.001, 0.001)), "conjugate")
    assert old > 0.15  # the review measured 0.25
