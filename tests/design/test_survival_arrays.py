"""The survival endpoint's fast array kernels give, bit for bit, what the plain numpy expressions give.

The kernels (in-place block draws, recycled buffers, indexing instead of ``np.where``) exist for
speed only; each test computes the same quantity the plain way from the same random streams.
"""

import numpy as np
import pytest

from bayeshcc import piecewise
from bayeshcc._random import BlockRNG
from bayeshcc.design import Accrual, Analysis, Dropout, PosteriorProbability, Scenario, TrialDesign
from bayeshcc.design._draws import draw
from bayeshcc.design._survival_arrays import by_arm
from bayeshcc.design.batch import TrialBatch, take
from bayeshcc.design.generate import analysis_schedule, entry_times, generate, look_data
from bayeshcc.models import PiecewiseExponential

RULE = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)


def block_rng(seed: int = 3) -> BlockRNG:
    # Three blocks of trials, each from its own stream (sizes as in a simulation's last chunk).
    return BlockRNG([np.random.default_rng(seed + i) for i in range(3)], [250, 250, 37])


def design(**kw) -> TrialDesign:
    args = dict(
        control="C", treatment="T", n_patients=121, accrual=Accrual(duration=24),
        dropout=Dropout(proportion=0.1, by=12), analyses=[Analysis(events=40), Analysis(events=80)],
        success=RULE,
    )
    args.update(kw)
    return TrialDesign(**args)


@pytest.mark.parametrize("method", ["standard_exponential", "random"])
def test_block_draws_into_one_array_equal_the_concatenated_draws(method):
    np.testing.assert_array_equal(draw(block_rng(), method, 7), getattr(block_rng(), method)(7))


def test_by_arm_equals_where():
    rng = np.random.default_rng(1)
    treated = rng.random((2, 5)) < 0.5
    np.testing.assert_array_equal(by_arm(treated, [0.1, 0.2]), np.where(treated, 0.2, 0.1))
    per_trial = rng.random((2, 2))  # two trials, two arms: must not be mistaken for (arm, period)
    np.testing.assert_array_equal(
        by_arm(treated, per_trial, per_trial=True), np.where(treated, per_trial[:, 1:], per_trial[:, :1])
    )
    periods = rng.random((2, 2, 3))  # (trial, arm, period)
    expected = np.where(treated[..., None], periods[:, None, 1], periods[:, None, 0])
    np.testing.assert_array_equal(by_arm(treated, periods, per_trial=True), expected)


def plain_outcomes(d: TrialDesign, scenario: Scenario, treated, rng: BlockRNG):
    # The plain expressions the kernels replace.
    cuts, haz = np.asarray(scenario.cutpoints), scenario.hazards()
    e = rng.standard_exponential(d.n_patients)
    if len(cuts) == 1:
        t = e / np.where(treated, haz[1, 0], haz[0, 0])
    else:
        inverse = piecewise.inverse_cumulative_hazard
        t = np.where(treated, inverse(e, cuts, haz[1]), inverse(e, cuts, haz[0]))
    cure = scenario.cure_fraction
    if any(cure):
        t = np.where(rng.random(d.n_patients) < np.where(treated, cure[1], cure[0]), np.inf, t)
    rate = np.where(treated, d.dropout.rate[1], d.dropout.rate[0])
    return t, rng.standard_exponential(d.n_patients) / rate


