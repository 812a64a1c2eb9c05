"""The survival terms of :mod:`bayeshcc.models._survival` in numpy, with their gradient.

:func:`survival_terms` returns a function of the flattened hazards ``h`` (``arm * K + interval``)
giving the total log-likelihood of every term the data carry and its gradient with respect to
``h``. It is the log-likelihood PyMC builds (normalising constants included), written out by hand
so that ``sampler="numpy"`` samples without compiling anything; ``tests/models/test_numpy_density.py``
checks value and gradient against PyMC's compiled ones. Published evidence among ``Sources``
(hazard ratios, medians, landmarks) is in :mod:`bayeshcc.models._evidence_numpy`. Every cumulative
hazard the terms need is linear in ``h``, so each term precomputes its matrices once and an
evaluation is a few small matrix products and element-wise functions (about 15 us for the main
job's life table).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from bayeshcc.models._density import Density, TermsFn, joint_prior, prior_block
from bayeshcc.models._evidence_numpy import source_terms
from bayeshcc.models.priors import LogNormal

__all__ = ["piecewise_density", "survival_terms"]


def _log_choose(n: np.ndarray, k: np.ndarray) -> float:
    return float(np.sum(gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(n - k + 1.0)))


def _rows_matrix(arm_index, overlap: np.ndarray, n_arms: int) -> np.ndarray:
    """``(row, arm * K)``: row ``r``'s cumulative hazard is ``matrix[r] @ h``."""
    overlap = np.asarray(overlap, dtype=float)
    rows, k = overlap.shape
    m = np.zeros((rows, n_arms * k))
    for r, a in enumerate(np.asarray(arm_index, dtype=int)):
        m[r, a * k:(a + 1) * k] = overlap[r]
    return m


