"""Posterior engines used inside the trial simulator, vectorised across trials.

Each engine computes some analysis models (``TrialDesign.analysis``) and refuses the others with a
:class:`~bayeshcc.errors.SpecError` naming the field, before anything is simulated; no prior field
is ever ignored.

``conjugate``
    ``PiecewiseExponential(effect="per_arm", baseline_prior=Gamma(a, b))``: every arm x interval
    hazard has its own Gamma(a, b) prior and, with d events over exposure E, the exact posterior
    Gamma(a + d, b + E); no proportional-hazards assumption. Produces each interval's hazard ratio
    exactly (``hazard_ratio`` with ``interval=k``; without it when there is one interval) and, by
    Monte Carlo from the exact gamma posteriors (``mc_draws`` per trial), the survival difference
    at a time and the RMST difference to a horizon. ``BinomialResponse(prior=Beta(a, b))``: the
    exact Beta(a + y, b + n - y) posteriors, the risk difference by quadrature; with a mixture prior
    (``prior=Mixture([Beta(...), ...], weights=...)``, e.g. :func:`~bayeshcc.robust`) the exact
    Beta-mixture posteriors (:class:`~bayeshcc.conjugate.BetaMixturePosterior`).
``laplace``
    ``PiecewiseExponential(effect="proportional", baseline_prior=LogNormal(m, s),
    log_hr_prior=Normal(m, s))`` (a LogNormal prior on a hazard is a normal prior on its log):
    the joint posterior mode by Newton's method for all trials at once, and the log hazard ratio's
    normal (Laplace) approximation (:func:`laplace_ph`). Produces the
    single hazard ratio. ``BinomialResponse``: the exact beta posteriors, as ``conjugate``.
``mcmc``
    Any ``PiecewiseExponential``, fitted per trial with ``model.fit`` (the package's compiled-model
    cache, keyed by the model and the data's structure, compiles it once). Slow: for
    cross-checking the others on a subsample, never for the main loop. Proportional: the single
    hazard ratio; per-arm: the same quantities as ``conjugate``. No predictive probabilities.

All engines assume non-informative censoring (dropout independent of events); the analysis model
states the rest (proportional hazards, or a constant hazard per arm within each interval).
"""

from bayeshcc.design.engines.base import Capability, Engine
from bayeshcc.design.engines.conjugate import ConjugateEngine
from bayeshcc.design.engines.laplace import LaplaceEngine, laplace_ph
from bayeshcc.design.engines.mcmc import MCMCEngine
from bayeshcc.errors import SpecError

__all__ = [
    "Capability",
    "ConjugateEngine",
    "Engine",
    "LaplaceEngine",
    "MCMCEngine",
    "get_engine",
    "laplace_ph",
]

_ENGINES = {"conjugate": ConjugateEngine, "laplace": LaplaceEngine, "mcmc": MCMCEngine}


def get_engine(engine: str | Engine) -> Engine:
    """An engine instance from its name (``"conjugate"``, ``"laplace"``, ``"mcmc"``) or itself."""
    if isinstance(engine, Engine):
        return engine
    if not isinstance(engine, str) or engine not in _ENGINES:
        raise SpecError(
            f"engine: unknown engine {engine!r}; expected one of {sorted(_ENGINES)} or an Engine instance"
        )
    return _ENGINES[engine]()
