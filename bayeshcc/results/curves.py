"""Tables behind the survival plots: hazard and hazard-ratio steps, numbers at risk.

Pure functions of a fit or of the data; the plots in :mod:`bayeshcc.plots` only draw them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from bayeshcc.diagnostics import bound_names, check_prob
from bayeshcc.errors import SpecError

__all__ = ["hazard_bands", "hazard_ratio_bands", "numbers_at_risk"]


def hazard_bands(fit, *, prob: float = 0.95) -> pd.DataFrame:
    """Posterior median and equal-tailed interval of each arm's hazard in each interval.

    Parameters
    ----------
    fit : SurvivalFit
    prob : float
        Interval mass (default 0.95); the bound columns name it, e.g. ``eti95_lower``.

    Returns
    -------
    pandas.DataFrame
        One row per arm and interval: ``arm, interval, start, end, median, eti{P}_lower,
        eti{P}_upper, beyond_data, prob, unit``. ``end`` of the open last interval is the
        latest arm horizon (or one interval width past its start when that is later), so the step
        can be drawn; ``beyond_data`` marks intervals starting at or after the arm's horizon,
        where the posterior is the prior's. Hazards are per unit of the data's time.
    """
    check_prob(prob)
    h = fit.hazard.transpose("arm", "interval", "chain", "draw")
    draws = h.values.reshape(*h.shape[:2], -1)
    arms = [str(a) for a in h.coords["arm"].values]
    return _steps(fit, draws, arms, prob, {a: fit.data.horizon.get(a, np.inf) for a in arms})


def hazard_ratio_bands(fit, *, treatment: str | None = None, control: str | None = None,
                       prob: float = 0.95) -> pd.DataFrame:
    """Posterior median and equal-tailed interval of the hazard ratio in each interval.

    Parameters
    ----------
    fit : SurvivalFit
    treatment, control : str, optional
        Arms (defaults as :meth:`SurvivalFit.compare`).
    prob : float
        Interval mass (default 0.95).

    Returns
    -------
    pandas.DataFrame
        One row per interval, as :func:`hazard_bands` with ``arm`` the label
        ``"treatment vs control"``; ``beyond_data`` where either arm has no one at risk. Under a
        proportional effect every interval has the same draws, so the steps form one flat line.
    """
    check_prob(prob)
    treatment, control = fit.pair(treatment, control)
    h = fit.hazard.transpose("arm", "interval", "chain", "draw")
    ratio = (h.sel(arm=treatment) / h.sel(arm=control)).values
    horizon = min(fit.data.horizon.get(treatment, np.inf), fit.data.horizon.get(control, np.inf))
    label = f"{treatment} vs {control}"
    return _steps(fit, ratio.reshape(1, ratio.shape[0], -1), [label], prob, {label: horizon})


def _steps(fit, draws: np.ndarray, labels: list[str], prob: float, horizon: dict) -> pd.DataFrame:
    """Quantiles of ``draws`` (label, interval, sample) as step rows with interval bounds."""
    c = np.asarray(fit.cutpoints, dtype=float)
    latest = max(fit.data.horizon.values(), default=c[-1])
    last_end = max(latest, c[-1] + (c[-1] - c[-2] if c.size > 1 else max(latest, 1.0)))
    ends = np.append(c[1:], last_end)
    lo, med, hi = np.quantile(draws, [(1 - prob) / 2, 0.5, (1 + prob) / 2], axis=-1)
    lo_name, hi_name = bound_names(prob)
    intervals = [str(x) for x in fit.hazard.coords["interval"].values]
    parts = [pd.DataFrame({"arm": lab, "interval": intervals, "start": c, "end": ends, "median": med[i],
                           lo_name: lo[i], hi_name: hi[i], "beyond_data": c >= horizon[lab]})
             for i, lab in enumerate(labels)]
    return pd.concat(parts, ignore_index=True).assign(prob=prob, unit=fit.data.time_unit)


def numbers_at_risk(data, times: Sequence[float]) -> pd.DataFrame:
    """Patients at risk per arm at each of ``times``: the table printed under a survival plot.

    Parameters
    ----------
    data : SurvivalData
        Patient-level data. Life tables and published summaries raise SpecError (their numbers at
        risk are known at row starts only).
    times : sequence of float

    Returns
    -------
    pandas.DataFrame
        ``arm, time, at_risk``: patients with follow-up reaching ``t`` and entered before it
        (``entry < t <= time``, everyone entered at 0 counting at ``t = 0``), the Kaplan-Meier
        risk set; an interval-censored patient counts up to the last time seen event-free.
    """
    from bayeshcc.data import SurvivalData

    if not isinstance(data, SurvivalData):
        raise SpecError(f"numbers at risk need patient-level SurvivalData, got {type(data).__name__}")
    t = np.asarray(times, dtype=float)
    f = data.frame
    y, entry = f["time"].to_numpy(float), data.entry
    rows = []
    for arm in data.arms:
        sel = (f["arm"] == arm).to_numpy()
        entered = (entry[sel][None, :] < t[:, None]) | (entry[sel][None, :] == 0)
        rows.append(pd.DataFrame({"arm": arm, "time": t,
                                  "at_risk": ((y[sel][None, :] >= t[:, None]) & entered).sum(axis=1)}))
    return pd.concat(rows, ignore_index=True)
