"""Posterior engines used inside the trial simulator, vectorised across trials.

``conjugate``
    Exact, no proportional-hazards assumption. Survival: independent Gamma(a, b) priors on every
    arm x interval hazard of a per-arm piecewise-exponential model on the design's cutpoints
    (``(0,)``: exponential); the posterior of each is Gamma(a + d, b + exposure) with d events and
    the exposure (months) of that arm in that interval. Produces each interval's hazard ratio
    exactly (``hazard_ratio`` with ``interval=k``; without it when there is one interval) and,
    by Monte Carlo from the exact gamma posteriors (``mc_draws`` per trial), the survival
    difference at a time and the RMST difference to a horizon. Response: Beta priors, posterior
    Beta(a + y, b + n - y), the risk difference by quadrature.
``laplace``
    Survival: proportional hazards with a piecewise-constant baseline on the design's cutpoints,
    normal priors on the baseline log hazards and the log hazard ratio; the joint posterior mode
    is found by Newton's method for all trials at once and the log hazard ratio is summarised by
    the normal (Laplace) approximation. Produces the single hazard ratio only. Response: the
    exact beta posterior (nothing to approximate).
``mcmc``
    The package's PyMC piecewise-exponential model (proportional hazards, as ``laplace``),
    built once per arms, cutpoints and prior and refitted per trial. Slow: for cross-checking the
    others on a subsample, never for the main loop. Produces the single hazard ratio only.

All engines assume non-informative censoring (dropout independent of events); ``laplace`` and
``mcmc`` also assume proportional hazards within the analysis model, and the conjugate engine a
constant hazard within each analysis interval (per arm). Which quantities each engine produces is
checked before simulating (:meth:`Engine.check`), naming the rule that asks for something else.
The posterior objects live in :mod:`bayeshcc.design.posteriors` and are re-exported here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from bayeshcc.design.generate import BlockRNG, LookData
from bayeshcc.conjugate import (
    MC_QUANTITIES,
    BetaPosterior,
    DrawsPosterior,
    GammaPosterior,
    NormalLogHRPosterior,
    PiecewiseGammaPosterior,
    prob_difference_above,
)
from bayeshcc.conjugate import BatchPosterior as Posterior
from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.design.design import TrialDesign
    from bayeshcc.design.rules import PosteriorProbability

__all__ = [
    "BetaPosterior",
    "ConjugateEngine",
    "DrawsPosterior",
    "Engine",
    "GammaPosterior",
    "LaplaceEngine",
    "MCMCEngine",
    "NormalLogHRPosterior",
    "PiecewiseGammaPosterior",
    "Posterior",
    "get_engine",
    "prob_difference_above",
]

Rng = np.random.Generator | BlockRNG


def design_rules(design: TrialDesign) -> Iterator[tuple[str, PosteriorProbability]]:
    """Every posterior-probability rule of ``design`` with the field it sits in."""
    for name in ("success", "futility"):
        for i, rule in enumerate(getattr(design, name)):
            if rule is not None:
                for leaf in rule.leaves():
                    yield f"TrialDesign.{name}[{i}]", leaf


class Engine(ABC):
    """Computes the posterior of every trial at one look.

    Attributes
    ----------
    survival_quantities : frozenset of str
        Survival quantities its posteriors produce (response: ``risk_difference`` for all).
    hr_per_interval : bool
        Whether each analysis interval has its own hazard ratio (``interval=`` in rules).
    """

    name: str = ""
    needs_patients: bool = False
    survival_quantities: frozenset[str] = frozenset({"hazard_ratio"})
    hr_per_interval: bool = False

    def check(self, design: TrialDesign) -> None:
        """Raise SpecError, naming the rule's field, if the engine cannot analyse ``design``."""
        if design.endpoint != "survival":
            return
        for path, leaf in design_rules(design):
            if leaf.quantity not in self.survival_quantities:
                hint = (
                    "; survival and RMST differences need engine='conjugate'"
                    if leaf.quantity in MC_QUANTITIES
                    else ""
                )
                raise SpecError(
                    f"{path}: rule {leaf} uses {leaf.quantity!r}, which the {self.name} engine "
                    f"does not produce; it produces {sorted(self.survival_quantities)}{hint}"
                )
            if leaf.quantity != "hazard_ratio":
                continue
            if leaf.interval is not None and not self.hr_per_interval:
                raise SpecError(
                    f"{path}.interval: the {self.name} engine estimates one proportional-hazards "
                    f"HR for all intervals, so rule {leaf} has no meaning there; per-interval "
                    "hazard ratios need engine='conjugate'"
                )
            if leaf.interval is None and self.hr_per_interval and len(design.cutpoints) > 1:
                raise SpecError(
                    f"{path}.interval: with cutpoints {list(design.cutpoints)} the {self.name} "
                    f"engine has one hazard ratio per interval; rule {leaf} must say which, "
                    f"interval=0 to {len(design.cutpoints) - 1}"
                )

    def work_per_trial(self, design: TrialDesign) -> int:
        """Array elements a look needs per trial beyond the data (sizes the simulator's chunks)."""
        return 0

    def begin(self, design: TrialDesign) -> None:
        """Called by :func:`~bayeshcc.design.simulate` once per run, before the first trial.

        Engines that keep state (the ``mcmc`` engine's model and seed counter) set it here for
        ``design``, so a run's numbers do not depend on what the engine object did before.
        The others keep no state between runs.
        """
        return None

    @abstractmethod
    def posterior(
        self, data: LookData, design: TrialDesign, *, rng: Rng | None = None
    ) -> Posterior:
        """Posterior per trial from the look's sufficient statistics.

        ``rng`` is the stream for engines that use Monte Carlo (a BlockRNG for a chunk of
        trials, or a generator); the others ignore it.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _beta_posterior(data: LookData, design: TrialDesign) -> BetaPosterior:
    prior = np.array([design.prior.control, design.prior.treatment])  # (arm, [a, b])
    y, n = data.responders.astype(float), data.evaluable.astype(float)
    return BetaPosterior(prior[:, 0] + y, prior[:, 1] + n - y)


class ConjugateEngine(Engine):
    """Exact gamma posteriors of per-arm piecewise hazards (survival), beta posteriors (response).

    Parameters
    ----------
    mc_draws : int, default 2000
        Posterior draws per trial for the survival and RMST differences (Monte Carlo; the
        probability's standard deviation is at most :math:`0.5/\\sqrt{\\text{mc\\_draws}}`, 0.011
        for 2000 and 0.0035 where the probability is near 0.975). Hazard ratios are exact.

    Notes
    -----
    With cutpoints :math:`0 = c_0 < \\dots < c_{K-1}` every arm :math:`a` and interval :math:`k`
    has its own hazard :math:`\\lambda_{ak} \\sim \\mathrm{Ga}(a_0, b_0)` (``SurvivalPrior.hazard``),
    independent a priori; the piecewise-exponential (Poisson) likelihood factorises, so the
    posterior is :math:`\\mathrm{Ga}(a_0 + d_{ak}, b_0 + E_{ak})` independently (see
    :class:`~bayeshcc.design.posteriors.PiecewiseGammaPosterior`). The Monte Carlo draws come from
    the stream of each trial's block (the simulator's ``SeedSequence`` streams of 250 trials),
    so results do not depend on the chunk size. Nothing ties the arms' hazards together: no
    proportional hazards, and an interval without events in an arm keeps its (vague) prior.
    """

    name = "conjugate"
    survival_quantities = frozenset({"hazard_ratio", *MC_QUANTITIES})
    hr_per_interval = True

    def __init__(self, *, mc_draws: int = 2000) -> None:
        if (
            isinstance(mc_draws, bool)
            or not isinstance(mc_draws, (int, np.integer))
            or mc_draws < 2
        ):
            raise SpecError(f"ConjugateEngine.mc_draws: expected an integer >= 2, got {mc_draws!r}")
        self.mc_draws = int(mc_draws)

    def work_per_trial(self, design: TrialDesign) -> int:
        uses_mc = any(leaf.quantity in MC_QUANTITIES for _, leaf in design_rules(design))
        return self.mc_draws * 2 * len(design.cutpoints) if uses_mc else 0

    def posterior(
        self, data: LookData, design: TrialDesign, *, rng: Rng | None = None
    ) -> Posterior:
        if design.endpoint == "response":
            return _beta_posterior(data, design)
        a0, b0 = design.prior.hazard
        return PiecewiseGammaPosterior(
            a0 + data.events,
            b0 + data.exposure,
            design.cutpoints,
            rng=rng,
            mc_draws=self.mc_draws,
        )

    def __repr__(self) -> str:
        return f"ConjugateEngine(mc_draws={self.mc_draws})"


class LaplaceEngine(Engine):
    """Newton's method for the proportional-hazards posterior mode, vectorised across trials.

    Parameters
    ----------
    tol : float, default 1e-9
        Stop when every Newton step is smaller than this (log scale).
    max_iter : int, default 100

    Notes
    -----
    With baseline log hazards :math:`\\alpha_j` (control) and log hazard ratio :math:`\\beta`,
    events :math:`d_{aj}` and exposure :math:`E_{aj}` by arm and interval, the log posterior is
    :math:`\\sum_j [d_{\\cdot j}\\alpha_j + d_{tj}\\beta - E_{cj} e^{\\alpha_j}
    - E_{tj} e^{\\alpha_j + \\beta}] - \\frac{(\\alpha_j - m_\\alpha)^2}{2 s_\\alpha^2}
    - \\frac{(\\beta - m_\\beta)^2}{2 s_\\beta^2}`, the piecewise-exponential (Poisson)
    likelihood, which is concave. Its Hessian is an arrow matrix, so each Newton step is solved in
    closed form through the Schur complement :math:`S = H_{\\beta\\beta} - \\sum_j
    H_{\\alpha_j\\beta}^2 / H_{\\alpha_j\\alpha_j}`, and the Laplace approximation gives
    :math:`\\beta \\mid \\text{data} \\approx N(\\hat\\beta, -1/S)` (Tierney and Kadane 1986).
    Steps are capped at 1 on the log scale to keep Newton's method stable far from the mode.
    With one interval and vague priors, :math:`\\hat\\beta = \\log(d_t/E_t) - \\log(d_c/E_c)` and
    :math:`-1/S = 1/d_t + 1/d_c`.
    The approximation needs events in every interval: with about 36 events spread over 42
    monthly intervals its type I error was 0.033 instead of 0.025 (0.027 with one interval, the
    same as the exact conjugate engine at that size), so keep roughly ten or more events per
    interval at the earliest look.
    """

    name = "laplace"

    def __init__(self, *, tol: float = 1e-9, max_iter: int = 100) -> None:
        self.tol, self.max_iter = tol, max_iter

    def posterior(
        self, data: LookData, design: TrialDesign, *, rng: Rng | None = None
    ) -> Posterior:
        if design.endpoint == "response":
            return _beta_posterior(data, design)
        return laplace_ph(
            data.events,
            data.exposure,
            design.prior.log_hazard,
            design.prior.log_hr,
            tol=self.tol,
            max_iter=self.max_iter,
        )


def laplace_ph(events, exposure, log_hazard_prior, log_hr_prior, *, tol=1e-9, max_iter=100):
    """Laplace posterior of the PH model for arrays ``(trial, arm, interval)``; see LaplaceEngine."""
    dc, dt = events[:, 0, :], events[:, 1, :]
    ec, et = exposure[:, 0, :], exposure[:, 1, :]
    ma, sa = log_hazard_prior
    mb, sb = log_hr_prior
    pa, pb = 1 / sa**2, 1 / sb**2
    d_all, dt_sum = dc + dt, dt.sum(axis=1)
    beta = np.log((dt_sum + 0.5) / (et.sum(axis=1) + 1e-3)) - np.log(
        (dc.sum(axis=1) + 0.5) / (ec.sum(axis=1) + 1e-3)
    )
    alpha = np.where(
        ec + et > 0, np.log((d_all + 0.5) / (ec + et * np.exp(beta)[:, None] + 1e-3)), ma
    )
    for _ in range(max_iter):
        wc = ec * np.exp(alpha)
        wt = et * np.exp(alpha + beta[:, None])
        ga = d_all - wc - wt - pa * (alpha - ma)
        gb = dt_sum - wt.sum(axis=1) - pb * (beta - mb)
        a = -(wc + wt) - pa
        s = -wt.sum(axis=1) - pb - (wt**2 / a).sum(axis=1)
        d_beta = (-gb + (-wt * ga / a).sum(axis=1)) / s
        d_alpha = (-ga + wt * d_beta[:, None]) / a
        d_beta = np.clip(d_beta, -1.0, 1.0)
        d_alpha = np.clip(d_alpha, -1.0, 1.0)
        beta = beta + d_beta
        alpha = alpha + d_alpha
        if max(np.abs(d_beta).max(initial=0), np.abs(d_alpha).max(initial=0)) < tol:
            break
    wc = ec * np.exp(alpha)
    wt = et * np.exp(alpha + beta[:, None])
    a = -(wc + wt) - pa
    s = -wt.sum(axis=1) - pb - (wt**2 / a).sum(axis=1)
    # alpha | beta: mean alpha_hat - (H_ab / H_aa)(beta - beta_hat), variance -1/H_aa.
    return NormalLogHRPosterior(beta, np.sqrt(-1 / s), alpha, wt / a, np.sqrt(-1 / a))


class MCMCEngine(Engine):
    """The package's PyMC piecewise-exponential model, refitted per trial (cross-checks only).

    Parameters
    ----------
    draws, tune, chains : int
        Passed to ``PiecewiseExponential.fit``.
    sampler : str, default "nutpie"
    seed : int, default 0
        The k-th fit of a :func:`~bayeshcc.design.simulate` run uses seed ``seed + k`` (counted
        from 0 in every run, so reusing the engine object gives the same numbers as a new one).

    Notes
    -----
    The model is built once per arms, cutpoints and prior, and reused for every trial of designs
    that share them (a design with another prior gets its own model). Its
    priors are the design's :class:`SurvivalPrior` (log-normal baseline hazards, normal log hazard
    ratio), the same as the ``laplace`` engine's, so the two differ only by the Laplace
    approximation and Monte Carlo error. P(HR < c) is the proportion of posterior draws of the log hazard ratio below
    :math:`\\log c`.
    """

    name = "mcmc"
    needs_patients = True

    def __init__(
        self,
        *,
        draws: int = 500,
        tune: int = 500,
        chains: int = 2,
        sampler: str = "nutpie",
        seed: int = 0,
    ) -> None:
        self.draws, self.tune, self.chains, self.sampler = draws, tune, chains, sampler
        self.seed = seed
        self._models: dict = {}
        self._calls = 0

    def begin(self, design: TrialDesign) -> None:
        self._calls = 0

    def model(self, design: TrialDesign):
        """The ``PiecewiseExponential`` model for ``design``, built on first use and kept."""
        from bayeshcc.design.mcmc import model_for

        key = (design.control, design.treatment, design.cutpoints, design.prior)
        if key not in self._models:
            self._models[key] = model_for(design)
        return self._models[key]

    def check(self, design: TrialDesign) -> None:
        if design.endpoint != "survival":
            raise SpecError("engine: the mcmc cross-check engine is for the survival endpoint")
        super().check(design)

    def posterior(
        self, data: LookData, design: TrialDesign, *, rng: Rng | None = None
    ) -> Posterior:
        from bayeshcc.design.mcmc import fit_log_hr_draws

        draws = fit_log_hr_draws(self, data, design)
        return DrawsPosterior(draws)


_ENGINES = {"conjugate": ConjugateEngine, "laplace": LaplaceEngine, "mcmc": MCMCEngine}


def get_engine(engine: str | Engine) -> Engine:
    """An engine instance from its name (``"conjugate"``, ``"laplace"``, ``"mcmc"``) or itself."""
    if isinstance(engine, Engine):
        return engine
    if engine not in _ENGINES:
        raise SpecError(f"engine: unknown engine {engine!r}; expected one of {sorted(_ENGINES)}")
    return _ENGINES[engine]()
