"""Helpers for tests and examples: fake posteriors with known answers.

Nothing here samples; it builds result objects from given draws so that downstream code
(comparisons, plots) can be checked against closed-form answers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = ["fake_survival_fit"]


def fake_survival_fit(
    hazard: np.ndarray,
    *,
    cutpoints: Sequence[float],
    data,
    arms: Sequence[str] | None = None,
    effect: str = "per_arm",
):
    """A :class:`bayeshcc.SurvivalFit` whose posterior is the given hazard draws.

    Parameters
    ----------
    hazard : numpy.ndarray
        Draws of shape ``(chain, draw, arm, interval)``.
    cutpoints : sequence of float
    data : SurvivalData or IntervalData
        Supplies arms, horizons and time unit.
    arms : sequence of str, optional
        Arm order of ``hazard`` (default ``data.arms``).
    effect : {"per_arm", "proportional"}
    """
    import arviz as az

    from bayeshcc.fit import SurvivalFit
    from bayeshcc.models import PiecewiseExponential
    from bayeshcc.models.piecewise_exponential import _interval_labels

    arms = tuple(arms) if arms is not None else tuple(data.arms)
    model = PiecewiseExponential(cutpoints=cutpoints, effect=effect, control=arms[0])
    h = np.asarray(hazard, dtype=float)
    da = xr.DataArray(
        h,
        dims=("chain", "draw", "arm", "interval"),
        coords={
            "chain": np.arange(h.shape[0]),
            "draw": np.arange(h.shape[1]),
            "arm": list(arms),
            "interval": _interval_labels(model.cutpoints),
        },
    )
    idata = az.InferenceData(posterior=xr.Dataset({"hazard": da}))
    return SurvivalFit(model=model, data=data, idata=idata, arms=arms, control=arms[0], seed=0, sampler="none")
