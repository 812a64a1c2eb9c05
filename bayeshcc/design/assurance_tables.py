"""Assurance tables from per-trial results: success averaged over the design prior, the prior
probability of benefit, and how the final effect estimate of successful trials compares with
their true effect ("how much a win overstates the effect").

Both read ``SimulationResult.trials`` (the ``true_*`` and ``estimated_*`` variables that
:func:`~bayeshcc.design.simulate` records) and carry the scenario (its design prior and discount),
engine, seed and number of trials in ``DataFrame.attrs``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.design._mcse import _median, _proportion
from bayeshcc.errors import SpecError

__all__ = ["assurance_table", "estimates_among_successes"]

_ATTRS = ("scenario", "design_prior", "discount", "engine", "seed", "looks")


def _attrs(trials: xr.Dataset, **extra) -> dict:
    return {"n_trials": int(trials.sizes["trial"]), **{k: trials.attrs[k] for k in _ATTRS if k in trials.attrs},
            **extra}


def _truth(trials: xr.Dataset) -> tuple[str, np.ndarray]:
    """The endpoint's true effect per trial and what benefit means."""
    if "true_hazard_ratio" in trials:
        return "true HR < 1", trials["true_hazard_ratio"].values < 1
    if "true_response_treatment" in trials:
        t, c = trials["true_response_treatment"].values, trials["true_response_control"].values
        return "true p_treatment > p_control", t > c
    raise SpecError("trials: these results have no true values per trial (true_hazard_ratio or "
                    "true_response_*); simulate them again with this version of bayeshcc")


def assurance_table(trials: xr.Dataset) -> pd.DataFrame:
    """Assurance and the prior probability of benefit, with Monte Carlo standard errors.

    Parameters
    ----------
    trials : xarray.Dataset
        ``SimulationResult.trials``.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate`` and ``mcse``; rows ``assurance`` (P(success) averaged over the
        design prior: each trial had its own truth), ``prior_prob_benefit`` (share of trials whose
        truth is a benefit: true HR < 1, or a higher treatment response rate),
        ``p_success_given_benefit`` and ``p_success_given_no_benefit`` (success among those
        trials, and among the others: a type I error averaged over the truths without benefit).
        With a fixed scenario, assurance is the power and the prior probability 0 or 1.

    Notes
    -----
    Assurance (O'Hagan, Stevens and Campbell 2005) is :math:`\\int P(\\text{success} \\mid \\theta)
    \\, p_d(\\theta) d\\theta` for the design prior :math:`p_d`; for a normal log HR centred on
    benefit or no effect it never exceeds the prior probability of benefit. MCSEs are binomial (as in
    :func:`~bayeshcc.design.oc.operating_characteristics`).
    """
    benefit_means, benefit = _truth(trials)
    success = trials["decision"].values == 1
    rows = {
        "assurance": _proportion(success),
        "prior_prob_benefit": _proportion(benefit),
        "p_success_given_benefit": _proportion(success[benefit]),
        "p_success_given_no_benefit": _proportion(success[~benefit]),
    }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "mcse"])
    table.index.name = "quantity"
    table.attrs.update(_attrs(trials, benefit=benefit_means))
    return table


def estimates_among_successes(
    trials: xr.Dataset, quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)
) -> pd.DataFrame:
    """Final effect estimates of successful trials against their true effects.

    Parameters
    ----------
    trials : xarray.Dataset
        ``SimulationResult.trials``.
    quantiles : sequence of float
        Quantile levels in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``quantile``. Survival: ``estimated_hazard_ratio`` (exp of the posterior mean
        log HR at the stopping look), ``true_hazard_ratio`` and ``ratio_estimated_to_true`` (per
        trial; below 1 where a win overstates a benefit). Response: ``estimated_risk_difference``,
        ``true_risk_difference`` and ``difference_estimated_minus_true``. ``attrs`` holds
        ``n_successes`` and the median of the per-trial ratio (difference) with its MCSE
        (``median_ratio`` / ``median_difference`` and ``..._mcse``).
    """
    q = np.asarray(quantiles, dtype=float) if not isinstance(quantiles, str) else np.array([np.nan])
    if q.ndim != 1 or q.size == 0 or not np.all((q > 0) & (q < 1)):
        raise SpecError(f"quantiles: expected levels strictly between 0 and 1, got {quantiles!r}")
    _truth(trials)
    win = trials["decision"].values == 1
    if "true_hazard_ratio" in trials:
        est = trials["estimated_hazard_ratio"].values[win]
        true = trials["true_hazard_ratio"].values[win]
        cols = {"estimated_hazard_ratio": est, "true_hazard_ratio": true, "ratio_estimated_to_true": est / true}
        key, summary = "median_ratio", est / true
    else:
        est = trials["estimated_risk_difference"].values[win]
        true = trials["true_response_treatment"].values[win] - trials["true_response_control"].values[win]
        cols = {"estimated_risk_difference": est, "true_risk_difference": true,
                "difference_estimated_minus_true": est - true}
        key, summary = "median_difference", est - true
    data = {k: (np.quantile(v, q) if v.size else np.full(q.size, np.nan)) for k, v in cols.items()}
    table = pd.DataFrame(data, index=pd.Index(q, name="quantile"))
    med, se = _median(summary)
    table.attrs.update(_attrs(trials, n_successes=int(win.sum()), **{key: med, f"{key}_mcse": se}))
    return table
