"""Closed-form posteriors, vectorised over simulated trials (or one fitted dataset).

Conjugate updates (:func:`beta_update`, :func:`gamma_update`) are shared by the exact analysis
models (:class:`~bayeshcc.BinomialResponse`) and the simulator's engines. Each posterior object
holds one posterior per trial and answers ``prob(quantity, direction, value, **selectors)`` (the
:class:`~bayeshcc.quantities.Posterior` protocol) for the decision rules, ``summary()`` for the
stored per-trial results, and ``sample(rng, draws)`` for predictive probabilities. See
:mod:`bayeshcc.design.engines` for which engine returns which, and what each assumes.
"""

from bayeshcc.conjugate.base import MC_QUANTITIES, BatchPosterior, beta_update, gamma_update
from bayeshcc.conjugate.mixture import (
    BetaMixturePosterior,
    beta_mixture_ess,
    beta_mixture_moments,
    beta_mixture_update,
)
from bayeshcc.conjugate.response import BetaPosterior, RateDrawsPosterior, prob_difference_above
from bayeshcc.conjugate.survival import (
    DrawsPosterior,
    GammaPosterior,
    HazardDrawsPosterior,
    NormalLogHRPosterior,
    PiecewiseGammaPosterior,
)

__all__ = [
    "MC_QUANTITIES",
    "BatchPosterior",
    "BetaMixturePosterior",
    "BetaPosterior",
    "DrawsPosterior",
    "GammaPosterior",
    "HazardDrawsPosterior",
    "NormalLogHRPosterior",
    "PiecewiseGammaPosterior",
    "RateDrawsPosterior",
    "beta_mixture_ess",
    "beta_mixture_moments",
    "beta_mixture_update",
    "beta_update",
    "gamma_update",
    "prob_difference_above",
]
