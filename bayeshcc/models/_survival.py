"""Survival likelihood as terms, shared by the piecewise-hazard families.

Each source of evidence is one term: a function that turns data into arrays (numpy, at prepare
time) and a function that adds an observed variable to the PyMC model, so every term has a
pointwise log-likelihood (no ``pm.Potential``; LOO sees all of them). Hazards enter as a tensor of
shape ``(arm, interval)``.

Terms
-----
``ipd``
    Patient-level data, Poisson representation: events in arm ``a`` and interval ``k`` are
    Poisson with mean ``hazard[a, k] * exposure[a, k]`` (exact up to a constant; Holford 1980).
    Delayed entry (left truncation) only changes the exposure: it counts from each patient's entry.
``interval``
    Interval-censored patients (event in ``(L, U]``): their exposure up to ``L`` is in the Poisson
    cells (no event), and this term adds ``log(1 - exp(-H(L, U)))``, so together they give the
    exact ``log(S(L) - S(U)) - log S(entry)``.
``closed``
    Life-table rows without censoring: ``events ~ Binomial(at_risk, 1 - exp(-H(start, end)))``.
``window``
    Rows whose censoring comes from a follow-up window ``[u, v]``: each patient's follow-up end
    ``C ~ Uniform(u, v)``; death first with probability ``1 - E[exp(-H(start, C))]`` (closed form).
``actuarial``
    Censored rows without a window: censored patients count as half at risk (Cutler-Ederer),
    ``d log(1 - e^{-H}) - (n - c/2 - d) H``, an approximation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bayeshcc.data import IntervalData, SurvivalData
from bayeshcc.piecewise import overlap

if TYPE_CHECKING:
    import pytensor.tensor as pt

__all__ = ["add_terms", "interval_labels", "patient_arrays", "patient_loglik", "prepare_survival"]


def interval_labels(cutpoints) -> list[str]:
    """``[a, b)`` labels of the intervals that start at ``cutpoints`` (the last one open)."""
    c = np.asarray(cutpoints, dtype=float)
    right = [*(f"{x:g}" for x in c[1:]), "inf"]
    return [f"[{a:g}, {b})" for a, b in zip(c, right, strict=True)]


def prepare_survival(
    data: SurvivalData | IntervalData, cutpoints: np.ndarray, arms: tuple[str, ...]
) -> tuple[tuple, dict[str, np.ndarray]]:
    """Arrays of every term the data carry, and the hashable structure that fixes the graph."""
    c = np.asarray(cutpoints, dtype=float)
    if isinstance(data, SurvivalData):
        events, exposure = data.exposure_table(c)
        pos = [data.arms.index(a) for a in arms]
        arrays = {
            "events": events[pos],
            # exposure 0 (no one reached the interval) contributes nothing; keep shape fixed
            "exposure": np.maximum(exposure[pos], 1e-12),
        }
        ic = data.interval_censored
        ic_arms: tuple[int, ...] = ()
        if ic.any():
            f = data.frame[ic]
            ic_arms = tuple(f["arm"].map({a: i for i, a in enumerate(arms)}).astype(int))
            arrays["interval_overlap"] = overlap(c, f["time"].to_numpy(float), f["upper"].to_numpy(float))
        return ("ipd", arms, c.size, ic_arms), arrays
    f = data.frame
    arm_idx = f["arm"].map({a: i for i, a in enumerate(arms)}).to_numpy()
    start, end = f["start"].to_numpy(), f["end"].to_numpy()
    has_window = f["censor_from"].notna().to_numpy()
    actuarial = ~has_window & (f["censored"].to_numpy() > 0)
    # rows that carry no information are left out of the likelihood (their probability is 1):
    # an open row with no censoring (everyone dies eventually) and a window at the row start
    # (everyone's follow-up ends before any event could be seen; validation ensures 0 events)
    closed = ~has_window & ~actuarial & np.isfinite(end)
    window = has_window & (f["censor_to"].to_numpy() > start)
    arrays: dict[str, np.ndarray] = {}
    for name, sel in (("closed", closed), ("actuarial", actuarial)):
        if sel.any():
            arrays[f"{name}_overlap"] = overlap(c, start[sel], end[sel])
            arrays[f"{name}_events"] = f["events"].to_numpy()[sel].astype(np.int64)
    if closed.any():
        arrays["closed_at_risk"] = f["at_risk"].to_numpy()[closed].astype(np.int64)
    if actuarial.any():
        a = f[actuarial]
        arrays["actuarial_at_risk"] = (a["at_risk"] - a["censored"] / 2).to_numpy(float)
    if window.any():
        arrays.update(_window_arrays(f[window], start[window], c))
    structure = (
        "table",
        arms,
        c.size,
        tuple(arm_idx[closed]),
        tuple(arm_idx[actuarial]),
        tuple(arm_idx[window]),
    )
    return structure, arrays


def _window_arrays(w, s: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
    u, v = w["censor_from"].to_numpy(), w["censor_to"].to_numpy()
    right = np.append(c[1:], np.inf)
    lo = np.maximum(u[:, None], c[None, :])  # (R, K): piece k of the window
    hi = np.minimum(v[:, None], right[None, :])
    length = np.clip(hi - lo, 0.0, None)
    width = v - u
    point = width <= 0
    weight = np.where(point[:, None], 0.0, length / np.where(point, 1.0, width)[:, None])
    if point.any():  # a window of zero width is a single follow-up time
        k_point = np.searchsorted(c, u[point], side="right") - 1
        weight[np.flatnonzero(point), k_point] = 1.0
        length[np.flatnonzero(point)] = 0.0
    return {
        # cumulative hazard from the row start to each piece start within the window
        "window_to_piece": overlap(c, s[:, None], np.maximum(lo, s[:, None])),
        "window_length": length,
        "window_weight": weight,
        "window_at_risk": w["at_risk"].to_numpy(np.int64),
        "window_events": w["events"].to_numpy(np.int64),
    }


def add_terms(hazard: pt.TensorVariable, structure: tuple, data: dict, prefix: str = "", weight: float = 1.0) -> None:
    """Add one observed variable per term present in ``structure`` (inside a model context); ``prefix``
    names the variables of one source among several; ``weight`` (a power prior's a0) multiplies every
    term's log-likelihood (1: the terms as they are)."""
    import pymc as pm
    import pytensor.tensor as pt

    if structure[0] == "ipd":
        _observe(prefix + "events_ipd", pm.Poisson, {"mu": hazard * data["exposure"]}, data["events"], weight,
                 dims=("arm", "interval"))
        if structure[3]:
            h = pt.sum(hazard[np.array(structure[3])] * data["interval_overlap"], axis=-1)
            pm.CustomDist(prefix + "events_interval", h, logp=_scaled(_interval_logp, weight),
                          observed=np.ones(len(structure[3])))
        return
    _, _, _, closed_arm, act_arm, win_arm = structure
    if closed_arm:
        h = pt.sum(hazard[np.array(closed_arm)] * data["closed_overlap"], axis=-1)
        # logit of 1 - exp(-H), stable for small and large H
        _observe(prefix + "events_closed", pm.Binomial, {"n": data["closed_at_risk"], "logit_p": pt.log(-pt.expm1(-h)) + h},
                 data["closed_events"], weight)
    if act_arm:
        h = pt.sum(hazard[np.array(act_arm)] * data["actuarial_overlap"], axis=-1)
        pm.CustomDist(prefix + "events_actuarial", h, data["actuarial_at_risk"], logp=_scaled(_actuarial_logp, weight),
                      observed=data["actuarial_events"])
    if win_arm:
        lam = hazard[np.array(win_arm)]  # (R, K)
        # H from the row start to each piece's start inside the window: (R, K)
        h_to = pt.sum(lam[:, None, :] * data["window_to_piece"], axis=-1)
        x = lam * data["window_length"]
        safe = pt.switch(x > 1e-8, x, 1.0)
        g = pt.switch(x > 1e-8, -pt.expm1(-safe) / safe, 1.0 - x / 2)
        surv = pt.sum(data["window_weight"] * pt.exp(-h_to) * g, axis=-1)
        _observe(prefix + "events_window", pm.Binomial,
                 {"n": data["window_at_risk"], "logit_p": pt.log1p(-surv) - pt.log(surv)}, data["window_events"], weight)


def _observe(name: str, dist, params: dict, observed, weight: float, **kw) -> None:
    """The observed variable ``dist(name, **params)``; with ``weight != 1`` a CustomDist whose
    log-likelihood is ``weight`` times the distribution's (a power prior's discounted likelihood)."""
    import pymc as pm

    if weight == 1.0:
        dist(name, **params, observed=observed, **kw)
        return
    keys = list(params)

    def logp(value, *args):
        return weight * pm.logp(dist.dist(**dict(zip(keys, args, strict=True))), value)

    pm.CustomDist(name, *params.values(), logp=logp, observed=observed, **kw)


def _scaled(logp, weight: float):
    """``logp`` itself, or ``weight`` times it."""
    if weight == 1.0:
        return logp
    return lambda value, *args: weight * logp(value, *args)


def _interval_logp(value, h):
    """Event within the censoring interval, given event-free at its start: ``log(1 - exp(-H))``."""
    import pytensor.tensor as pt

    return value * pt.log(-pt.expm1(-h))


def _actuarial_logp(value, h, n_eff):
    """Half-at-risk (Cutler-Ederer) log-likelihood of ``value`` deaths, per row."""
    import pytensor.tensor as pt

    return value * pt.log(-pt.expm1(-h)) - (n_eff - value) * h


def patient_loglik(hazard: np.ndarray, c: np.ndarray, e: dict) -> np.ndarray:
    """Each patient's exact log-likelihood per draw, ``(chain, draw, patient)``."""
    # the interval holding each time, with an event at a cutpoint in the interval it ends, as in
    # SurvivalData.split (the sampled Poisson likelihood uses that split)
    k = np.maximum(np.searchsorted(c, e["time"], side="left") - 1, 0)
    at_t = hazard[:, :, e["arm_index"], k]  # (chain, draw, patient)
    ic = ~np.isnan(e["upper"])
    exposure = overlap(c, e["entry"], e["time"])  # (patient, interval), from entry (truncation)
    within = overlap(c, e["time"], np.where(ic, e["upper"], e["time"]))  # interval-censored rows
    H = np.empty_like(at_t)
    W = np.zeros_like(at_t)
    for a in range(hazard.shape[2]):  # per arm: no (draw, patient, interval) array
        sel = e["arm_index"] == a
        H[:, :, sel] = np.einsum("cdk,pk->cdp", hazard[:, :, a, :], exposure[sel])
        W[:, :, sel] = np.einsum("cdk,pk->cdp", hazard[:, :, a, :], within[sel])
    with np.errstate(divide="ignore"):
        exact = (e["event"] > 0) & ~ic
        ll = np.where(exact, np.log(at_t), 0.0) - H
        return ll + np.where(ic, np.log(-np.expm1(-np.where(ic, W, 1.0))), 0.0)


def patient_arrays(data: SurvivalData, arms: tuple[str, ...]) -> dict[str, np.ndarray]:
    """What :func:`patient_loglik` reads from patient data."""
    f = data.frame
    upper = f["upper"].to_numpy(float) if "upper" in f else np.full(len(f), np.nan)
    return {"time": f["time"].to_numpy(float), "event": f["event"].to_numpy(float),
            "arm_index": f["arm"].map({a: i for i, a in enumerate(arms)}).to_numpy(int),
            "entry": data.entry, "upper": upper}

