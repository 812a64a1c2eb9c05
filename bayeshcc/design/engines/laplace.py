"""The ``laplace`` engine: the proportional-hazards posterior mode by Newton's method and the normal
(Laplace) approximation of the log hazard ratio, vectorised across trials."""

from __future__ import annotations

import numpy as np

from bayeshcc.conjugate import NormalLogHRPosterior
from bayeshcc.design.engines.base import Capability, Engine, require_prior
from bayeshcc.errors import SpecError
from bayeshcc.models.binomial import BinomialResponse
from bayeshcc.models.piecewise_exponential import DEFAULT_BASELINE_SIGMA, PiecewiseExponential
from bayeshcc.models.priors import LogNormal, Normal

__all__ = ["LaplaceEngine", "laplace_ph"]


class LaplaceEngine(Engine):
    """Newton's method for the proportional-hazards posterior mode, vectorised across trials.

    Parameters
    ----------
    tol : float, default 1e-9
        Stop when every Newton step is smaller than this (log scale).
    max_iter : int, default 100

    Notes
    -----
    See :func:`laplace_ph`. The approximation needs events in every
    interval: with about 36 events spread over 42 monthly intervals its type I error was 0.033
    instead of 0.025 (0.027 with one interval, the same as the exact conjugate engine at that
    size), so keep roughly ten or more events per interval at the earliest look.
    """

    name = "laplace"
    models = {PiecewiseExponential: "survival", BinomialResponse: "response"}

    def __init__(self, *, tol: float = 1e-9, max_iter: int = 100) -> None:
        if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < tol < 1:
            raise SpecError(f"LaplaceEngine.tol: expected a number in (0, 1), got {tol!r}")
        if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
            raise SpecError(f"LaplaceEngine.max_iter: expected an integer >= 1, got {max_iter!r}")
        self.tol, self.max_iter = float(tol), int(max_iter)

    def _survival_capability(self, analysis: PiecewiseExponential) -> Capability:
        if analysis.effect != "proportional":
            raise SpecError(
                f"TrialDesign.analysis.effect: the laplace engine computes proportional hazards "
                f"(effect='proportional'), got effect={analysis.effect!r}; use engine='conjugate' "
                "(Gamma priors) or 'mcmc' for per-arm hazards"
            )
        require_prior(analysis, "baseline_prior", LogNormal, self.name, "normal on each log hazard")
        require_prior(analysis, "log_hr_prior", Normal, self.name, "on the log hazard ratio")
        return Capability(frozenset({"hazard_ratio"}))

    def _survival_posterior(self, data, design, rng, active):
        base, log_hr = design.analysis.baseline_prior, design.analysis.log_hr_prior
        if base is None:  # the model's default, centred on each trial's pooled crude event rate
            rate = data.crude_rate()
            base_mu, base_sigma = np.log(rate)[:, None], DEFAULT_BASELINE_SIGMA
        else:
            base_mu, base_sigma = base.mu, base.sigma
        return laplace_ph(
            data.events,
            data.exposure,
            (base_mu, base_sigma),
            (log_hr.mu, log_hr.sigma),
            tol=self.tol,
            max_iter=self.max_iter,
        )


