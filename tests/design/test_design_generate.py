"""Vectorised trial generation: accrual, randomization, event times, cuts and sufficient statistics.

Distribution checks use Kolmogorov-Smirnov tests at a declared alpha of 1e-4 (false-failure rate).
"""

import math

import numpy as np
import pytest
from scipy import stats

from bayeshcc._random import BlockRNG
from bayeshcc.design import Accrual, Analysis, Dropout, PosteriorProbability, Scenario, TrialDesign
from bayeshcc.design.generate import (
    analysis_times,
    assign_arms,
    entry_times,
    generate,
    invert_accrual,
    look_data,
)
from bayeshcc.models import PiecewiseExponential
from bayeshcc.piecewise import cumulative_hazard_at as cumulative_hazard
from bayeshcc.piecewise import inverse_cumulative_hazard as piecewise_inverse

ALPHA = 1e-4
RULE = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)


def rng(n_trials: int, seed: int = 1) -> BlockRNG:
    return BlockRNG([np.random.default_rng(seed)], [n_trials])


def make_design(**kw) -> TrialDesign:
    args = dict(
        control="C",
        treatment="T",
        n_patients=60,
        accrual=Accrual(duration=12),
        analyses=[Analysis(events=20), Analysis(events=40)],
        success=RULE,
    )
    args.update(kw)
    return TrialDesign(**args)


def test_uniform_accrual_is_sorted_and_uniform():
    entry = entry_times(Accrual(duration=24), 50, rng(400))
    assert np.all(np.diff(entry, axis=1) >= 0)
    assert entry.min() >= 0 and entry.max() <= 24
    assert stats.kstest(entry.ravel(), stats.uniform(0, 24).cdf).pvalue > ALPHA


def test_rate_accrual_with_ramp_up_is_a_poisson_process():
    acc = Accrual(rate=[2.0, 6.0], cutpoints=[0, 10], ramp_up=4.0)

    def cum_rate(t):  # linear ramp to 2/month over 4 months, then 2/month, then 6/month from 10
        return np.where(t < 4, t**2 / 4, np.where(t < 10, 4 + 2 * (t - 4), 16 + 6 * (t - 10)))

    t = np.array([0.0, 1.0, 3.9, 4.0, 7.0, 10.0, 12.5, 30.0])
    assert invert_accrual(acc, cum_rate(t)) == pytest.approx(t)
    entry = entry_times(acc, 30, rng(5000))
    # Lambda(T_k) is Gamma(k, 1) for a Poisson process.
    assert stats.kstest(cum_rate(entry[:, 0]), stats.expon.cdf).pvalue > ALPHA
    assert stats.kstest(cum_rate(entry[:, 29]), stats.gamma(30).cdf).pvalue > ALPHA
    assert acc.expected_time(30) == pytest.approx(invert_accrual(acc, np.array(30.0)))


@pytest.mark.parametrize(("allocation", "per_block"), [((1, 1), 1), ((1, 2), 2), ((2, 3), 3)])
def test_blocked_randomization_balances_each_block(allocation, per_block):
    d = make_design(allocation=allocation)
    size = sum(allocation)
    arms = assign_arms(d, size * 10, rng(300))
    assert np.all(arms.reshape(300, 10, size).sum(axis=2) == per_block)
    # Each position in a block is treatment with probability t / (c + t).
    assert arms[:, 0].mean() == pytest.approx(per_block / size, abs=4 * math.sqrt(0.25 / 300))


def test_simple_randomization_proportion():
    arms = assign_arms(make_design(allocation=(1, 3), randomization="simple"), 101, rng(400))
    n = arms.size
    assert arms.mean() == pytest.approx(0.75, abs=4 * math.sqrt(0.75 * 0.25 / n))


def test_piecewise_inverse_and_cumulative_hazard_are_inverse():
    cuts = np.array([0.0, 3.0, 9.0])
    haz = np.array([0.2, 0.0, 0.05])
    t = np.array([0.5, 3.0, 8.9, 9.0, 40.0])
    h = cumulative_hazard(t, cuts, haz)
    assert h == pytest.approx([0.1, 0.6, 0.6, 0.6, 0.6 + 0.05 * 31])
    back = piecewise_inverse(h[[0, 4]], cuts, haz)
    assert back == pytest.approx([0.5, 40.0])


