"""Sampling (nutpie or PyMC NUTS) with compiled-model reuse, and the SurvivalFit result."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import xarray as xr

from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.compare import Comparison
    from bayeshcc.diagnostics import Diagnostics

__all__ = ["SurvivalFit", "clear_compiled_cache", "sample"]

_CACHE: OrderedDict[tuple, Any] = OrderedDict()
_CACHE_SIZE = 32


def clear_compiled_cache() -> None:
    """Forget compiled models (the next fit of each structure compiles again)."""
    _CACHE.clear()


@dataclass
class _Compiled:
    model: Any
    nutpie: Any = None


def _compiled(builder, structure: tuple, arrays: dict[str, np.ndarray], sampler: str) -> _Compiled:
    key = (builder._settings, structure)
    entry = _CACHE.get(key)
    if entry is None:
        entry = _Compiled(model=builder._build(structure, arrays))
        _CACHE[key] = entry
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    if sampler == "nutpie" and entry.nutpie is None:
        import nutpie

        entry.nutpie = nutpie.compile_pymc_model(entry.model)
    return entry


def _check_sampling_args(draws: int, tune: int, chains: int, seed: int | None, sampler: str) -> None:
    for name, v, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < low:
            raise SpecError(f"{name} must be a whole number >= {low}, got {v!r}")
    if seed is not None and (not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0):
        raise SpecError(f"seed must be a whole number >= 0 or None, got {seed!r}")
    if sampler not in ("nutpie", "pymc"):
        raise SpecError(f"sampler must be 'nutpie' or 'pymc', got {sampler!r}")


def sample(
    builder,
    structure: tuple,
    arrays: dict[str, np.ndarray],
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int | None,
    sampler: Literal["nutpie", "pymc"],
    progress: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """Sample a model built by ``builder`` for data ``arrays``, reusing a compiled model.

    Returns the InferenceData (posterior and sample_stats, transformed variables removed) and a
    dict with ``seed``, ``sampler`` and wall ``timings`` (seconds for compile and sampling).
    """
    _check_sampling_args(draws, tune, chains, seed, sampler)
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    t0 = time.perf_counter()
    entry = _compiled(builder, structure, arrays, sampler)
    t1 = time.perf_counter()
    if sampler == "nutpie":
        import nutpie

        compiled = entry.nutpie.with_data(**arrays)
        idata = nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=int(seed),
            progress_bar=progress,
            save_warmup=False,
        )
    else:
        import pymc as pm

        with entry.model:
            pm.set_data(arrays)
            idata = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                random_seed=int(seed),
                progressbar=progress,
                compute_convergence_checks=False,
            )
    t2 = time.perf_counter()
    idata = _tidy(idata)
    return idata, {"seed": int(seed), "sampler": sampler, "timings": {"compile": t1 - t0, "sample": t2 - t1}}


def _tidy(idata):
    """Keep posterior and sample_stats; drop transformed (``*__``) variables and warm-up."""
    import arviz as az

    post = idata.posterior
    post = post.drop_vars([v for v in post.data_vars if str(v).endswith("__")])
    used = {d for v in post.data_vars for d in post[v].dims}
    post = post.drop_dims([d for d in post.dims if d not in used])
    groups = {"posterior": post, "sample_stats": idata.sample_stats}
    if "observed_data" in idata.groups():
        groups["observed_data"] = idata.observed_data
    return az.InferenceData(**groups)


@dataclass(eq=False)
class SurvivalFit:
    """Posterior of a survival model fitted to one dataset.

    Attributes
    ----------
    model : PiecewiseExponential
        The model settings that produced this fit.
    data : SurvivalData or IntervalData
    idata : arviz.InferenceData
        Posterior draws with dims ``chain, draw, arm, interval``.
    arms : tuple of str
        Arms, control first.
    control : str
    seed : int
    sampler : str
    timings : dict
        Wall seconds for ``compile`` (0 when a compiled model was reused) and ``sample``.
    """

    model: Any
    data: Any
    idata: Any
    arms: tuple[str, ...]
    control: str
    seed: int
    sampler: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def hazard(self) -> xr.DataArray:
        """Posterior draws of the hazards, dims ``(chain, draw, arm, interval)``."""
        return self.idata.posterior["hazard"]

    @property
    def cutpoints(self) -> np.ndarray:
        """Interval starts of the model."""
        return self.model.cutpoints

    @property
    def time_unit(self) -> str:
        """Unit of time of the data."""
        return self.data.time_unit

    def diagnostics(self, **thresholds: float) -> Diagnostics:
        """Convergence diagnostics (R-hat, bulk and tail ESS, divergences, BFMI) via ArviZ.

        Keyword arguments override thresholds; see :func:`bayeshcc.diagnostics.diagnose`.

        Returns
        -------
        Diagnostics
        """
        from bayeshcc.diagnostics import diagnose

        return diagnose(self.idata, **thresholds)

    def survival(self, times: Sequence[float]) -> xr.DataArray:
        """Posterior draws of S(t), dims ``(chain, draw, arm, time)``."""
        from bayeshcc.compare import survival_draws

        return survival_draws(self.hazard, self.cutpoints, times)

    def compare(
        self,
        *,
        treatment: str,
        control: str,
        times: Sequence[float] | None = None,
        tau: float | None = None,
        prob: float = 0.95,
    ) -> Comparison:
        """Posterior contrasts of ``treatment`` against ``control``.

        Parameters
        ----------
        treatment, control : str
            Arm names.
        times : sequence of float, optional
            Times for survival and survival differences (default: the model's cutpoints after 0
            within the data horizon).
        tau : float, optional
            RMST horizon (default: the largest time within the data horizon among ``times``).
        prob : float
            Interval mass used by the summary (default 0.95).

        Returns
        -------
        Comparison
        """
        from bayeshcc.compare import compare_survival

        return compare_survival(self, treatment=treatment, control=control, times=times, tau=tau, prob=prob)

    def __repr__(self) -> str:
        return (
            f"SurvivalFit({self.model!r}; {self.data!r}; "
            f"{self.idata.posterior.sizes['chain']} chains x {self.idata.posterior.sizes['draw']} "
            f"draws, sampler={self.sampler}, seed={self.seed})"
        )
