"""Predictive probability of final success, against exact and closed-form answers."""

import math

import numpy as np
import pytest
from scipy import stats

from bayeshcc._random import BlockRNG
from bayeshcc.conjugate import prob_difference_above
from bayeshcc.design import (
    Accrual,
    Analysis,
    Dropout,
    PosteriorProbability,
    PredictiveProbability,
    Scenario,
    TrialDesign,
    simulate,
)
from bayeshcc.design.batch import TrialBatch
from bayeshcc.design.engines import ConjugateEngine, LaplaceEngine
from bayeshcc.design.generate import analysis_times, generate, look_data
from bayeshcc.design.predictive import predictive_success
from bayeshcc.errors import SpecError
from bayeshcc.models import BinomialResponse


def test_response_predictive_probability_is_the_beta_binomial_sum():
    final = PosteriorProbability("risk_difference", ">", 0, threshold=0.95)
    design = TrialDesign(
        control="C",
        treatment="T",
        n_patients=60,
        accrual=Accrual(duration=12),
        analyses=[Analysis(patients=30), Analysis(patients=60)],
        analysis=BinomialResponse(),
        success=final,
    )
    m, draws = 200, 200
    treated = np.tile(np.arange(60) % 2 == 1, (m, 1))
    response = np.zeros((m, 60), dtype=bool)
    response[:, [0, 2, 4]] = True  # 3 of 15 control responders among the first 30
    response[:, [1, 3, 5, 7, 9, 11, 13]] = True  # 7 of 15 treated
    batch = TrialBatch(np.tile(np.arange(60.0), (m, 1)), treated, response=response)
    cut = np.full(m, 29.0)
    engine = ConjugateEngine()
    post = engine.posterior(look_data(design, batch, cut, design.analyses[0]), design)
    assert post.a[0] == pytest.approx([4, 8]) and post.b[0] == pytest.approx([13, 9])
    pp = predictive_success(
        design, engine, batch, cut, 0, post, final, draws, np.random.default_rng(5)
    )
    # Exact: future responders are beta-binomial(15, a, b) in each arm.
    z = np.arange(16)
    pc = stats.betabinom.pmf(z, 15, 4, 13)
    pt = stats.betabinom.pmf(z, 15, 8, 9)
    zc, zt = np.meshgrid(z, z, indexing="ij")
    win = (
        prob_difference_above(1 + 7 + zt, 1 + 30 - 7 - zt, 1 + 3 + zc, 1 + 30 - 3 - zc, 0.0) > 0.95
    )
    exact = float(pc @ win @ pt)
    # Each (trial, draw) is an independent predictive sample: MCSE sqrt(p (1 - p) / (m draws)).
    assert pp.mean() == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / (m * draws)))
    assert 0.2 < exact < 0.8


def test_survival_predictive_probability_matches_the_normal_closed_form():
    # Spiegelhalter et al. (1986): with a vague prior, information I1 at the interim and I2 = 2 I1
    # at the final (twice the events), the final estimate is predicted N(mu1, (I2 - I1)/(I1 I2)).
    rule = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)
    design = TrialDesign(
        control="C",
        treatment="T",
        n_patients=300,
        accrual=Accrual(duration=24),
        dropout=Dropout(proportion=0.05, by=12),
        analyses=[Analysis(events=100), Analysis(events=200)],
        success=rule,
    )
    batch = generate(
        design,
        Scenario.fixed(median=12, hazard_ratio=0.75),
        BlockRNG([np.random.default_rng(1)], [200]),
    )
    cuts = analysis_times(design, batch)
    engine = LaplaceEngine()
    post = engine.posterior(look_data(design, batch, cuts[:, 0]), design)
    pp = predictive_success(
        design, engine, batch, cuts[:, 0], 0, post, rule, 200, np.random.default_rng(2)
    )
    i1 = 1 / post.sd**2
    i2 = 2 * i1
    closed = stats.norm.cdf(
        (-stats.norm.ppf(0.975) / np.sqrt(i2) - post.mean) / np.sqrt((i2 - i1) / (i1 * i2))
    )
    # Per-trial MC error is at most 0.5/sqrt(200) = 0.035; the closed form's information ratio is
    # approximate too. Averages over 200 trials must agree to 0.01 and trial by trial on average to 0.03.
    assert abs(pp.mean() - closed.mean()) < 0.01
    assert np.abs(pp - closed).mean() < 0.03
    assert np.corrcoef(pp, closed)[0, 1] > 0.99


def test_predictive_futility_rule_in_a_simulation():
    success = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)
    futility = PredictiveProbability("<", threshold=0.2, draws=50)
    assert str(futility) == "P(success at final | data) < 0.2"
    design = TrialDesign(
        control="C",
        treatment="T",
        n_patients=200,
        accrual=Accrual(duration=12),
        analyses=[Analysis(events=60), Analysis(events=120)],
        success=[None, success],
        futility=futility,
    )
    null = simulate(
        design, Scenario.fixed(median=10, hazard_ratio=1.0), n_trials=600, seed=8, progress=False
    )
    t = null.trials
    pp = t["predictive_probability"].values[:, 0]
    stopped = t["stop_analysis"].values == 1
    assert np.all(np.isfinite(pp))
    assert np.array_equal(stopped, pp < 0.2)
    assert 0.3 < stopped.mean() < 0.95  # under no effect most trials look futile early
    assert np.all(t["decision"].values[stopped] == -1)
    # Same seed, different chunking: identical, predictive draws included.
    again = simulate(
        design,
        Scenario.fixed(median=10, hazard_ratio=1.0),
        n_trials=600,
        seed=8,
        progress=False,
        chunk_size=250,
    )
    assert np.array_equal(
        again.trials["predictive_probability"].values,
        t["predictive_probability"].values,
        equal_nan=True,
    )


def test_predictive_rule_is_not_allowed_at_the_final_analysis():
    with pytest.raises(SpecError, match=r"success\[1\].*predictive"):
        TrialDesign(
            control="C",
            treatment="T",
            n_patients=100,
            accrual=Accrual(duration=12),
            analyses=[Analysis(events=30), Analysis(events=60)],
            success=PredictiveProbability(">", threshold=0.9),
        )
