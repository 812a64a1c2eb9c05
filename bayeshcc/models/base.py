"""The seam every model family shares: settings as a frozen dataclass, ``fit`` written once.

``Model.fit(data)`` = :meth:`~Model.prepare` (numpy only; every ``DataError`` is raised here,
before PyMC is touched) -> :func:`bayeshcc.sampling.sample` (compiled-model cache keyed by the
model and the prepared ``structure``) -> the family's result class -> convergence check.
``ExactModel`` is the same for families whose posterior is closed form (``sampler="exact"``).
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from bayeshcc.errors import ConvergenceWarning, DataError, SpecError

if TYPE_CHECKING:
    import pymc as pm

    from bayeshcc.models._density import Density
    from bayeshcc.results.fit import Fit

__all__ = ["ExactModel", "Model", "Prepared"]


@dataclass(frozen=True, eq=False)
class Prepared:
    """Data turned into what a family's PyMC model (or closed form) reads.

    Attributes
    ----------
    arrays : dict of str -> numpy.ndarray
        Values of the model's ``pm.Data`` containers (or the closed form's inputs).
    structure : tuple
        Hashable description of everything that fixes the model graph (arms, shapes, row kinds):
        data with the same structure reuse one compiled model.
    arms : tuple of str
        Arms in model order (control first where the family has a control).
    control : str or None
    coords : dict
        PyMC coordinates (``arm``, ``interval``, ...).
    extra : dict
        Other arrays a family keeps for itself (not model data), e.g. per-patient times for a
        patient-level log-likelihood.
    """

    arrays: dict[str, np.ndarray]
    structure: tuple
    arms: tuple[str, ...]
    control: str | None = None
    coords: dict[str, list] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)


class _Base(ABC):
    family: ClassVar[str] = ""
    endpoint: ClassVar[str] = ""
    data_types: ClassVar[tuple[type, ...]] = ()
    samplers: ClassVar[tuple[str, ...]] = ()

    def check_data(self, data: Any) -> None:
        """Raise DataError unless ``data`` is of a type this family fits."""
        if not isinstance(data, self.data_types):
            names = " or ".join(t.__name__ for t in self.data_types)
            raise DataError(f"{type(self).__name__} fits {names}, got {type(data).__name__}")

    def coerce(self, data: Any) -> Any:
        """The data in the form the family fits (e.g. a list of sources gathered into one object)."""
        return data

    def bind(self, data: Any) -> _Base:
        """This model with any data-dependent settings resolved (e.g. cutpoints at quantiles)."""
        return self

    @abstractmethod
    def prepare(self, data: Any) -> Prepared:
        """Validate ``data`` against the settings and turn it into arrays (no PyMC)."""

    @abstractmethod
    def describe(self) -> str:
        """The settings and priors in words, for reprs and CLI output."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"

    def prior_text(self, prepared: Prepared, time_unit: str = "time units") -> str:
        """The priors as applied to this data (defaults resolved), for the fit's repr and the CLI."""
        return self.describe()

    def check_compare(self, data: Any, prepared: Prepared, **settings: Any) -> None:
        """Check comparison settings (``compare``'s keywords) against the data, before any sampling.

        The base checks the arms; families add what their comparison needs (times, horizons).
        """
        from bayeshcc.results.fit import resolve_pair

        resolve_pair(prepared.arms, prepared.control, settings.get("treatment"), settings.get("control"))

    def _result(self, data: Any, prepared: Prepared, idata: Any, info: dict) -> Fit:
        priors = self.prior_text(prepared, getattr(data, "time_unit", "time units"))
        return self.result(model=self, data=data, idata=idata, arms=prepared.arms,
                           control=prepared.control, priors=priors, **info)


