"""Sampling: the compiled-model cache, the three NUTS paths, seeds, pointwise log-likelihood.

``"nutpie"`` (PyMC model compiled by numba) and ``"pymc"`` (PyMC's NUTS on PyTensor's C code) go
through the cache, keyed by ``(model, structure)``: a model's settings (a frozen dataclass, so
hashable) and the hashable structure of its prepared data. Refitting new data of the same structure
reuses the compiled model and only swaps the ``pm.Data`` values. ``"numpy"`` compiles nothing: nutpie's
NUTS samples the family's numpy log density (``Model.density``), so no PyMC model is built at all.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.models._density import Density
    from bayeshcc.models.base import Model, Prepared

__all__ = ["MAX_DRAWS", "MAX_SEED", "check_args", "clear_compiled_cache", "resolve_seed", "sample"]

_CACHE: OrderedDict[tuple, _Compiled] = OrderedDict()
_CACHE_SIZE = 32
#: Largest ``chains * (draws + tune)`` accepted: beyond it a fit would not fit in memory or time.
MAX_DRAWS = 10_000_000
#: Largest seed (samplers take 64-bit seeds; netCDF attributes hold signed 64-bit integers).
MAX_SEED = 2**63 - 1


@dataclass
class _Compiled:
    model: Any
    nutpie: Any = None


def clear_compiled_cache() -> None:
    """Forget compiled models (the next fit of each structure compiles again)."""
    _CACHE.clear()


def check_args(*, draws: int, tune: int, chains: int, seed: int | None, sampler: str,
               allowed: Sequence[str] = ("nutpie", "pymc", "numpy")) -> None:
    """Raise SpecError for sampler settings that are not whole numbers in range, or an unknown sampler."""
    for name, v, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < low:
            raise SpecError(f"{name} must be a whole number >= {low}, got {v!r}")
    if chains * (draws + tune) > MAX_DRAWS:
        raise SpecError(
            f"chains x (draws + tune) = {chains * (draws + tune):,} exceeds the limit of {MAX_DRAWS:,}"
        )
    if seed is not None and (not isinstance(seed, int | np.integer) or isinstance(seed, bool)
                             or not 0 <= seed <= MAX_SEED):
        raise SpecError(f"seed must be a whole number from 0 to 2**63 - 1, or None; got {seed!r}")
    if sampler not in allowed:
        raise SpecError(f"sampler must be one of {list(allowed)}, got {sampler!r}")


def resolve_seed(seed: int | None) -> int:
    """``seed``, or a fresh one from entropy (recorded in the fit) when it is None."""
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    return int(seed)


def _compiled(model: Model, prepared: Prepared, sampler: str) -> _Compiled:
    key = (model, prepared.structure)
    entry = _CACHE.get(key)
    if entry is None:
        entry = _Compiled(model=model.build(prepared))
        _CACHE[key] = entry
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    _CACHE.move_to_end(key)
    if sampler == "nutpie" and entry.nutpie is None:
        import nutpie

        entry.nutpie = nutpie.compile_pymc_model(entry.model)
    return entry


def sample(
    model: Model,
    prepared: Prepared,
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int | None,
    sampler: str,
    progress: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """Sample ``model`` on ``prepared`` data, reusing a compiled model.

    Returns
    -------
    idata : arviz.InferenceData
        ``posterior`` (transformed ``*__`` variables removed) and ``sample_stats``.
    info : dict
        ``seed``, ``sampler`` and wall ``timings`` (seconds for ``compile``, 0 when a compiled
        model was reused, and ``sample``).
    """
    seed = resolve_seed(seed)
    arrays = prepared.arrays
    # a family may ask for a higher acceptance target (smaller steps) than the samplers' 0.8
    target = getattr(model, "target_accept", None)
    extra = {} if target is None else {"target_accept": target}
    t0 = time.perf_counter()
    if sampler == "numpy":
        density = model.density(prepared)
        if density is None:
            raise SpecError(f"sampler='numpy': {type(model).__name__}({model.describe()}) has no numpy log density "
                            "for these settings and data; use sampler='nutpie' or 'pymc'")
        t1 = time.perf_counter()
        idata = _sample_density(density, draws=draws, tune=tune, chains=chains, seed=seed, progress=progress,
                                **extra)
        t2 = time.perf_counter()
        return _tidy(idata), {"seed": seed, "sampler": sampler, "timings": {"compile": t1 - t0, "sample": t2 - t1}}
    entry = _compiled(model, prepared, sampler)
    t1 = time.perf_counter()
    if sampler == "nutpie":
        import nutpie

        idata = nutpie.sample(
            entry.nutpie.with_data(**arrays), draws=draws, tune=tune, chains=chains, seed=seed,
            progress_bar=progress, save_warmup=False, **extra,
        )
    else:
        import pymc as pm

        with entry.model:
            pm.set_data(arrays)
            idata = pm.sample(
                draws=draws, tune=tune, chains=chains, random_seed=seed, progressbar=progress,
                compute_convergence_checks=False, **extra,
            )
    t2 = time.perf_counter()
    idata = _tidy(idata)
    return idata, {"seed": seed, "sampler": sampler, "timings": {"compile": t1 - t0, "sample": t2 - t1}}


def _sample_density(density: Density, *, draws: int, tune: int, chains: int, seed: int, progress: bool,
                    **settings: Any):
    """nutpie's NUTS on a numpy :class:`~bayeshcc.models._density.Density` (one thread: the density
    holds the GIL, so more threads only contend for it)."""
    import nutpie
    from nutpie.compiled_pyfunc import from_pyfunc

    names = list(density.shapes)

    def make_logp():
        return _guarded(density)

    def make_expand(seed1, seed2, chain):
        def expand(x, **_):
            with np.errstate(all="ignore"):
                return {k: np.asarray(v, dtype=np.float64, order="C") for k, v in density.expand(x).items()}

        return expand

    def initial_point(chain_seed):  # the priors' centres, jittered by U(-1, 1) as PyMC's "jitter+adapt_diag" jitters
        return density.centre + np.random.default_rng(chain_seed).uniform(-1.0, 1.0, density.ndim)

    compiled = from_pyfunc(
        density.ndim, make_logp, make_expand, [np.dtype("float64")] * len(names),
        [density.shapes[n] for n in names], names, coords=density.coords,
        dims={n: density.dims[n] for n in names if density.dims[n]}, make_initial_point_fn=initial_point,
    )
    return nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, seed=seed, cores=1,
                         progress_bar=progress, save_warmup=False, **settings)


def _guarded(density: Density):
    """nutpie's callback: ``(log density, gradient)`` with numpy's floating-point warnings off, and
    ``(-inf, zeros)`` where the density is not finite (far out in the tails, where a hazard or a
    survival probability under- or overflows): nutpie rejects the point (a divergence)."""
    logp_grad, zeros = density.logp_grad, np.zeros(density.ndim)

    def logp(x, **_):
        with np.errstate(all="ignore"):
            lp, grad = logp_grad(x)
        if not math.isfinite(lp):
            return -math.inf, zeros.copy()
        return lp, np.ascontiguousarray(grad, dtype=np.float64)

    return logp


def pymc_log_likelihood(model: Model, prepared: Prepared, idata) -> Any:
    """Pointwise log-likelihood of every observed variable at every draw (PyMC), as a Dataset."""
    import pymc as pm

    entry = _compiled(model, prepared, "pymc")
    with entry.model:
        pm.set_data(prepared.arrays)
        out = pm.compute_log_likelihood(idata, extend_inferencedata=False, progressbar=False)
    return out


def _tidy(idata):
    """Keep posterior and sample_stats; drop transformed (``*__``) variables and unused dims."""
    import arviz as az

    post = idata.posterior
    post = post.drop_vars([v for v in post.data_vars if str(v).endswith("__")])
    used = {d for v in post.data_vars for d in post[v].dims}
    post = post.drop_dims([d for d in post.dims if d not in used])
    return az.InferenceData(posterior=post, sample_stats=idata.sample_stats)
