"""The final analysis of running survival trials continued from posterior draws (predictive probability).

What is known at the current look is summarised once per trial: the events seen and the exposure
of patients whose follow-up is over (event seen, or dropped out), by arm and analysis interval. Only
the other patients (at risk, or not yet enrolled) are simulated, once per posterior draw: residual
event and dropout times from the drawn hazards (memoryless within intervals), the final look's
calendar time from its trigger, and their events and exposure at it. Arrays are ``(trial, draw,
open patient)``, padded to the most open patients of a trial in the batch.
"""

from __future__ import annotations

import numpy as np

from bayeshcc import piecewise
from bayeshcc.design import _scratch
from bayeshcc.design._survival_arrays import arm_interval_sums, count_true
from bayeshcc.design.batch import DesignLike, LookData, TrialBatch

__all__ = ["survival_final_data"]


def survival_final_data(
    design: DesignLike,
    batch: TrialBatch,
    cut: np.ndarray,
    params: np.ndarray,
    rng: np.random.Generator,
    cutpoints: np.ndarray,
) -> LookData:
    """Sufficient statistics at the final look of each continued trial, one per ``(trial, draw)``.

    Parameters
    ----------
    design : TrialDesign
    batch : TrialBatch
        The running trials, ``(trial, patient)``.
    cut : ndarray
        Calendar time of the current look, per trial.
    params : ndarray, shape (trial, draw, arm, interval)
        Posterior draws of each arm's hazards on the analysis model's intervals.
    rng : numpy.random.Generator
    cutpoints : ndarray
        The analysis model's interval starts.

    Returns
    -------
    LookData
        ``events`` and ``exposure`` of shape ``(trial * draw, arm, interval)``, trial-major.

    Notes
    -----
    The open patients of a trial are laid out control first, then treatment, each arm in entry
    order and padded (entry ``inf``) to the most open patients of that arm in the batch, so every
    arm is a slice with one drawn hazard per ``(trial, draw)``. With one interval, the time to the
    first of event and dropout is drawn as one exponential with rate :math:`h + \\delta` and the
    event indicator as a Bernoulli(:math:`h/(h + \\delta)`) (competing exponential risks), which
    has the same joint distribution as two independent exponential times.
    """
    m, draws, k = batch.n_trials, params.shape[1], len(cutpoints)
    cut_ = cut[:, None]
    follow = cut_ - batch.entry
    seen = batch.calendar_event() <= cut_  # the event is seen by the cut
    dropped = (batch.dropout_time < batch.event_time) & (batch.dropout_time <= follow)
    closed = seen | dropped
    known_events, known_exposure = arm_interval_sums(
        np.where(closed, batch.observed_time(), 0.0), seen, batch.treated, cutpoints
    )
    entry, start, arms = _open_patients(batch, closed, follow)
    shape = (m, draws, entry.shape[1])
    drop = design.dropout.rate if design.dropout is not None else (0.0, 0.0)
    obs_full, event = _residual_times(params, start, arms, drop, rng, cutpoints, shape)
    cal = np.add(obs_full, entry[:, None, :], out=_scratch.empty(shape))
    np.putmask(cal, ~event, np.inf)  # calendar time of each observed event
    fc = _final_cut(design, batch, entry, obs_full, cal, cut, np.count_nonzero(seen, axis=1))[..., None]
    obs = np.subtract(fc, entry[:, None, :], out=_scratch.empty(shape))
    np.minimum(obs_full, obs, out=obs)
    np.maximum(obs, np.zeros((1, 1, shape[2])), out=obs)  # numpy is slower with a scalar 0
    counted = np.less_equal(cal, fc, out=_scratch.empty(shape, bool))
    events = np.empty((m, draws, 2, k))
    exposure = np.empty((m, draws, 2, k))
    enrolled = np.repeat(np.count_nonzero(closed, axis=1)[:, None], draws, axis=1)
    for a, sl in enumerate(arms):
        events[:, :, a], exposure[:, :, a] = _interval_sums(obs[..., sl], counted[..., sl], cutpoints)
        for i in range(m):  # entries are sorted within an arm, pads (inf) last
            enrolled[i] += np.searchsorted(entry[i, sl], fc[i, :, 0], side="right")
    events += known_events[:, None]
    exposure += known_exposure[:, None]
    return LookData(enrolled.reshape(-1), events=events.reshape(-1, 2, k), exposure=exposure.reshape(-1, 2, k))


