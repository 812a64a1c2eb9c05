"""Vectorised generation of simulated trials: entry, randomization, event and dropout times, and the
per-arm, per-interval events and exposure at each analysis.

Arrays are ``(trial, patient)``; there is no Python loop over patients, only over the fixed-size
blocks of trials that carry their own random streams (so results do not depend on chunk size).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayeshcc.design.design import Accrual, Analysis, Scenario, TrialDesign

#: Trials per random stream. Results are identical for any chunk size that is a multiple of it.
TRIALS_PER_STREAM = 250


class BlockRNG:
    """Random draws for a chunk of trials, each block of trials from its own generator.

    Every draw is made block by block with shape ``(block size, *shape)`` and concatenated along the
    trial axis, so a trial's numbers depend only on its block's stream and the order of calls.
    """

    def __init__(self, generators: list[np.random.Generator], sizes: list[int]) -> None:
        self.generators = generators
        self.sizes = sizes

    def __getattr__(self, method: str):
        def draw(*shape: int, **kwargs) -> np.ndarray:
            return np.concatenate(
                [
                    getattr(g, method)(size=(s, *shape), **kwargs)
                    for g, s in zip(self.generators, self.sizes, strict=True)
                ]
            )

        return draw


def entry_times(accrual: Accrual, n: int, rng: BlockRNG) -> np.ndarray:
    """Sorted entry times (months), shape ``(trial, n)``."""
    gamma = np.cumsum(rng.standard_exponential(n + 1), axis=1)
    if accrual.duration is not None:
        return accrual.duration * gamma[:, :n] / gamma[:, n:]
    return invert_accrual(accrual, gamma[:, :n])


def invert_accrual(accrual: Accrual, y: np.ndarray) -> np.ndarray:
    """Invert the cumulative accrual rate: the time t with Lambda(t) = y."""
    breaks, a, b = accrual.segments()
    widths = np.diff(breaks)
    mass = a[:-1] * widths + b[:-1] / 2 * (breaks[1:] ** 2 - breaks[:-1] ** 2)
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    k = np.searchsorted(cum, y, side="right") - 1
    t0, rest, ak, bk = breaks[k], y - cum[k], a[k], b[k]
    with np.errstate(divide="ignore", invalid="ignore"):
        linear = t0 + rest / np.where(ak > 0, ak, np.inf)
        quad = np.sqrt(t0**2 + 2 * rest / np.where(bk > 0, bk, np.inf))
    return np.where(bk > 0, quad, linear)


def assign_arms(design: TrialDesign, n: int, rng: BlockRNG) -> np.ndarray:
    """Treatment indicator, shape ``(trial, n)`` (True = treatment)."""
    c, t = design.allocation
    if design.randomization == "simple":
        return rng.random(n) < t / (c + t)
    size = c + t
    n_blocks = -(-n // size)
    if size == 2:
        first = rng.random(n_blocks) < 0.5
        return np.stack([first, ~first], axis=2).reshape(first.shape[0], -1)[:, :n]
    keys = rng.random(n_blocks, size)
    # The first t positions of each argsorted block are treatment: a random permutation.
    order = np.argsort(keys, axis=2)
    return (order < t).reshape(keys.shape[0], -1)[:, :n]


def piecewise_inverse(target: np.ndarray, cutpoints: np.ndarray, hazards: np.ndarray) -> np.ndarray:
    """Time at which the cumulative hazard reaches ``target``.

    ``hazards`` has shape ``(..., J)`` broadcasting against ``target[..., None]``.
    """
    if len(cutpoints) == 1:
        with np.errstate(divide="ignore"):
            return target / hazards[..., 0]
    widths = np.diff(np.append(cutpoints, np.inf))
    with np.errstate(invalid="ignore"):
        cum = np.cumsum(hazards[..., :-1] * widths[:-1], axis=-1)
    cum = np.concatenate([np.zeros(cum.shape[:-1] + (1,)), cum], axis=-1)
    j = (target[..., None] >= cum).sum(axis=-1) - 1
    hj = np.take_along_axis(
        np.broadcast_to(hazards, j.shape + hazards.shape[-1:]), j[..., None], -1
    )[..., 0]
    cj = np.take_along_axis(np.broadcast_to(cum, j.shape + cum.shape[-1:]), j[..., None], -1)[
        ..., 0
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = cutpoints[j] + (target - cj) / hj
    return np.where(hj > 0, t, np.inf)


def cumulative_hazard(t: np.ndarray, cutpoints: np.ndarray, hazards: np.ndarray) -> np.ndarray:
    """H(t) for piecewise-constant ``hazards`` (shape ``(..., J)`` broadcasting with ``t[..., None]``)."""
    widths = np.diff(np.append(cutpoints, np.inf))
    inside = np.clip(t[..., None] - cutpoints, 0.0, widths)
    return (inside * hazards).sum(axis=-1)


@dataclass
class TrialBatch:
    """Patient-level simulated trials, shape ``(trial, patient)``; entry sorted within a trial."""

    entry: np.ndarray
    treated: np.ndarray
    event_time: np.ndarray | None = None  # time from entry to event (inf: cured)
    dropout_time: np.ndarray | None = None  # time from entry to dropout (inf: none)
    response: np.ndarray | None = None

    @property
    def n_trials(self) -> int:
        return self.entry.shape[0]


def generate(design: TrialDesign, scenario: Scenario, rng: BlockRNG) -> TrialBatch:
    """Simulate patients of a chunk of trials under ``scenario``."""
    n = design.n_patients
    entry = entry_times(design.accrual, n, rng)
    treated = assign_arms(design, n, rng)
    if design.endpoint == "response":
        p = np.where(treated, scenario.response_rates[1], scenario.response_rates[0])
        return TrialBatch(entry, treated, response=rng.random(n) < p)
    cuts = np.asarray(scenario.cutpoints)
    haz = scenario.hazards()
    e = rng.standard_exponential(n)
    if len(cuts) == 1:
        t = e / np.where(treated, haz[1, 0], haz[0, 0])
    else:
        t = np.where(
            treated, piecewise_inverse(e, cuts, haz[1]), piecewise_inverse(e, cuts, haz[0])
        )
    cure = scenario.cure_fraction
    if any(cure):
        cured = rng.random(n) < np.where(treated, cure[1], cure[0])
        t = np.where(cured, np.inf, t)
    if design.dropout is not None and any(design.dropout.rate):
        rate = np.where(treated, design.dropout.rate[1], design.dropout.rate[0])
        with np.errstate(divide="ignore"):
            d = rng.standard_exponential(n) / rate
    else:
        d = np.full_like(t, np.inf)
    return TrialBatch(entry, treated, event_time=t, dropout_time=d)


def analysis_times(design: TrialDesign, batch: TrialBatch) -> np.ndarray:
    """Calendar time of each look, shape ``(trial, analysis)``, non-decreasing across looks."""
    return analysis_schedule(design, batch)[0]


def analysis_schedule(
    design: TrialDesign, batch: TrialBatch
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Look times and how each look's trigger was met, each of shape ``(trial, analysis)``.

    Returns
    -------
    times : ndarray
        Calendar time of each look, non-decreasing across looks (a look cannot come before the
        previous one).
    target_reached : ndarray of bool
        False where an event-triggered look's target was never reached: the look then happens once
        every outcome is known (see :func:`look_time`) and analyses fewer events than planned.
    delayed : ndarray of bool
        True where the previous look came after this look's own trigger, so the look was pushed
        later than its trigger (with mixed triggers, e.g. an event-driven interim that happens after
        a calendar-time final).
    """
    k_looks = len(design.analyses)
    times = np.empty((batch.n_trials, k_looks))
    reached = np.ones((batch.n_trials, k_looks), dtype=bool)
    delayed = np.zeros((batch.n_trials, k_looks), dtype=bool)
    kth = _event_order_statistics(design, batch, range(k_looks))
    for k in range(k_looks):
        cut, reached[:, k] = _trigger_time(design, batch, k, kth)
        if k:
            delayed[:, k] = times[:, k - 1] > cut
            cut = np.maximum(cut, times[:, k - 1])
        times[:, k] = cut
    return times, reached, delayed


