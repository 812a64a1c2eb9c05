"""Predictive probability of final success: continue each running trial from its current posterior.

Used by :class:`~bayeshcc.design.rules.PredictiveProbability`; vectorised over (trial, draw, patient)
in sub-batches so memory stays bounded. How a trial continues is the endpoint's
(:meth:`~bayeshcc.design.endpoints.Endpoint.final_data`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayeshcc.design.batch import TrialBatch, take
from bayeshcc.design.trial import TrialDesign

if TYPE_CHECKING:
    from bayeshcc.conjugate import BatchPosterior
    from bayeshcc.design.engines import Engine
    from bayeshcc.design.rules import Rule

__all__ = ["FinalLook", "predictive_success"]

_MAX_ELEMENTS = 2_000_000


class FinalLook:
    """The final analysis of continued trials, as a rule sees it (``prob`` only)."""

    def __init__(self, posterior: BatchPosterior) -> None:
        self.posterior = posterior

    def prob(self, quantity: str, direction: str, value: float, **selectors) -> np.ndarray:
        """``P(quantity <direction> value | data)`` per continued trial."""
        return self.posterior.prob(quantity, direction, value, **selectors)


def predictive_success(
    design: TrialDesign,
    engine: Engine,
    batch: TrialBatch,
    cut: np.ndarray,
    look: int,
    posterior: BatchPosterior,
    rule: Rule,
    draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Probability, per trial in ``batch``, that the final analysis meets ``rule``.

    Parameters
    ----------
    design : TrialDesign
    engine : Engine
        Computes the final analysis of every continued trial.
    batch : TrialBatch
        The trials still running at ``look``.
    cut : ndarray
        Calendar time of ``look`` per trial.
    look : int
        0-based index of the current analysis.
    posterior : BatchPosterior
        The posterior of the same trials at ``look``.
    rule : Rule
        The final analysis's success rule.
    draws : int
        Posterior draws per trial, each continuing the trial once.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray
        One probability per trial.
    """
    m, n = batch.entry.shape
    per_patient = max(1, len(design.endpoint.cutpoints(design.analysis)))
    per_trial = draws * max(n * per_patient, engine.work_per_trial(design))
    step = max(1, _MAX_ELEMENTS // per_trial)
    out = np.empty(m)
    for lo in range(0, m, step):
        idx = np.arange(lo, min(lo + step, m))
        out[idx] = _predict(
            design, engine, take(batch, idx), cut[idx], look, posterior.subset(idx), rule, draws, rng
        )
    return out


def _predict(design, engine, batch, cut, look, posterior, rule, draws, rng) -> np.ndarray:
    m = batch.n_trials
    params = posterior.sample(rng, draws)
    data = design.endpoint.final_data(design, batch, cut, look, params, rng)
    success = rule.evaluate(FinalLook(engine.posterior(data, design, rng=rng))).met
    return success.reshape(m, draws).mean(axis=1)
