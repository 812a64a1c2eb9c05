"""Array kernels of the survival endpoint: patient outcomes and the sufficient statistics at a look.

Written for throughput (the simulator spends most of its time here): arrays are ``(trial,
patient)``, drawn block by block in place (:func:`~bayeshcc.design._draws.draw`), and per-arm values
are picked by indexing rather than ``np.where`` on scalars (several times slower in numpy). Every
value is computed by the same floating-point operations as the plain expressions in the comments,
so results are identical bit for bit.
"""

from __future__ import annotations

import numpy as np

from bayeshcc import piecewise
from bayeshcc.design import _scratch
from bayeshcc.design._draws import draw
from bayeshcc.design.batch import LookData, TrialBatch

__all__ = ["arm_interval_sums", "by_arm", "count_true", "survival_look", "survival_outcomes"]


def by_arm(treated: np.ndarray, values: np.ndarray, *, per_trial: bool = False) -> np.ndarray:
    """Each patient's value of its arm: ``np.where(treated, values[1], values[0])``.

    Parameters
    ----------
    treated : ndarray of bool, shape (trial, patient)
    values : array_like
        Shape ``(arm,)``, the same in every trial, or with ``per_trial`` ``(trial, arm)``, each
        trial's own; or either with trailing dimensions (e.g. periods).
    per_trial : bool, default False

    Returns
    -------
    ndarray
        Shape ``(trial, patient, ...)``.
    """
    values = np.asarray(values, dtype=float)
    arm = treated.view(np.uint8) if treated.dtype == np.bool_ else treated.astype(np.intp)
    if per_trial:
        m = treated.shape[0]
        flat = values.reshape(2 * m, *values.shape[2:])
        index = np.add(arm, 2 * np.arange(m)[:, None], out=_scratch.empty(arm.shape, np.intp))
        arm = index
    else:
        flat = values
    if flat.ndim > 1:  # trailing dimensions: plain indexing
        return flat[arm]
    return np.take(flat, arm, out=_scratch.empty(arm.shape), mode="clip")


def count_true(flags: np.ndarray) -> np.ndarray:
    """True values along the last axis, as int64 (summed as bytes: twice as fast as bool.sum)."""
    if flags.dtype != np.bool_ or flags.shape[-1] >= 2**31:
        return flags.sum(axis=-1)
    return flags.view(np.uint8).sum(axis=-1, dtype=np.int32).astype(np.int64)


def survival_outcomes(design, truth, treated: np.ndarray, rng) -> dict[str, np.ndarray]:
    """Event and dropout times from entry, shape ``(trial, patient)`` (``inf``: cured, no dropout).

    ``truth`` has ``cutpoints``, ``hazards()`` (``(arm, period)`` or ``(trial, arm, period)``) and
    ``cure_fraction``; the draws are unit exponentials for the events, uniforms for cure (if any),
    unit exponentials for dropout (if any), in that order.
    """
    n = design.n_patients
    cuts = np.asarray(truth.cutpoints)
    haz = np.asarray(truth.hazards())
    per_trial = haz.ndim == 3  # a design prior: each trial's own hazards
    e = draw(rng, "standard_exponential", n)
    if len(cuts) == 1:
        # e / hazard of the patient's arm, in place
        t = np.divide(e, by_arm(treated, haz[..., 0], per_trial=per_trial), out=e)
    else:
        t = piecewise.inverse_cumulative_hazard(e, cuts, by_arm(treated, haz, per_trial=per_trial))
    cure = truth.cure_fraction
    if any(cure):
        cured = draw(rng, "random", n) < by_arm(treated, np.asarray(cure, dtype=float))
        t[cured] = np.inf
    if design.dropout is not None and any(design.dropout.rate):
        d = draw(rng, "standard_exponential", n)
        with np.errstate(divide="ignore"):
            np.divide(d, by_arm(treated, np.asarray(design.dropout.rate, dtype=float)), out=d)
    else:
        d = _scratch.full(t.shape, np.inf)
    return {"event_time": t, "dropout_time": d}


def survival_look(
    batch: TrialBatch, cut: np.ndarray, cutpoints: np.ndarray, *, keep_patients: bool = False
) -> LookData:
    """Events and exposure by arm and analysis interval at calendar time ``cut`` (one per trial)."""
    cut_ = cut[..., None]
    shape = batch.entry.shape
    enrolled = np.less_equal(batch.entry, cut_, out=_scratch.empty(shape, bool))
    n_enrolled = count_true(enrolled)
    tr = batch.treated
    # obs = clip(min(min(t, d), cut - entry), 0): follow-up until the event, dropout or the cut
    obs = np.subtract(cut_, batch.entry, out=_scratch.empty(shape))
    np.minimum(batch.observed_time(), obs, out=obs)
    np.maximum(obs, np.zeros((1, shape[-1])), out=obs)  # a zero row: numpy is slower with a scalar
    # An event is counted when its calendar time entry + t (as the event-driven cut was computed,
    # so the event that triggers a look is in it despite rounding) is at most the cut; entry <= cut
    # follows, as t >= 0.
    event = np.less_equal(batch.calendar_event(), cut_, out=_scratch.empty(shape, bool))
    patients = (obs, event, tr, enrolled) if keep_patients else None
    events, exposure = arm_interval_sums(obs, event, tr, cutpoints)
    return LookData(n_enrolled, events=events, exposure=exposure, patients=patients)


def arm_interval_sums(
    obs: np.ndarray, event: np.ndarray, treated: np.ndarray, cutpoints: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Events and exposure by arm and analysis interval, summed over the last (patient) axis.

    Parameters
    ----------
    obs : ndarray
        Each patient's follow-up (0 for patients who do not count).
    event : ndarray of bool
        Whether the patient's event is observed.
    treated : ndarray of bool
        Broadcasts with ``obs``.
    cutpoints : ndarray

    Returns
    -------
    events, exposure : ndarray
        Shape ``(..., arm, interval)``, arm 0 control and 1 treatment; events as floats.
    """
    shape = obs.shape
    if len(cutpoints) == 1:
        ev_t = count_true(np.logical_and(event, treated, out=_scratch.empty(shape, bool)))
        ev_all = count_true(event)
        # the same sums as np.where(treated, obs, 0).sum(-1)
        ex_t = np.multiply(obs, treated, out=_scratch.empty(shape)).sum(-1)
        ex_all = obs.sum(-1)
        events = np.stack([ev_all - ev_t, ev_t], -1)[..., None].astype(float)
        return events, np.stack([ex_all - ex_t, ex_t], -1)[..., None]
    ex = piecewise.overlap(cutpoints, np.zeros_like(obs), obs)  # (..., patient, interval)
    interval = np.searchsorted(cutpoints, obs, side="right") - 1
    ev = event[..., None] & (interval[..., None] == np.arange(len(cutpoints)))
    ev_t, ex_t = (ev & treated[..., None]).sum(-2), (ex * treated[..., None]).sum(-2)
    events = np.stack([ev.sum(-2) - ev_t, ev_t], axis=-2).astype(float)
    return events, np.stack([ex.sum(-2) - ex_t, ex_t], axis=-2)