def survival_terms(structure: tuple, data: dict, weight: float = 1.0, cutpoints=None) -> TermsFn | None:
    """Log-likelihood and its gradient in the flattened hazards for the terms in ``structure``.

    Parameters
    ----------
    structure, data
        ``Prepared.structure`` and ``Prepared.arrays`` of :func:`~bayeshcc.models._survival.prepare_survival`.
    weight : float
        Power-prior weight a0 on the whole log-likelihood.
    cutpoints : array, optional
        The interval starts; needed for published medians among ``Sources``.

    Returns
    -------
    callable or None
        ``f(h) -> (loglik, d loglik / d h)``, ``h = hazard.ravel()`` of shape ``(arm * interval,)``;
        None for a structure with no numpy form.
    """
    kind = structure[0]
    n_arms = len(structure[1])
    if kind == "sources":
        parts = source_terms(structure, data, cutpoints, survival_terms)
        if parts is None:
            return None
    elif kind == "ipd":
        parts = [_poisson(data)]
        if structure[3]:
            m = _rows_matrix(structure[3], data["interval_overlap"], n_arms)
            ones = np.ones(m.shape[0])
            parts.append(_binary_rows(m, ones, np.zeros_like(ones), 0.0))
    elif kind == "table":
        _, _, _, closed_arm, act_arm, win_arm = structure
        parts = []
        if closed_arm:
            d, n = (np.asarray(data[k], dtype=float) for k in ("closed_events", "closed_at_risk"))
            parts.append(_binary_rows(_rows_matrix(closed_arm, data["closed_overlap"], n_arms), d, n - d,
                                      _log_choose(n, d)))
        if act_arm:
            d, n = (np.asarray(data[k], dtype=float) for k in ("actuarial_events", "actuarial_at_risk"))
            parts.append(_binary_rows(_rows_matrix(act_arm, data["actuarial_overlap"], n_arms), d, n - d, 0.0))
        if win_arm:
            parts.append(_window(win_arm, data, n_arms))
    else:
        return None
    if len(parts) == 1 and weight == 1.0:
        return parts[0]

    def terms(h: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = parts[0](h)
        for part in parts[1:]:
            lp, g = part(h)
            total += lp
            grad = grad + g
        return weight * total, weight * grad

    return terms


def _poisson(data: dict) -> TermsFn:
    """Patient data as Poisson counts: ``events ~ Poisson(h * exposure)`` per arm and interval."""
    events = np.asarray(data["events"], dtype=float).ravel()
    exposure = np.asarray(data["exposure"], dtype=float).ravel()
    const = float(np.sum(events * np.log(exposure) - gammaln(events + 1.0)))

    def f(h):
        return const + float(events @ np.log(h) - exposure @ h), events / h - exposure

    return f


def _binary_rows(m: np.ndarray, d: np.ndarray, survivors: np.ndarray, const: float) -> TermsFn:
    """Rows whose ``d`` deaths have probability ``1 - exp(-H)`` and ``survivors`` survive ``H``
    (closed rows: binomial; actuarial rows: ``n - c/2 - d`` survivors; interval-censored
    patients: one death, no survivors); ``H = m @ h``."""
    mt = np.ascontiguousarray(m.T)

    def f(h):
        big_h = m @ h
        q = -np.expm1(-big_h)  # P(death in the row)
        lp = const + float(d @ np.log(q) - survivors @ big_h)
        return lp, mt @ (d * (1.0 - q) / q - survivors)

    return f


def _window(arm_index, data: dict, n_arms: int) -> TermsFn:
    """Rows with a uniform follow-up window: ``surv_r = sum_k W_rk exp(-Hto_rk) g(lam_rk L_rk)``,
    ``g(x) = (1 - e^-x) / x``, deaths ~ Binomial(n, 1 - surv). Only the pieces ``(r, k)`` the
    window covers (``W > 0``) are kept."""
    to_piece = np.asarray(data["window_to_piece"], dtype=float)  # (R, K, K)
    length = np.asarray(data["window_length"], dtype=float)  # (R, K)
    w = np.asarray(data["window_weight"], dtype=float)  # (R, K)
    rows, k = w.shape
    pairs = np.argwhere(w > 0)  # (P, 2): row, piece
    n_p = len(pairs)
    arms = np.asarray(arm_index, dtype=int)
    # rows 0..P-1: hazard from the row start to the piece's start; rows P..2P-1: over the piece
    tl = np.zeros((2 * n_p, n_arms * k))
    for p, (r, j) in enumerate(pairs):
        tl[p, arms[r] * k:(arms[r] + 1) * k] = to_piece[r, j]
        tl[n_p + p, arms[r] * k + j] = length[r, j]
    tl_t = np.ascontiguousarray(tl.T)
    s_m = np.zeros((rows, n_p))  # sums pieces into rows (None: one piece per row, in order)
    s_m[pairs[:, 0], np.arange(n_p)] = 1.0
    one_each = n_p == rows and bool(np.all(pairs[:, 0] == np.arange(rows)))
    s_mt = np.ascontiguousarray(s_m.T)
    wp = w[pairs[:, 0], pairs[:, 1]]
    d = np.asarray(data["window_events"], dtype=float)
    n = np.asarray(data["window_at_risk"], dtype=float)
    alive = n - d
    const = _log_choose(n, d)

    # zero-width windows (x = 0 always): g = 1 - x/2 below x = 1e-8, exactly as PyMC switches (elsewhere
    # x is clipped at 1e-8, which changes g by at most 5e-9 at hazards below 1e-8 / length)
    tiny = bool(n_p and np.any(tl[n_p:].sum(axis=1) == 0))

    def f(h):
        hh = tl @ h
        # g and g'(x) = (e^-x - g(x)) / x
        x = np.maximum(hh[n_p:], 1e-8)
        em1 = np.expm1(-x)
        g = -em1 / x
        if tiny:
            small = hh[n_p:] <= 1e-8
            g = np.where(small, 1.0 - hh[n_p:] / 2, g)
        a = wp * np.exp(-hh[:n_p])
        ag = a * g
        surv = ag if one_each else s_m @ ag
        lp = const + float(d @ np.log1p(-surv) + alive @ np.log(surv))
        ds = alive / surv - d / (1.0 - surv)  # d lp / d surv
        if not one_each:
            ds = s_mt @ ds  # per piece
        dg = (em1 + 1.0 - g) / x
        if tiny:
            dg = np.where(small, -0.5, dg)
        return lp, tl_t @ np.concatenate([-ds * ag, ds * a * dg])

    return f


def piecewise_density(model, prepared) -> Density | None:
    """The posterior of a :class:`~bayeshcc.PiecewiseExponential` fit as a numpy :class:`Density`.

    None when some part has no numpy form: random-walk priors, or a prior outside Normal/Logistic
    (log hazard ratio) and LogNormal/Gamma/HalfNormal (hazards).
    The unconstrained coordinates are PyMC's: log hazards, and the log hazard ratio as it is.
    ``log hazard = M @ x`` is linear in them for every effect, so the chain rule is ``M.T``.
    """
    from bayeshcc.models.piecewise_exponential import DEFAULT_BASELINE_SIGMA

    terms = survival_terms(prepared.structure, prepared.arrays, model.likelihood_weight, np.asarray(model.cutpoints))
    base_prior = model.baseline_prior
    if base_prior is None:
        base_prior = LogNormal(mu=float(prepared.arrays["baseline_mu"]), sigma=DEFAULT_BASELINE_SIGMA)
    arms, k = len(prepared.arms), len(prepared.coords["interval"])
    per_arm = model.effect == "per_arm"
    blocks = [prior_block(base_prior, (arms, k) if per_arm else (k,))]
    if not per_arm:
        blocks.append(prior_block(model.log_hr_prior, () if model.effect == "proportional" else (k,)))
    if terms is None or None in blocks:
        return None
    prior = joint_prior(blocks)
    ndim = sum(b.size for b in blocks)
    if per_arm:
        m = np.eye(arms * k)
    else:  # log h[arm, j] = log baseline[j] -/+ log_hr[j] / 2 (control first)
        m = np.zeros((2 * k, ndim))
        for a, sign in enumerate((-0.5, 0.5)):
            m[a * k:(a + 1) * k, :k] = np.eye(k)
            m[a * k:(a + 1) * k, k:] = sign * (np.ones((k, 1)) if model.effect == "proportional" else np.eye(k))
    mt = np.ascontiguousarray(m.T)

    def logp_grad(x):
        h = np.exp(m @ x)
        lp, g = terms(h)
        lp0, g0 = prior(x)
        return lp + lp0, mt @ (g * h) + g0

    def expand(x):
        out = {"hazard": np.exp(m @ x).reshape(arms, k)}
        if not per_arm:
            out["baseline_hazard"] = np.exp(x[:k])
            out["log_hr"] = x[k:].reshape(blocks[1].shape)
        return out

    shapes = {"hazard": (arms, k)}
    dims = {"hazard": ("arm", "interval")}
    if not per_arm:
        shapes.update(baseline_hazard=(k,), log_hr=blocks[1].shape)
        dims.update(baseline_hazard=("interval",), log_hr=("period",) if blocks[1].shape else ())
    coords = {d: prepared.coords[d] for dd in dims.values() for d in dd}
    names = ["hazard"] if per_arm else ["baseline_hazard", "log_hr"]
    return Density(ndim=ndim, logp_grad=logp_grad, expand=expand, shapes=shapes, dims=dims, coords=coords,
                   centre=np.concatenate([np.full(b.size, b.centre) for b in blocks]),
                   blocks=dict(zip(names, [b.shape for b in blocks], strict=True)))