class Model(_Base):
    """Base of MCMC model families (frozen dataclass subclasses).

    Subclasses set ``family`` (the spec name), ``endpoint``, ``data_types`` and ``result`` (the
    result class) and implement :meth:`prepare`, :meth:`build` and :meth:`describe`.
    """

    samplers: ClassVar[tuple[str, ...]] = ("nutpie", "pymc")

    @abstractmethod
    def build(self, prepared: Prepared) -> pm.Model:
        """The PyMC model, with the data in ``pm.Data`` containers named as ``prepared.arrays``."""

    def density(self, prepared: Prepared) -> Density | None:
        """The posterior's log density written in numpy (for ``sampler="numpy"``), or None where the
        family has none for these settings and data (the default)."""
        return None

    def has_density(self, data: Any) -> bool:
        """Whether :meth:`density` has a numpy form for ``data`` with these settings, i.e. whether
        ``sampler="numpy"`` can fit it (prepares the data; no PyMC)."""
        if "numpy" not in self.samplers:
            return False
        data = self.coerce(data)
        self.check_data(data)
        model = self.bind(data)
        with warnings.catch_warnings():  # the fit that follows prepares again and warns there
            warnings.simplefilter("ignore")
            return model.density(model.prepare(data)) is not None

    def pointwise_log_likelihood(self, prepared: Prepared, posterior) -> Any:
        """Log-likelihood of each observation at each draw (a Dataset), or None to let PyMC compute
        it from the model's observed variables. Families override this where PyMC's observations
        are not the natural LOO unit (e.g. patients summarised into Poisson cells)."""
        return None

    def build_model(self, data: Any) -> pm.Model:
        """The PyMC model for ``data`` (prepare, then build)."""
        data = self.coerce(data)
        self.check_data(data)
        model = self.bind(data)
        return model.build(model.prepare(data))

    def fit(
        self,
        data: Any,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        seed: int | None = None,
        sampler: Literal["nutpie", "pymc", "numpy"] = "nutpie",
        progress: bool = False,
        log_likelihood: bool = False,
        check_convergence: bool = True,
    ) -> Fit:
        """Sample the posterior.

        Parameters
        ----------
        data
            A container of one of the family's ``data_types``.
        draws, tune, chains : int
            Posterior draws and warm-up iterations per chain, and the number of chains.
        seed : int, optional
            Random seed; the same seed gives the same draws. If omitted, one is drawn from fresh
            entropy and recorded in ``fit.seed``.
        sampler : {"nutpie", "pymc", "numpy"}
            ``"nutpie"``: nutpie's NUTS on the PyMC model compiled by numba (10-30 s to compile in
            each new process; a refit of the same structure then takes about 0.15 s: the choice
            for loops over many datasets). ``"pymc"``: PyMC's NUTS on PyTensor's C code (cached on
            disk across processes). ``"numpy"``: nutpie's NUTS on the family's log density written
            in numpy (:meth:`density`): nothing to compile, the fastest one-off fit; SpecError for
            families or settings without one. See ``benchmarks/RESULTS.md``.
        progress : bool
            Show the sampler's progress bar.
        log_likelihood : bool
            Add the pointwise log-likelihood group (needed by ``fit.loo()``).
        check_convergence : bool
            Diagnose after sampling and emit a :class:`~bayeshcc.ConvergenceWarning` if any check
            fails (default). Only loops that diagnose fits themselves turn it off.

        Returns
        -------
        Fit
            The family's result class.

        Notes
        -----
        The compiled model is cached by the model's settings and the data's structure, so refitting
        new data of the same shape skips compilation.
        """
        from bayeshcc import sampling

        sampling.check_args(draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler,
                            allowed=self.samplers)
        data = self.coerce(data)
        self.check_data(data)
        self = self.bind(data)  # noqa: PLW0642 - the fit reports the settings actually used
        prepared = self.prepare(data)
        idata, info = sampling.sample(
            self, prepared, draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler,
            progress=progress,
        )
        if log_likelihood:
            ll = self.pointwise_log_likelihood(prepared, idata.posterior)
            idata.add_groups(log_likelihood=ll if ll is not None else sampling.pymc_log_likelihood(self, prepared, idata))
        fit = self._result(data, prepared, idata, info)
        if check_convergence:
            diag = fit.diagnostics()
            if not diag.ok:
                warnings.warn(diag.verdict(), ConvergenceWarning, stacklevel=2)
        return fit


class ExactModel(_Base):
    """Base of families whose posterior is closed form: independent draws, no MCMC.

    Subclasses implement :meth:`posterior_draws` (independent draws from the exact posterior as an
    ``xarray.Dataset`` with dims ``chain, draw, ...``).
    """

    samplers: ClassVar[tuple[str, ...]] = ("exact",)

    @abstractmethod
    def posterior_draws(self, prepared: Prepared, rng: np.random.Generator, shape: tuple[int, int]):
        """Independent posterior draws, an ``xarray.Dataset`` with leading dims ``(chain, draw)``."""

    def pointwise_log_likelihood(self, prepared: Prepared, posterior) -> Any:
        """Log-likelihood of each observation at each draw (an ``xarray.Dataset``), for LOO.

        Families that support ``log_likelihood=True`` override this.
        """
        raise SpecError(f"log_likelihood: {type(self).__name__} does not compute a pointwise log-likelihood")

    def fit(
        self,
        data: Any,
        *,
        draws: int = 1000,
        chains: int = 4,
        seed: int | None = None,
        sampler: Literal["exact"] = "exact",
        tune: int = 0,
        progress: bool = False,
        log_likelihood: bool = False,
        check_convergence: bool = True,
    ) -> Fit:
        """Draw from the exact posterior.

        Parameters
        ----------
        data
            A container of one of the family's ``data_types``.
        draws, chains : int
            Independent draws are arranged as ``chains x draws`` (like MCMC output, so ArviZ and
            every summary treat them alike).
        seed : int, optional
        sampler : {"exact"}
        tune : int
            Accepted (and checked) so that one ``[fit]`` table serves every family; independent
            draws need no warm-up, so it is not used.
        progress, check_convergence : bool
            Accepted for the same reason; there is nothing to show or to converge.
        log_likelihood : bool
            Add the pointwise log-likelihood group (needed by ``fit.loo()``).

        Returns
        -------
        Fit
        """
        import time

        import arviz as az

        from bayeshcc import sampling

        sampling.check_args(draws=draws, tune=tune, chains=chains, seed=seed, sampler=sampler,
                            allowed=self.samplers)
        self.check_data(data)
        prepared = self.prepare(data)
        seed = sampling.resolve_seed(seed)
        t0 = time.perf_counter()
        post = self.posterior_draws(prepared, np.random.default_rng(seed), (chains, draws))
        groups = {"posterior": post}
        if log_likelihood:
            groups["log_likelihood"] = self.pointwise_log_likelihood(prepared, post)
        idata = az.InferenceData(**groups)
        info = {"seed": seed, "sampler": "exact", "timings": {"compile": 0.0, "sample": time.perf_counter() - t0}}
        return self._result(data, prepared, idata, info)
