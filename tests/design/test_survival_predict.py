"""Continuing running survival trials for predictive probabilities (open patients only, by arm).

Checked against the patient-level continuation it replaced (every patient of every (trial, draw),
written out plainly below): the final look's events, exposure and enrolment have the same
distribution (means within 4.5 Monte Carlo standard errors, for each of 4 trials, arm and analysis
interval), and where the final target is already reached, the final data are the current look's exactly.
"""

import numpy as np
import pytest

from bayeshcc import piecewise
from bayeshcc._random import BlockRNG
from bayeshcc.design import Accrual, Analysis, Dropout, PosteriorProbability, Scenario, TrialDesign
from bayeshcc.design.batch import TrialBatch
from bayeshcc.design.generate import analysis_times, generate, look_data, look_time
from bayeshcc.models import PiecewiseExponential

RULE = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)


def design(**kw) -> TrialDesign:
    args = dict(
        control="C", treatment="T", n_patients=150, accrual=Accrual(duration=24),
        dropout=Dropout(proportion=0.2, by=12), analyses=[Analysis(events=45), Analysis(events=90)],
        success=RULE,
    )
    args.update(kw)
    return TrialDesign(**args)


def patient_level(d: TrialDesign, batch: TrialBatch, cut, params, rng):
    """Every patient of every (trial, draw): the final look cut by its trigger, as for a new trial."""
    m, n = batch.entry.shape
    draws = params.shape[1]
    follow = cut[:, None] - batch.entry
    enrolled = batch.entry <= cut[:, None]
    tr = batch.treated[:, None, :]
    t, dr = batch.event_time, batch.dropout_time
    seen = enrolled & (t <= dr) & (batch.entry + t <= cut[:, None])
    dropped = enrolled & (dr < t) & (dr <= follow)
    open_ = ~(seen | dropped)
    start = np.where(enrolled & open_, follow, 0.0)
    cuts = np.asarray(d.analysis.cutpoints, float)
    haz = np.where(tr[..., None], params[:, :, None, 1, :], params[:, :, None, 0, :])
    h0 = piecewise.cumulative_hazard_at(start[:, None, :], cuts, haz)
    t_new = piecewise.inverse_cumulative_hazard(h0 + rng.standard_exponential((m, draws, n)), cuts, haz)
    if d.dropout is not None:
        rate = np.where(tr, d.dropout.rate[1], d.dropout.rate[0])
        d_new = start[:, None, :] + rng.standard_exponential((m, draws, n)) / rate
    else:
        d_new = np.full((m, draws, n), np.inf)
    rep = (m * draws, n)
    future = TrialBatch(
        np.broadcast_to(batch.entry[:, None, :], (m, draws, n)).reshape(rep),
        np.broadcast_to(tr, (m, draws, n)).reshape(rep),
        np.where(open_[:, None, :], t_new, np.where(seen, t, np.inf)[:, None, :]).reshape(rep),
        np.where(open_[:, None, :], d_new, np.where(dropped, dr, np.inf)[:, None, :]).reshape(rep),
    )
    final = len(d.analyses) - 1
    final_cut = np.maximum(look_time(d, future, final), np.repeat(cut, draws))
    return look_data(d, future, final_cut, d.analyses[final])


def running_trials(d: TrialDesign, scenario: Scenario, m: int = 4):
    batch = generate(d, scenario, BlockRNG([np.random.default_rng(7)], [m]))
    cut = analysis_times(d, batch)[:, 0]
    k = len(d.analysis.cutpoints)
    # Hazards near the truth, different by trial and draw (as posterior draws would be).
    h = np.asarray(scenario.hazards())[:, 0]  # (arm,)
    spread = np.exp(np.random.default_rng(8).normal(0, 0.15, size=(m, 3000, 2, k)))
    return batch, cut, h[None, None, :, None] * spread


CASES = {
    "exponential, dropout": design(),
    "piecewise analysis": design(analysis=PiecewiseExponential(cutpoints=[0, 6, 12])),
    "no dropout, follow-up": design(
        dropout=None, analyses=[Analysis(events=45), Analysis(events=90, min_follow_up=18)]
    ),
    "calendar final": design(analyses=[Analysis(events=45), Analysis(months=36)]),
    "piecewise, calendar final": design(
        analysis=PiecewiseExponential(cutpoints=[0, 6, 12]), analyses=[Analysis(events=45), Analysis(months=36)]
    ),
    "capped final": design(analyses=[Analysis(events=45), Analysis(events=100, max_months=30)]),
    "patients final": design(analyses=[Analysis(events=45), Analysis(patients=150, min_follow_up=6)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_final_data_has_the_distribution_of_the_patient_level_continuation(name):
    d = CASES[name]
    batch, cut, params = running_trials(d, Scenario.fixed(median=12, hazard_ratio=0.7))
    m, draws = params.shape[:2]
    new = d.endpoint.final_data(d, batch, cut, 0, params, np.random.default_rng(1))
    old = patient_level(d, batch, cut, params, np.random.default_rng(2))
    for stat in ("events", "exposure"):  # by arm and analysis interval
        a = getattr(new, stat).reshape(m, draws, -1)
        b = getattr(old, stat).reshape(m, draws, -1)
        se = np.sqrt((a.var(1) + b.var(1)) / draws)
        assert np.all(np.abs(a.mean(1) - b.mean(1)) <= 4.5 * np.maximum(se, 1e-9)), stat
    a, b = new.enrolled.reshape(m, draws), old.enrolled.reshape(m, draws)
    se = np.sqrt((a.var(1) + b.var(1)) / draws)
    assert np.all(np.abs(a.mean(1) - b.mean(1)) <= 4.5 * np.maximum(se, 1e-9))


def test_a_final_target_already_reached_analyses_the_current_data():
    # By month 40 more than 30 events have happened: the final look is now, whatever the draws.
    d = design(analyses=[Analysis(months=40), Analysis(events=30)])
    batch, cut, params = running_trials(d, Scenario.fixed(median=12, hazard_ratio=0.7))
    now = look_data(d, batch, cut, d.analyses[0])
    assert np.all(now.total_events > 30)
    final = d.endpoint.final_data(d, batch, cut, 0, params[:, :5], np.random.default_rng(1))
    np.testing.assert_array_equal(final.events, np.repeat(now.events, 5, axis=0))
    np.testing.assert_allclose(final.exposure, np.repeat(now.exposure, 5, axis=0), rtol=1e-12)
    np.testing.assert_array_equal(final.enrolled, np.repeat(now.enrolled, 5))
