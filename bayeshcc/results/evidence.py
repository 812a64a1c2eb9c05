"""The published figure beside its posterior counterpart, for fits to published evidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc import piecewise
from bayeshcc.diagnostics import bound_names, check_prob

__all__ = ["evidence_table"]


def evidence_table(fit, prob: float = 0.95) -> pd.DataFrame:
    """Each piece of published evidence a survival fit used, beside the model's posterior for it.

    Parameters
    ----------
    fit : SurvivalFit
        A fit to :class:`~bayeshcc.data.evidence.Sources` (a SurvivalSummary, evidence objects,
        or a list of sources); other fits give an empty table.
    prob : float
        Mass of the posterior equal-tailed interval.

    Returns
    -------
    pandas.DataFrame
        Columns ``evidence, quantity, arm, time, published, published_lower, published_upper,
        posterior_median, eti{P}_lower, eti{P}_upper``: hazard ratios (the paper's treatment vs
        control), medians (not truncated at any horizon: the model's median) and landmark survival.
    """
    from bayeshcc.data.evidence import (
        HazardRatioEvidence,
        LandmarkEvidence,
        MedianEvidence,
        Sources,
    )

    check_prob(prob)
    lo_name, hi_name = bound_names(prob)
    cols = ["evidence", "quantity", "arm", "time", "published", "published_lower", "published_upper",
            "posterior_median", lo_name, hi_name]
    if not isinstance(fit.data, Sources):
        return pd.DataFrame(columns=cols)
    hz = fit.hazard.transpose("chain", "draw", "arm", "interval")
    c = fit.cutpoints
    q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]

    def h(arm: str) -> np.ndarray:
        return hz.sel(arm=arm).values.reshape(-1, hz.sizes["interval"])

    rows = []
    for s in fit.data.sources:
        if isinstance(s, HazardRatioEvidence):
            x = h(s.treatment)[:, 0] / h(s.control)[:, 0]
            lo, med, hi = np.quantile(x, q)
            rows.append((str(s), "hazard_ratio", f"{s.treatment} vs {s.control}", np.nan, s.estimate,
                         s.lower, s.upper, med, lo, hi))
        elif isinstance(s, MedianEvidence):
            x = piecewise.median_survival(h(s.arm), c)
            lo, med, hi = np.quantile(x, q)
            rows.append((str(s), "median", s.arm, np.nan, s.estimate, s.lower, s.upper, med, lo, hi))
        elif isinstance(s, LandmarkEvidence):
            surv = piecewise.survival(h(s.arm), c, np.asarray(s.times))
            for j, (t, v) in enumerate(zip(s.times, s.survival, strict=True)):
                lo, med, hi = np.quantile(surv[:, j], q)
                rows.append((str(s), "survival", s.arm, t, v, None, None, med, lo, hi))
    out = pd.DataFrame(rows, columns=cols)
    for c in ("published_lower", "published_upper"):  # NaN where the paper gives no interval
        out[c] = pd.to_numeric(out[c]).astype(float)
    return out