def _event_order_statistics(design: TrialDesign, batch: TrialBatch, looks) -> dict[int, np.ndarray]:
    """Calendar time of the d-th event for every event target among ``looks`` (one partition)."""
    targets = sorted({design.analyses[k].events for k in looks if design.analyses[k].events})
    if not targets:
        return {}
    t, d = batch.event_time, batch.dropout_time
    cal_event = np.where(t <= d, batch.entry + t, np.inf)
    part = np.sort(cal_event, axis=1)  # numpy's SIMD sort beats partition at these sizes
    return {x: part[:, x - 1] for x in targets}


def look_time(
    design: TrialDesign, batch: TrialBatch, k: int, *, kth: dict | None = None
) -> np.ndarray:
    """Calendar time at which analysis ``k``'s trigger is met (before ordering across looks).

    An event target that is never reached (too few events ever occur in a trial: cure, dropout,
    or a target near the expected maximum) is analysed once every outcome is known: at the last
    event or dropout, or the last entry if later, plus ``min_follow_up``. The look then has fewer
    events than planned and comes later than a reachable target would have; the trial's duration
    is that of following every patient to their event or dropout.
    """
    if kth is None:
        kth = _event_order_statistics(design, batch, [k])
    return _trigger_time(design, batch, k, kth)[0]