def _open_patients(
    batch: TrialBatch, closed: np.ndarray, follow: np.ndarray
) -> tuple[np.ndarray, np.ndarray, tuple[slice, slice]]:
    """Entry times and follow-up so far of each trial's open patients, ``(trial, open patient)``:
    the control arm's, then the treatment arm's (``arms``: their slices), padded with entry ``inf``."""
    parts, widths = [], []
    for treated in (False, True):
        is_open = ~closed & (batch.treated == treated)
        count = np.count_nonzero(is_open, axis=1)
        width = max(int(count.max(initial=0)), 1)
        order = np.argsort(~is_open, axis=1, kind="stable")[:, :width]
        pad = np.arange(width) >= count[:, None]
        entry = np.where(pad, np.inf, np.take_along_axis(batch.entry, order, 1))
        start = np.where(pad, 0.0, np.maximum(np.take_along_axis(follow, order, 1), 0.0))
        parts.append((entry, start))
        widths.append(width)
    arms = (slice(0, widths[0]), slice(widths[0], widths[0] + widths[1]))
    return (np.concatenate([p[0] for p in parts], axis=1), np.concatenate([p[1] for p in parts], axis=1), arms)


def _residual_times(params, start, arms, drop, rng, cutpoints, shape) -> tuple[np.ndarray, np.ndarray]:
    """Time from entry to the first of event and dropout, and whether it is the event, per
    ``(trial, draw, open patient)``: residual times from ``start`` under each draw's hazards."""
    k = len(cutpoints)
    first = rng.standard_exponential(out=_scratch.empty(shape))
    event = _scratch.empty(shape, bool)
    if k == 1:
        u = rng.random(out=_scratch.empty(shape)) if any(drop) else None
        for a, sl in enumerate(arms):
            h = params[:, :, a, 0][..., None]  # (trial, draw, 1)
            total = h + drop[a]
            np.divide(first[..., sl], total, out=first[..., sl])
            if u is None:
                event[..., sl] = True
            else:  # event first with probability h / (h + dropout rate)
                np.less(np.multiply(u[..., sl], total, out=u[..., sl]), h, out=event[..., sl])
        first += start[:, None, :]
        return first, event
    d = rng.standard_exponential(out=_scratch.empty(shape)) if any(drop) else None
    for a, sl in enumerate(arms):
        haz = params[:, :, a, :][:, :, None, :]  # (trial, draw, 1, interval)
        h0 = piecewise.cumulative_hazard_at(start[:, None, sl], cutpoints, haz)
        first[..., sl] = piecewise.inverse_cumulative_hazard(h0 + first[..., sl], cutpoints, haz)
        if d is not None:
            with np.errstate(divide="ignore"):
                np.divide(d[..., sl], drop[a], out=d[..., sl])
            d[..., sl] += start[:, None, sl]
    if d is None:
        event[...] = True
        return first, event
    np.less_equal(first, d, out=event)
    return np.minimum(first, d, out=first), event


def _interval_sums(obs: np.ndarray, event: np.ndarray, cutpoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Events and exposure by analysis interval, summed over the last (patient) axis: ``(..., interval)``."""
    k = len(cutpoints)
    if k == 1:
        return count_true(event)[..., None].astype(float), obs.sum(axis=-1)[..., None]
    exposure = piecewise.overlap(cutpoints, np.zeros_like(obs), obs).sum(axis=-2)
    interval = np.searchsorted(cutpoints, obs, side="right") - 1
    events = np.stack([np.count_nonzero(event & (interval == j), axis=-1) for j in range(k)], axis=-1)
    return events.astype(float), exposure


def _final_cut(design, batch, entry, obs_full, cal, cut, n_seen) -> np.ndarray:
    """Calendar time of the final look of each continued trial, ``(trial, draw)``: its own trigger
    (as :func:`~bayeshcc.design.generate.look_time` computes it), and not before the current look."""
    a = design.analyses[-1]
    m, draws, width = cal.shape
    last_entry = batch.entry[:, -1][:, None]
    if a.trigger == "months":
        return np.maximum(float(a.months), cut[:, None]) * np.ones((1, draws))
    if a.trigger == "patients":
        return np.broadcast_to(np.maximum(batch.entry[:, a.patients - 1] + a.min_follow_up, cut)[:, None], (m, draws))
    # The target's event among the open patients (every seen event came before the cut).
    need = a.events - n_seen
    trigger = np.full((m, draws), np.inf)
    work = _scratch.empty((draws, width))
    for i in range(m):
        if need[i] <= 0:  # reached by the current look
            trigger[i] = -np.inf
        elif need[i] <= width:
            np.copyto(work, cal[i])
            work.partition(need[i] - 1, axis=-1)
            trigger[i] = work[:, need[i] - 1]
    short = np.isinf(trigger) & (trigger > 0)
    if short.any():  # target never reached: once every outcome is known
        rows = np.nonzero(short)
        cal_obs = entry[rows[0]] + obs_full[rows]
        done = np.max(np.where(np.isfinite(cal_obs), cal_obs, -np.inf), axis=-1)
        trigger[rows] = np.maximum(done, last_entry[rows[0], 0])
    if a.min_follow_up:
        trigger = np.maximum(trigger, last_entry + a.min_follow_up)
    if a.max_months is not None:
        trigger = np.minimum(trigger, a.max_months)
    return np.maximum(trigger, cut[:, None])