def plain_look(batch: TrialBatch, cut, cuts):
    follow = cut[:, None] - batch.entry
    enrolled = batch.entry <= cut[:, None]
    tr, t, d = batch.treated, batch.event_time, batch.dropout_time
    obs = np.clip(np.minimum(np.minimum(t, d), follow), 0.0, None)
    event = (t <= d) & (batch.entry + t <= cut[:, None]) & enrolled
    if len(cuts) == 1:
        ev_t, ev_all = (event & tr).sum(-1), event.sum(-1)
        ex_t, ex_all = np.where(tr, obs, 0.0).sum(-1), obs.sum(-1)
        return (enrolled.sum(-1), np.stack([ev_all - ev_t, ev_t], -1)[..., None].astype(float),
                np.stack([ex_all - ex_t, ex_t], -1)[..., None], obs, event)
    ex = piecewise.overlap(cuts, np.zeros_like(obs), obs)
    interval = np.searchsorted(cuts, obs, side="right") - 1
    ev = event[..., None] & (interval[..., None] == np.arange(len(cuts)))
    ev_t, ex_t = (ev & tr[..., None]).sum(-2), np.where(tr[..., None], ex, 0.0).sum(-2)
    return (enrolled.sum(-1), np.stack([ev.sum(-2) - ev_t, ev_t], axis=-2).astype(float),
            np.stack([ex.sum(-2) - ex_t, ex_t], axis=-2), obs, event)


@pytest.mark.parametrize(
    ("scenario", "cutpoints"),
    [
        (Scenario.fixed(median=12, hazard_ratio=0.7), [0]),
        (Scenario.fixed(hazards=[0.05, 0.1], cutpoints=[0, 6], hazard_ratio=[1, 0.6],
                        cure_fraction={"control": 0.1, "treatment": 0.2}), [0, 4, 10]),
    ],
)
def test_generation_and_look_data_are_the_plain_expressions_bit_for_bit(scenario, cutpoints):
    d = design(analysis=PiecewiseExponential(cutpoints=cutpoints))
    rng, ref = block_rng(), block_rng()
    batch = generate(d, scenario, rng)
    entry = entry_times(d.accrual, d.n_patients, ref)
    gamma = np.cumsum(block_rng().standard_exponential(d.n_patients + 1), axis=1)
    np.testing.assert_array_equal(entry, 24 * gamma[:, :-1] / gamma[:, -1:])
    np.testing.assert_array_equal(batch.entry, entry)
    treated = ref.random(d.n_patients // 2 + 1) < 0.5  # blocks of 2: the draw assign_arms makes
    treated = np.stack([treated, ~treated], axis=2).reshape(treated.shape[0], -1)[:, : d.n_patients]
    np.testing.assert_array_equal(batch.treated, treated)
    t, dropout = plain_outcomes(d, scenario, treated, ref)
    np.testing.assert_array_equal(batch.event_time, t)
    np.testing.assert_array_equal(batch.dropout_time, dropout)
    cuts = analysis_schedule(d, batch)[0]
    for k in range(2):
        enrolled, events, exposure, obs, event = plain_look(batch, cuts[:, k], np.asarray(cutpoints, float))
        data = look_data(d, batch, cuts[:, k], d.analyses[k], keep_patients=True)
        np.testing.assert_array_equal(data.enrolled, enrolled)
        np.testing.assert_array_equal(data.events, events)
        np.testing.assert_array_equal(data.exposure, exposure)
        np.testing.assert_array_equal(data.patients[0], obs)
        np.testing.assert_array_equal(data.patients[1], event)
    # A batch taken apart has its own derived arrays.
    part = take(batch, [3, 1])
    np.testing.assert_array_equal(part.calendar_event(), batch.calendar_event()[[3, 1]])


def test_design_prior_truths_give_each_trial_its_hazard():
    d = design()
    haz = np.array([[[0.05], [0.03]], [[0.05], [0.02]]])  # (trial, arm, period)

    class Truth:  # the TrialTruths interface: each trial's own hazards
        cutpoints, cure_fraction = (0.0,), (0.0, 0.0)

        def hazards(self):
            return np.repeat(haz, [250, 287], axis=0)

    out = d.endpoint.outcomes(d, Truth(), np.zeros((537, d.n_patients), bool) | (np.arange(121) % 2 == 1), block_rng())
    e = block_rng().standard_exponential(d.n_patients)
    h = np.where(np.arange(121) % 2 == 1, np.repeat(haz[:, 1], [250, 287], axis=0), np.repeat(haz[:, 0], [250, 287], axis=0))
    np.testing.assert_array_equal(out["event_time"], e / h)