def _trigger_time(
    design: TrialDesign, batch: TrialBatch, k: int, kth: dict
) -> tuple[np.ndarray, np.ndarray]:
    """Look ``k``'s own trigger time and whether its event target was reached, per trial."""
    a = design.analyses[k]
    entry = batch.entry
    reached = np.ones(entry.shape[0], dtype=bool)
    if a.trigger == "months":
        return np.full(entry.shape[0], a.months), reached
    if a.trigger == "patients":
        return entry[:, a.patients - 1] + a.min_follow_up, reached
    last_entry = entry[:, -1]
    cut = kth[a.events]
    short = ~np.isfinite(cut)
    if short.any():
        # Target not reached: the look happens once every outcome is known.
        t, d = batch.event_time[short], batch.dropout_time[short]
        cal_obs = entry[short] + np.minimum(t, d)
        done = np.max(np.where(np.isfinite(cal_obs), cal_obs, -np.inf), axis=1)
        cut = cut.copy()
        cut[short] = np.maximum(done, last_entry[short])
        reached = ~short
    if a.min_follow_up:
        cut = np.maximum(cut, last_entry + a.min_follow_up)
    return cut, reached


@dataclass
class LookData:
    """Sufficient statistics at one look for a set of trials.

    Survival: ``events`` and ``exposure`` of shape ``(trial, arm, interval)`` (arm 0 control, 1
    treatment). Response: ``evaluable`` and ``responders`` of shape ``(trial, arm)``. ``enrolled``
    is the number of patients entered by the look.
    """

    enrolled: np.ndarray
    events: np.ndarray | None = None
    exposure: np.ndarray | None = None
    evaluable: np.ndarray | None = None
    responders: np.ndarray | None = None
    patients: tuple[np.ndarray, ...] | None = None  # (time, event, treated, enrolled), for mcmc

    @property
    def total_events(self) -> np.ndarray:
        if self.events is not None:
            return self.events.sum(axis=(-1, -2))
        return self.responders.sum(axis=-1)


def look_data(
    design: TrialDesign,
    batch: TrialBatch,
    cut: np.ndarray,
    analysis: Analysis | None = None,
    *,
    keep_patients: bool = False,
) -> LookData:
    """Events and exposure by arm and analysis interval at calendar time ``cut`` (one per trial)."""
    follow = cut[..., None] - batch.entry
    enrolled = batch.entry <= cut[..., None]
    n_enrolled = enrolled.sum(axis=-1)
    tr = batch.treated
    if design.endpoint == "response":
        delay = analysis.min_follow_up if analysis is not None else 0.0
        # Same expression as the patients-triggered cut (entry + delay), so no rounding loss.
        ev = batch.entry + delay <= cut[..., None]
        ev_t, ev_all = (ev & tr).sum(-1), ev.sum(-1)
        r = ev & batch.response
        r_t, r_all = (r & tr).sum(-1), r.sum(-1)
        return LookData(
            n_enrolled,
            evaluable=np.stack([ev_all - ev_t, ev_t], -1),
            responders=np.stack([r_all - r_t, r_t], -1),
        )
    t, d = batch.event_time, batch.dropout_time
    obs = np.clip(np.minimum(np.minimum(t, d), follow), 0.0, None)
    # Compare calendar times exactly as the event-driven cut was computed (entry + t), so the
    # event that triggers a look is counted in it despite floating-point rounding.
    event = (t <= d) & (batch.entry + t <= cut[..., None]) & enrolled
    cuts = np.asarray(design.cutpoints)
    patients = (obs, event, tr, enrolled) if keep_patients else None
    if len(cuts) == 1:
        ev_t, ev_all = (event & tr).sum(-1), event.sum(-1)
        ex_t, ex_all = np.where(tr, obs, 0.0).sum(-1), obs.sum(-1)
        events = np.stack([ev_all - ev_t, ev_t], -1)[..., None]
        exposure = np.stack([ex_all - ex_t, ex_t], -1)[..., None]
        return LookData(
            n_enrolled, events=events.astype(float), exposure=exposure, patients=patients
        )
    widths = np.diff(np.append(cuts, np.inf))
    events = np.empty(obs.shape[:-1] + (2, len(cuts)))
    exposure = np.empty_like(events)
    j = np.searchsorted(cuts, obs, side="right") - 1
    for k in range(len(cuts)):
        ex = np.clip(obs - cuts[k], 0.0, widths[k])
        ev = event & (j == k)
        ev_t, ex_t = (ev & tr).sum(-1), np.where(tr, ex, 0.0).sum(-1)
        events[..., 0, k], events[..., 1, k] = ev.sum(-1) - ev_t, ev_t
        exposure[..., 0, k], exposure[..., 1, k] = ex.sum(-1) - ex_t, ex_t
    return LookData(n_enrolled, events=events, exposure=exposure, patients=patients)
