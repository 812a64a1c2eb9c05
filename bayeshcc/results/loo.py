"""``compare_models``: PSIS-LOO comparison of fits to the same data (ArviZ's ``compare``)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from bayeshcc.errors import DataError, SpecError

__all__ = ["compare_models"]


def compare_models(fits: Mapping[str, object], *, scale: str = "log") -> pd.DataFrame:
    """Rank fits of the same data by expected log predictive density (PSIS-LOO).

    Parameters
    ----------
    fits : mapping of name -> Fit
        Fits with a pointwise log-likelihood (``log_likelihood=True``) of the same observations,
        e.g. one survival dataset under different cutpoints, priors or effect structures.
    scale : {"log", "negative_log", "deviance"}
        ArviZ's scale of the ELPD (default ``"log"``: higher is better).

    Returns
    -------
    pandas.DataFrame
        ArviZ's comparison table, one row per fit, best first: ``rank, elpd_loo, p_loo,
        elpd_diff, weight, se, dse, warning, scale``. ``warning`` is True where a Pareto k is
        above 0.7 (the LOO estimate is then unreliable; ArviZ also warns). ``elpd_diff`` and its
        standard error ``dse`` are the evidence for a difference: a difference within about two
        ``dse`` is not one.

    Notes
    -----
    Patient-level survival fits contribute one term per patient (the exact piecewise-exponential
    likelihood, which does not depend on where the cutpoints are), so models with different
    cutpoints compare fairly; life tables contribute one term per row.
    """
    from bayeshcc.diagnostics import loo_compare

    if not isinstance(fits, Mapping) or len(fits) < 2:
        raise SpecError("compare_models: give a mapping of at least two names to fits")
    sizes = {}
    for name, fit in fits.items():
        idata = getattr(fit, "idata", None)
        if idata is None or "log_likelihood" not in idata.groups():
            raise SpecError(f"compare_models: fit {name!r} has no pointwise log-likelihood; fit it with "
                            "log_likelihood=True")
        # the likelihood terms and their observation counts identify the data (e.g. 'patients': 432)
        sizes[name] = {k: int(v.size // (v.sizes["chain"] * v.sizes["draw"]))
                       for k, v in idata.log_likelihood.data_vars.items()}
    if len({tuple(sorted(v.items())) for v in sizes.values()}) > 1:
        raise DataError(f"compare_models: the fits' pointwise log-likelihoods differ {sizes}; LOO compares "
                        "fits of the same observations only")
    return loo_compare({name: fit.idata for name, fit in fits.items()}, scale=scale)
