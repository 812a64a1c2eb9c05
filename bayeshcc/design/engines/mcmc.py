"""The ``mcmc`` engine: the design's analysis model refitted per trial with ``model.fit`` (cross-checks only)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from bayeshcc import sampling
from bayeshcc._random import BlockRNG
from bayeshcc.conjugate import (
    MC_QUANTITIES,
    BatchPosterior,
    DrawsPosterior,
    HazardDrawsPosterior,
    RateDrawsPosterior,
)
from bayeshcc.data import BinaryData, SurvivalData
from bayeshcc.design.engines.base import Capability, Engine, Rng
from bayeshcc.errors import SpecError
from bayeshcc.models.binomial import BinomialResponse
from bayeshcc.models.piecewise_exponential import PiecewiseExponential

if TYPE_CHECKING:
    from bayeshcc.design.trial import TrialDesign

__all__ = ["MCMCEngine"]

_SEED_BOUND = 2**31


class MCMCEngine(Engine):
    """The design's analysis model, fitted per trial with its own ``fit`` (cross-checks only).

    Parameters
    ----------
    draws, tune, chains : int
        Passed to ``PiecewiseExponential.fit``.
    sampler : str, default "nutpie"
        ``"nutpie"``: compiled once per model and data structure, then about 0.15 s per fit (the
        choice for many trials); ``"numpy"`` compiles nothing but costs about 1.3 s per fit;
        ``"pymc"`` about 4 s (``benchmarks/RESULTS.md``).

    Notes
    -----
    ``BinomialResponse`` is fitted by its own ``fit``, which draws exactly (``chains x draws``
    independent draws; ``tune`` and ``sampler`` apply to survival models only). The engine holds
    settings only. Each trial's fit at each look is seeded with an integer drawn
    from that trial's own random stream (one draw per trial and look, whether or not the trial
    is still running), so results are identical for any chunk size. Trials that have stopped are
    not refitted. The model is the design's analysis model with ``control`` set to the design's
    control; :mod:`bayeshcc.sampling` compiles it once per model and data structure. With a
    proportional model P(HR < c) is the proportion of posterior draws of the log hazard ratio below
    :math:`\\log c`; with a per-arm model every quantity comes from the hazard draws
    (:class:`~bayeshcc.conjugate.HazardDrawsPosterior`).
    """

    name = "mcmc"
    needs_patients = True
    models = {PiecewiseExponential: "survival", BinomialResponse: "response"}

    def __init__(
        self, *, draws: int = 500, tune: int = 500, chains: int = 2, sampler: str = "nutpie"
    ) -> None:
        try:
            sampling.check_args(draws=draws, tune=tune, chains=chains, seed=None, sampler=sampler,
                                allowed=PiecewiseExponential.samplers)  # survival; response draws exactly
        except SpecError as err:
            raise SpecError(f"MCMCEngine: {err}") from None
        self.draws, self.tune, self.chains, self.sampler = draws, tune, chains, sampler

    def _survival_capability(self, analysis: PiecewiseExponential) -> Capability:
        if analysis.effect == "per_arm":
            return Capability(
                frozenset({"hazard_ratio", *MC_QUANTITIES}), hr_per_interval=True, predictive=False
            )
        return Capability(frozenset({"hazard_ratio"}), predictive=False)

    def _response_capability(self, analysis: BinomialResponse) -> Capability:
        return Capability(frozenset({"risk_difference"}), predictive=False)

    def _response_posterior(self, data, design, rng, active) -> BatchPosterior:
        """Per trial: ``BinomialResponse.fit`` on the look's counts (exact draws); an arm with no
        evaluable patient yet keeps its prior."""
        m = data.responders.shape[0]
        seeds = _trial_seeds(rng, m)
        model = self.model(design)
        n_draws = self.chains * self.draws
        out = np.full((m, n_draws, 2), np.nan)
        arms = [design.control, design.treatment]
        for i in range(m) if active is None else np.flatnonzero(active):
            y, n = data.responders[i].astype(int), data.evaluable[i].astype(int)
            if (n > 0).all():
                frame = pd.DataFrame({"arm": arms, "responders": y, "n": n})
                fit = model.fit(BinaryData.from_frame(frame), draws=self.draws, chains=self.chains,
                                seed=int(seeds[i]))
                out[i] = fit.rate.sel(arm=arms).values.reshape(n_draws, 2)
            else:
                g = np.random.default_rng(int(seeds[i]))
                out[i] = model.rate_draws(y, n, g, (n_draws,))
        return RateDrawsPosterior(out)

    def model(self, design: TrialDesign):
        """The design's analysis model with its control arm set."""
        return dataclasses.replace(design.analysis, control=design.control)

    def _survival_posterior(self, data, design, rng, active) -> BatchPosterior:
        time, event, treated, enrolled = data.patients
        m = time.shape[0]
        seeds = _trial_seeds(rng, m)
        model = self.model(design)
        proportional = model.effect == "proportional"
        k = len(model.cutpoints)
        per_trial = (self.chains * self.draws,) if proportional else (self.chains * self.draws, 2, k)
        out = None
        for i in range(m) if active is None else np.flatnonzero(active):
            keep = enrolled[i]
            if treated[i, keep].all() or not treated[i, keep].any():
                raise SpecError(
                    "TrialDesign.analyses: a look came before both arms had a patient (a simulated "
                    "trial has only one arm so far); the mcmc engine fits the analysis model to both "
                    "arms, so move the first look later"
                )
            frame = pd.DataFrame(
                {
                    "time": time[i, keep],
                    "event": event[i, keep].astype(int),
                    "arm": np.where(treated[i, keep], design.treatment, design.control),
                }
            )
            ipd = SurvivalData.from_frame(frame, time="time", event="event", arm="arm")
            fit = model.fit(
                ipd,
                draws=self.draws,
                tune=self.tune,
                chains=self.chains,
                seed=int(seeds[i]),
                sampler=self.sampler,
                check_convergence=False,
            )
            post = fit.idata.posterior
            if proportional:
                values = np.asarray(post["log_hr"]).ravel()
            else:
                values = np.asarray(post["hazard"]).reshape(-1, 2, k)
            if out is None:
                out = np.full((m, *values.shape), np.nan)
            out[i] = values
        if out is None:  # no trial is running
            out = np.full((m, *per_trial), np.nan)
        return DrawsPosterior(out) if proportional else HazardDrawsPosterior(out, model.cutpoints)

    def __repr__(self) -> str:
        return (
            f"MCMCEngine(draws={self.draws}, tune={self.tune}, chains={self.chains}, "
            f"sampler={self.sampler!r})"
        )


def _trial_seeds(rng: Rng | None, m: int) -> np.ndarray:
    """One integer seed per trial from the trials' own streams."""
    if rng is None:
        raise SpecError(
            "rng: the mcmc engine seeds each trial's fit from that trial's random stream; "
            "pass rng= (simulate does)"
        )
    if isinstance(rng, BlockRNG):
        return rng.integers(low=0, high=_SEED_BOUND)
    return rng.integers(0, _SEED_BOUND, size=m)