def laplace_ph(
    events: np.ndarray,
    exposure: np.ndarray,
    log_hazard_prior: tuple[float, float],
    log_hr_prior: tuple[float, float],
    *,
    tol: float = 1e-9,
    max_iter: int = 100,
) -> NormalLogHRPosterior:
    """Laplace posterior of the piecewise-exponential proportional-hazards model.

    Parameters
    ----------
    events, exposure : ndarray, shape (trial, arm, interval)
        Events and exposure of each arm (0 control, 1 treatment) in each analysis interval.
    log_hazard_prior : (mean, sd)
        Normal prior on each interval's baseline log hazard, the mean of the two arms' log hazards
        (as in :class:`~bayeshcc.PiecewiseExponential`); the mean may be an array of shape
        ``(trial, 1)`` (a data-relative centre per trial).
    log_hr_prior : (mean, sd)
        Normal prior on the log hazard ratio.
    tol : float, default 1e-9
        Stop when every Newton step is smaller than this (log scale).
    max_iter : int, default 100

    Returns
    -------
    NormalLogHRPosterior
        ``log HR ~ N(mean, sd^2)`` per trial, and the conditional normal of the baseline log
        hazards given the log HR (for predictive draws).

    Notes
    -----
    With control log hazards :math:`\\alpha_j` and log hazard ratio :math:`\\beta`,
    events :math:`d_{aj}` and exposure :math:`E_{aj}` by arm and interval, the log posterior is
    :math:`\\sum_j [d_{\\cdot j}\\alpha_j + d_{tj}\\beta - E_{cj} e^{\\alpha_j}
    - E_{tj} e^{\\alpha_j + \\beta}] - \\frac{(\\alpha_j + \\beta/2 - m_\\alpha)^2}{2 s_\\alpha^2}
    - \\frac{(\\beta - m_\\beta)^2}{2 s_\\beta^2}`, the piecewise-exponential (Poisson)
    likelihood with the prior on the arms' mean log hazard :math:`\\alpha_j + \\beta/2`
    (symmetric in the arms), which is concave. Its Hessian is an arrow matrix, so each Newton step
    is solved in closed form through the Schur complement :math:`S = H_{\\beta\\beta} - \\sum_j
    H_{\\alpha_j\\beta}^2 / H_{\\alpha_j\\alpha_j}`, and the Laplace approximation gives
    :math:`\\beta \\mid \\text{data} \\approx N(\\hat\\beta, -1/S)` (Tierney and Kadane 1986).
    Steps are capped at 1 on the log scale to keep Newton's method stable far from the mode.
    With one interval and vague priors, :math:`\\hat\\beta = \\log(d_t/E_t) - \\log(d_c/E_c)` and
    :math:`-1/S = 1/d_t + 1/d_c`.
    """
    dc, dt = events[:, 0, :], events[:, 1, :]
    ec, et = exposure[:, 0, :], exposure[:, 1, :]
    ma, sa = log_hazard_prior
    mb, sb = log_hr_prior
    ma = np.broadcast_to(np.asarray(ma, dtype=float), dc.shape)
    pa, pb = 1 / sa**2, 1 / sb**2
    n_int = dc.shape[1]
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
        r = pa * (alpha + beta[:, None] / 2 - ma)  # prior pull on the arms' mean log hazard
        ga = d_all - wc - wt - r
        gb = dt_sum - wt.sum(axis=1) - pb * (beta - mb) - (r / 2).sum(axis=1)
        a = -(wc + wt) - pa
        h = -wt - pa / 2
        s = -wt.sum(axis=1) - pb - n_int * pa / 4 - (h**2 / a).sum(axis=1)
        d_beta = (-gb + (h * ga / a).sum(axis=1)) / s
        d_alpha = (-ga - h * d_beta[:, None]) / a
        d_beta = np.clip(d_beta, -1.0, 1.0)
        d_alpha = np.clip(d_alpha, -1.0, 1.0)
        beta = beta + d_beta
        alpha = alpha + d_alpha
        if max(np.abs(d_beta).max(initial=0), np.abs(d_alpha).max(initial=0)) < tol:
            break
    wc = ec * np.exp(alpha)
    wt = et * np.exp(alpha + beta[:, None])
    a = -(wc + wt) - pa
    h = -wt - pa / 2
    s = -wt.sum(axis=1) - pb - n_int * pa / 4 - (h**2 / a).sum(axis=1)
    # alpha | beta: mean alpha_hat - (H_ab / H_aa)(beta - beta_hat), variance -1/H_aa.
    return NormalLogHRPosterior(beta, np.sqrt(-1 / s), alpha, -h / a, np.sqrt(-1 / a))