def test_event_times_follow_the_piecewise_truth_with_cure():
    scenario = Scenario.fixed(
        hazards=[0.1, 0.03],
        cutpoints=[0, 6],
        hazard_ratio=[1.0, 0.5],
        cure_fraction={"control": 0.0, "treatment": 0.2},
    )
    d = make_design(n_patients=200)
    batch = generate(d, scenario, rng(100))
    t, tr = batch.event_time, batch.treated
    cuts, haz = np.asarray(scenario.cutpoints), scenario.hazards()
    ctrl = t[~tr]
    assert np.isfinite(ctrl).all()
    assert (
        stats.kstest(
            ctrl, lambda x: 1 - np.exp(-cumulative_hazard(np.asarray(x), cuts, haz[0]))
        ).pvalue
        > ALPHA
    )
    treat = t[tr]
    cured = ~np.isfinite(treat)
    assert cured.mean() == pytest.approx(0.2, abs=4 * math.sqrt(0.16 / treat.size))
    sick = treat[~cured]
    assert (
        stats.kstest(
            sick, lambda x: 1 - np.exp(-cumulative_hazard(np.asarray(x), cuts, haz[1]))
        ).pvalue
        > ALPHA
    )
    assert np.all(np.isinf(batch.dropout_time))


def test_dropout_is_exponential_per_arm():
    d = make_design(n_patients=200, dropout=Dropout(rate={"control": 0.02, "treatment": 0.05}))
    batch = generate(d, Scenario.fixed(median=10), rng(100))
    for arm, rate in ((False, 0.02), (True, 0.05)):
        x = batch.dropout_time[batch.treated == arm]
        assert stats.kstest(x, stats.expon(scale=1 / rate).cdf).pvalue > ALPHA


def test_event_triggered_looks_count_exactly_the_target():
    d = make_design(
        n_patients=100,
        dropout=Dropout(proportion=0.1, by=12),
        analyses=[
            Analysis(events=30),
            Analysis(patients=100, min_follow_up=6),
            Analysis(events=70, min_follow_up=3),
        ],
        analysis=PiecewiseExponential(cutpoints=[0, 4, 10]),
    )
    batch = generate(d, Scenario.fixed(median=8, hazard_ratio=0.7), rng(500))
    cuts = analysis_times(d, batch)
    assert np.all(np.diff(cuts, axis=1) >= 0)
    assert look_data(d, batch, cuts[:, 0]).total_events == pytest.approx(np.full(500, 30))
    assert np.all(cuts[:, 1] >= batch.entry[:, -1] + 6 - 1e-12)
    last = look_data(d, batch, cuts[:, 2]).total_events
    reached = cuts[:, 2] > batch.entry[:, -1] + 3
    assert np.all(last[reached] == 70) and np.all(last >= 70)


def test_look_data_matches_a_patient_by_patient_loop():
    d = make_design(
        n_patients=25,
        dropout=Dropout(rate=0.03),
        analysis=PiecewiseExponential(cutpoints=[0, 2, 5]),
        analyses=[Analysis(months=10)],
    )
    batch = generate(d, Scenario.fixed(median=6, hazard_ratio=0.6), rng(4, seed=3))
    cut = np.array([5.0, 10.0, 15.0, 30.0])
    data = look_data(d, batch, cut)
    edges = [0, 2, 5, math.inf]
    for i in range(4):
        events, exposure = np.zeros((2, 3)), np.zeros((2, 3))
        for p in range(25):
            follow = cut[i] - batch.entry[i, p]
            if follow < 0:
                continue
            t, dr = batch.event_time[i, p], batch.dropout_time[i, p]
            obs = min(t, dr, follow)
            arm = int(batch.treated[i, p])
            for j in range(3):
                exposure[arm, j] += min(max(obs - edges[j], 0), edges[j + 1] - edges[j])
                if t <= dr and t <= follow and edges[j] <= obs < edges[j + 1]:
                    events[arm, j] += 1
        assert data.events[i] == pytest.approx(events)
        assert data.exposure[i] == pytest.approx(exposure)
        assert data.enrolled[i] == (batch.entry[i] <= cut[i]).sum()


def test_a_redundant_cutpoint_leaves_event_times_unchanged():
    # Splitting a period into two with the same hazard is the same truth (piecewise inverse).
    e = np.random.default_rng(9).standard_exponential(1000)
    one = piecewise_inverse(e, np.array([0.0, 6.0]), np.array([0.1, 0.04]))
    two = piecewise_inverse(e, np.array([0.0, 2.5, 6.0]), np.array([0.1, 0.1, 0.04]))
    assert two == pytest.approx(one, rel=1e-12)
