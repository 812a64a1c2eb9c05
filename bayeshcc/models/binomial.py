"""Binomial response: exact Beta posteriors per arm (a conjugate ``ExactModel``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from bayeshcc.conjugate import beta_mixture_update, beta_update
from bayeshcc.data import BinaryData
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import SpecError
from bayeshcc.models.base import ExactModel, Prepared
from bayeshcc.models.priors import Beta, Mixture
from bayeshcc.results.response import ResponseFit

__all__ = ["BinomialResponse"]


@dataclass(frozen=True, kw_only=True, repr=False)
class BinomialResponse(ExactModel):
    """Response rate per arm with a Beta prior: the posterior is Beta in closed form.

    Parameters
    ----------
    prior : Beta or Mixture of Beta, default ``Beta(1, 1)``
        Prior of every arm's response rate (uniform by default; ``Beta(0.5, 0.5)`` is Jeffreys').
        The same prior for every arm, so no arm is favoured. A mixture of Betas (e.g.
        :func:`bayeshcc.robust`) is conjugate too: the posterior is a Beta mixture whose
        component weights :meth:`ResponseFit.posterior_parameters` reports.
    control : str, optional
        Reference arm of comparisons; defaults to the control the data name (bundled studies do),
        else the first arm of the data.
    likelihood_weight : float, default 1
        Power-prior weight a0 in (0, 1] on the data's likelihood: the posterior is
        Beta(alpha + a0 y, beta + a0 (n - y)) (each patient counts as a0 of a patient; Ibrahim and
        Chen 2000). Used to discount a source study (``bh.PowerPrior``).

    Notes
    -----
    With ``y_a`` responders of ``n_a`` in arm ``a`` and prior Beta(alpha, beta), the posterior
    of the rate is Beta(alpha + y_a, beta + n_a - y_a), independently across arms. ``fit``
    draws from it exactly (``sampler="exact"``); contrasts (risk difference, risk ratio, odds
    ratio) follow from the draws, and :meth:`ResponseFit.exact_posterior` gives the closed form.
    With a mixture prior :math:`\\sum_k w_k \\mathrm{Beta}(a_k, b_k)` each component is updated as
    above and its weight becomes :math:`w'_k \\propto w_k B(a_k + y, b_k + n - y) / B(a_k, b_k)`
    (:func:`~bayeshcc.conjugate.beta_mixture_update`).

    Examples
    --------
    >>> import bayeshcc as bh
    >>> study = bh.datasets.load_huang2022()
    >>> fit = bh.BinomialResponse(prior=bh.Beta(1, 1)).fit(study.response["RECIST"], seed=1)
    >>> fit.posterior_parameters()[["arm", "alpha", "beta"]].values.tolist()  # the study names Sorafenib as control
    [['Sorafenib', 2.0, 59.0], ['FOLFOX-HAIC', 19.0, 38.0]]
    """

    family: ClassVar[str] = "binomial_response"
    endpoint: ClassVar[str] = "response"
    data_types: ClassVar[tuple[type, ...]] = (BinaryData,)
    result: ClassVar[type] = ResponseFit

    prior: Beta | Mixture = Beta(1.0, 1.0)
    control: str | None = None
    likelihood_weight: float = 1.0

    def __new__(cls, *args, formula: str | None = None, **kwargs):
        """``BinomialResponse(formula="response ~ arm + pvtt", ...)`` is a :class:`LogisticResponse`.

        A formula asks for a regression on patient-level data, which has no closed-form
        posterior; rather than a mode flag that changes what ``fit`` does, the constructor hands
        over to the MCMC family that fits it (its keywords: ``reference``, ``intercept_prior``,
        ``coef_prior``, ``control``). Without ``formula`` this is the exact Beta model.
        """
        if formula is None:
            return super().__new__(cls)
        from bayeshcc.models.logistic import LogisticResponse

        allowed = {"reference", "intercept_prior", "coef_prior", "control"}
        wrong = sorted(set(kwargs) - allowed)
        if args or wrong:
            raise SpecError(
                f"BinomialResponse(formula=...) builds a LogisticResponse, whose keywords are "
                f"{sorted(allowed)}; got {wrong or 'positional arguments'} (a Beta prior applies to the exact model only)"
            )
        return LogisticResponse(formula=formula, **kwargs)

    def __post_init__(self) -> None:
        mixture_of_betas = isinstance(self.prior, Mixture) and all(isinstance(c, Beta) for c in self.prior.components)
        if not (isinstance(self.prior, Beta) or mixture_of_betas):
            raise SpecError(
                f"prior must be a bh.Beta(alpha, beta) or a bh.Mixture of Betas for a response rate, got {self.prior!r}"
            )
        if isinstance(self.control, int) and not isinstance(self.control, bool):
            object.__setattr__(self, "control", str(self.control))  # numeric arm codes, stored as text
        if self.control is not None and not isinstance(self.control, str):
            raise SpecError(f"control must be an arm name (str, or an integer code), got {self.control!r}")
        w = self.likelihood_weight
        if isinstance(w, bool) or not isinstance(w, int | float | np.floating) or not 0 < w <= 1:
            raise SpecError(f"likelihood_weight: expected a power-prior weight in (0, 1], got {w!r}")

    def describe(self) -> str:
        control = f", control={self.control!r}" if self.control is not None else ""
        weight = f", likelihood_weight={self.likelihood_weight:g}" if self.likelihood_weight != 1 else ""
        return f"prior={self.prior}{control}{weight}"

    def prior_text(self, prepared: Prepared, time_unit: str = "time units") -> str:
        """The prior as applied: the same Beta on every arm's response rate."""
        tag = " [default]" if self.prior == Beta(1.0, 1.0) else ""
        if isinstance(self.prior, Mixture):
            from bayeshcc.models.priors import effective_sample_size

            tag = f" [effective sample size {effective_sample_size(self.prior):.1f} patients, moment method]"
        return f"response rate of each arm ~ {self.prior}{tag}"

    def prepare(self, data: BinaryData) -> Prepared:
        """Responders and patients per arm, control first."""
        self.check_data(data)
        control = self.control or data.control or data.arms[0]
        check_arms(data.arms, [control], field="control")
        arms = (control, *[a for a in data.arms if a != control])
        y = np.array([data.responders[a] for a in arms], dtype=np.int64)
        n = np.array([data.n[a] for a in arms], dtype=np.int64)
        return Prepared(arrays={"responders": y, "n": n}, structure=("binary", arms), arms=arms,
                        control=control, coords={"arm": list(arms)})

    def prior_components(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The prior as a Beta mixture: ``(weights, alpha, beta)``, each of shape ``(K,)`` (K = 1 for a Beta)."""
        comps, w = (self.prior.components, self.prior.weights) if isinstance(self.prior, Mixture) else ((self.prior,), (1.0,))
        return np.array(w), np.array([c.alpha for c in comps], float), np.array([c.beta for c in comps], float)

    def posterior_parameters(self, prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
        """Exact Beta posterior parameters ``(alpha, beta)`` per arm (model order); Beta prior only."""
        if isinstance(self.prior, Mixture):
            raise SpecError("posterior_parameters: the prior is a mixture; use posterior_mixture")
        y, n = self._weighted(prepared.arrays["responders"], prepared.arrays["n"])
        return beta_update(self.prior.alpha, self.prior.beta, y, n)

    def posterior_mixture(self, prepared: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact posterior per arm as a Beta mixture: ``(weights, alpha, beta)``, shape ``(arm, K)``."""
        return self.rate_posterior(prepared.arrays["responders"], prepared.arrays["n"])

    def rate_posterior(self, responders, n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Posterior Beta mixture ``(weights, alpha, beta)`` of a rate after ``responders`` of ``n``
        (any shape ``S``; results ``S + (K,)``). With ``n = 0`` it is the prior."""
        return beta_mixture_update(*self.prior_components(), *self._weighted(responders, n))

    def _weighted(self, responders, n):
        """The counts times the power-prior weight (the counts themselves when it is 1)."""
        w = self.likelihood_weight
        return (responders, n) if w == 1 else (w * np.asarray(responders, float), w * np.asarray(n, float))

    def rate_draws(self, responders, n, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        """Independent draws of the rates, shape ``size + S`` for counts of shape ``S``."""
        w, a, b = self.rate_posterior(responders, n)
        k = w.shape[-1]
        comp = (rng.random((*size, *w.shape[:-1], 1)) > np.cumsum(w, axis=-1)).sum(axis=-1).clip(max=k - 1)
        a_k = np.take_along_axis(np.broadcast_to(a, (*size, *a.shape)), comp[..., None], axis=-1)[..., 0]
        b_k = np.take_along_axis(np.broadcast_to(b, (*size, *b.shape)), comp[..., None], axis=-1)[..., 0]
        return rng.beta(a_k, b_k)

    def pointwise_log_likelihood(self, prepared: Prepared, posterior: xr.Dataset) -> xr.Dataset:
        """Binomial log-likelihood of each arm's count at each draw (one observation per arm)."""
        from scipy import stats

        y, n = prepared.arrays["responders"], prepared.arrays["n"]
        ll = stats.binom.logpmf(y, n, posterior["rate"].values)
        return xr.Dataset({"responders": (("chain", "draw", "arm"), ll)}, coords=posterior["rate"].coords)

    def posterior_draws(self, prepared: Prepared, rng: np.random.Generator, shape: tuple[int, int]) -> xr.Dataset:
        if isinstance(self.prior, Mixture):
            rate = self.rate_draws(prepared.arrays["responders"], prepared.arrays["n"], rng, shape)
        else:  # the Beta path as before, so that seeded draws are unchanged
            a, b = self.posterior_parameters(prepared)
            rate = rng.beta(a, b, size=(*shape, a.size))
        coords = {"chain": np.arange(shape[0]), "draw": np.arange(shape[1]), "arm": list(prepared.arms)}
        return xr.Dataset({"rate": (("chain", "draw", "arm"), rate)}, coords=coords)
