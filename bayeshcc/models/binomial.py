"""Binomial response: exact Beta posteriors per arm (a conjugate ``ExactModel``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from bayeshcc.conjugate import beta_update
from bayeshcc.data import BinaryData
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import SpecError
from bayeshcc.models.base import ExactModel, Prepared
from bayeshcc.models.priors import Beta
from bayeshcc.results.response import ResponseFit

__all__ = ["BinomialResponse"]


@dataclass(frozen=True, kw_only=True, repr=False)
class BinomialResponse(ExactModel):
    """Response rate per arm with a Beta prior: the posterior is Beta in closed form.

    Parameters
    ----------
    prior : Beta, default ``Beta(1, 1)``
        Prior of every arm's response rate (uniform by default; ``Beta(0.5, 0.5)`` is Jeffreys').
        The same prior for every arm, so no arm is favoured.
    control : str, optional
        Reference arm of comparisons; defaults to the control the data name (bundled studies do),
        else the first arm of the data.

    Notes
    -----
    With ``y_a`` responders of ``n_a`` in arm ``a`` and prior Beta(alpha, beta), the posterior
    of the rate is Beta(alpha + y_a, beta + n_a - y_a), independently across arms. ``fit``
    draws from it exactly (``sampler="exact"``); contrasts (risk difference, risk ratio, odds
    ratio) follow from the draws, and :meth:`ResponseFit.exact_posterior` gives the closed form.

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

    prior: Beta = Beta(1.0, 1.0)
    control: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.prior, Beta):
            raise SpecError(f"prior must be a bh.Beta(alpha, beta) for a response rate, got {self.prior!r}")
        if isinstance(self.control, int) and not isinstance(self.control, bool):
            object.__setattr__(self, "control", str(self.control))  # numeric arm codes, stored as text
        if self.control is not None and not isinstance(self.control, str):
            raise SpecError(f"control must be an arm name (str, or an integer code), got {self.control!r}")

    def describe(self) -> str:
        control = f", control={self.control!r}" if self.control is not None else ""
        return f"prior={self.prior}{control}"

    def prior_text(self, prepared: Prepared, time_unit: str = "time units") -> str:
        """The prior as applied: the same Beta on every arm's response rate."""
        tag = " [default]" if self.prior == Beta(1.0, 1.0) else ""
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

    def posterior_parameters(self, prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
        """Exact Beta posterior parameters ``(alpha, beta)`` per arm (model order)."""
        return beta_update(self.prior.alpha, self.prior.beta, prepared.arrays["responders"], prepared.arrays["n"])

    def pointwise_log_likelihood(self, prepared: Prepared, posterior: xr.Dataset) -> xr.Dataset:
        """Binomial log-likelihood of each arm's count at each draw (one observation per arm)."""
        from scipy import stats

        y, n = prepared.arrays["responders"], prepared.arrays["n"]
        ll = stats.binom.logpmf(y, n, posterior["rate"].values)
        return xr.Dataset({"responders": (("chain", "draw", "arm"), ll)}, coords=posterior["rate"].coords)

    def posterior_draws(self, prepared: Prepared, rng: np.random.Generator, shape: tuple[int, int]) -> xr.Dataset:
        a, b = self.posterior_parameters(prepared)
        rate = rng.beta(a, b, size=(*shape, a.size))
        coords = {"chain": np.arange(shape[0]), "draw": np.arange(shape[1]), "arm": list(prepared.arms)}
        return xr.Dataset({"rate": (("chain", "draw", "arm"), rate)}, coords=coords)
