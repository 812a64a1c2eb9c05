"""Vectorised generation of simulated trials: entry, randomization, event and dropout times, and the
per-arm, per-interval events and exposure at each analysis.

Arrays are ``(trial, patient)``; there is no Python loop over patients, only over the fixed-size
blocks of trials that carry their own random streams (so results do not depend on chunk size).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayeshcc._random import BlockRNG
from bayeshcc.design import _scratch
from bayeshcc.design._draws import draw
from bayeshcc.design.batch import LookData, TrialBatch
from bayeshcc.design.conduct import Accrual, Analysis
from bayeshcc.design.design_prior import TrialTruths
from bayeshcc.design.scenario import Scenario

if TYPE_CHECKING:
    from bayeshcc.design.trial import TrialDesign

__all__ = [
    "analysis_schedule",
    "analysis_times",
    "assign_arms",
    "entry_times",
    "generate",
    "invert_accrual",
    "look_data",
    "look_time",
]


def entry_times(accrual: Accrual, n: int, rng: BlockRNG) -> np.ndarray:
    """Sorted entry times (months), shape ``(trial, n)``."""
    gamma = draw(rng, "standard_exponential", n + 1)
    np.cumsum(gamma, axis=1, out=gamma)
    if accrual.duration is not None:
        entry = np.multiply(accrual.duration, gamma[:, :n], out=_scratch.empty((gamma.shape[0], n)))
        return np.divide(entry, gamma[:, n:], out=entry)
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
        first = draw(rng, "random", n_blocks) < 0.5
        return np.stack([first, ~first], axis=2).reshape(first.shape[0], -1)[:, :n]
    keys = rng.random(n_blocks, size)
    # The first t positions of each argsorted block are treatment: a random permutation.
    order = np.argsort(keys, axis=2)
    return (order < t).reshape(keys.shape[0], -1)[:, :n]


def generate(
    design: TrialDesign, scenario: Scenario, rng: BlockRNG, *, truth: TrialTruths | None = None
) -> TrialBatch:
    """Simulate the patients of a chunk of trials under ``scenario``: entry, arm and outcome.

    ``truth`` (from a design prior: :func:`~bayeshcc.design.design_prior.draw_truths`) gives each
    trial its own true parameters; without it every trial has the scenario's.
    """
    n = design.n_patients
    entry = entry_times(design.accrual, n, rng)
    treated = assign_arms(design, n, rng)
    outcomes = design.endpoint.outcomes(design, scenario if truth is None else truth, treated, rng)
    return TrialBatch(entry, treated, **outcomes)


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
    cal = batch.calendar_event()
    part = _scratch.empty(cal.shape)
    np.copyto(part, cal)
    part.sort(axis=1)  # numpy's SIMD sort beats partition at these sizes
    return {x: part[:, x - 1].copy() for x in targets}


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
    if a.max_months is not None:  # N events or month M, whichever comes first
        reached = reached & (cut <= a.max_months)
        cut = np.minimum(cut, a.max_months)
    return cut, reached


def look_data(
    design: TrialDesign,
    batch: TrialBatch,
    cut: np.ndarray,
    analysis: Analysis | None = None,
    *,
    keep_patients: bool = False,
) -> LookData:
    """Sufficient statistics at calendar time ``cut`` (one per trial), by the design's endpoint.

    Survival: events and exposure by arm and analysis interval; response: evaluable patients
    (``analysis.min_follow_up`` after entry) and responders by arm.
    """
    return design.endpoint.look_data(design, batch, cut, analysis, keep_patients=keep_patients)
