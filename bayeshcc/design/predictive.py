"""Predictive probability of final success: continue each running trial from its current posterior.

Used by :class:`~bayeshcc.design.rules.PredictiveProbability`; vectorised over (trial, draw, patient)
in sub-batches so memory stays bounded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayeshcc.design.generate import (
    TrialBatch,
    cumulative_hazard,
    look_data,
    look_time,
    piecewise_inverse,
)

if TYPE_CHECKING:
    from bayeshcc.design.design import TrialDesign
    from bayeshcc.design.engines import Engine, Posterior
    from bayeshcc.design.rules import Rule

_MAX_ELEMENTS = 2_000_000


class _FinalContext:
    def __init__(self, posterior: Posterior) -> None:
        self.posterior = posterior

    def predictive_success(self, rule, draws):  # pragma: no cover - validated away
        raise AssertionError("predictive rules cannot be nested")


def predictive_success(
    design: TrialDesign,
    engine: Engine,
    batch: TrialBatch,
    cut: np.ndarray,
    look: int,
    posterior: Posterior,
    rule: Rule,
    draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Probability, per trial in ``batch``, that the final analysis meets ``rule``.

    ``batch``, ``cut`` and ``posterior`` hold the same trials (those still running at ``look``).
    """
    m, n = batch.entry.shape
    per_trial = draws * max(n * len(design.cutpoints), engine.work_per_trial(design))
    step = max(1, _MAX_ELEMENTS // per_trial)
    out = np.empty(m)
    for lo in range(0, m, step):
        idx = np.arange(lo, min(lo + step, m))
        out[idx] = _predict(
            design,
            engine,
            _take(batch, idx),
            cut[idx],
            look,
            posterior.subset(idx),
            rule,
            draws,
            rng,
        )
    return out


def _take(batch: TrialBatch, idx: np.ndarray) -> TrialBatch:
    return TrialBatch(**{k: (None if v is None else v[idx]) for k, v in vars(batch).items()})


def _predict(design, engine, batch, cut, look, posterior, rule, draws, rng) -> np.ndarray:
    m, n = batch.entry.shape
    params = posterior.sample(rng, draws)
    follow = cut[:, None] - batch.entry
    enrolled = batch.entry <= cut[:, None]
    tr = batch.treated[:, None, :]
    rep = (m * draws, n)
    entry = np.broadcast_to(batch.entry[:, None, :], (m, draws, n)).reshape(rep)
    treated = np.broadcast_to(tr, (m, draws, n)).reshape(rep)
    if design.endpoint == "response":
        delay = design.analyses[look].min_follow_up
        known = batch.entry + delay <= cut[:, None]
        p = np.where(tr, params[:, :, None, 1], params[:, :, None, 0])
        new = rng.random((m, draws, n)) < p
        response = np.where(known[:, None, :], batch.response[:, None, :], new).reshape(rep)
        future = TrialBatch(entry, treated, response=response)
    else:
        t, d = batch.event_time, batch.dropout_time
        event_seen = enrolled & (t <= d) & (batch.entry + t <= cut[:, None])
        dropped = enrolled & (d < t) & (d <= follow)
        open_ = ~(event_seen | dropped)
        start = np.where(enrolled & open_, follow, 0.0)
        cuts = np.asarray(design.cutpoints)
        haz = np.where(tr[..., None], params[:, :, None, 1, :], params[:, :, None, 0, :])
        h0 = cumulative_hazard(start[:, None, :], cuts, haz)
        t_new = piecewise_inverse(h0 + rng.standard_exponential((m, draws, n)), cuts, haz)
        if design.dropout is not None and any(design.dropout.rate):
            rate = np.where(tr, design.dropout.rate[1], design.dropout.rate[0])
            with np.errstate(divide="ignore"):
                d_new = start[:, None, :] + rng.standard_exponential((m, draws, n)) / rate
        else:
            d_new = np.full((m, draws, n), np.inf)
        ev_time = np.where(open_[:, None, :], t_new, np.where(event_seen, t, np.inf)[:, None, :])
        do_time = np.where(open_[:, None, :], d_new, np.where(dropped, d, np.inf)[:, None, :])
        future = TrialBatch(
            entry, treated, event_time=ev_time.reshape(rep), dropout_time=do_time.reshape(rep)
        )
    final = len(design.analyses) - 1
    final_cut = np.maximum(look_time(design, future, final), np.repeat(cut, draws))
    data = look_data(design, future, final_cut, design.analyses[final])
    success = rule.evaluate(_FinalContext(engine.posterior(data, design, rng=rng)))
    return success.reshape(m, draws).mean(axis=1)
