"""The published-evidence terms of :mod:`bayeshcc.models._evidence` in numpy, with their gradient.

Each term is a function of the flattened hazards ``h`` (``arm * K + interval``) returning its
log-likelihood (PyMC's Normal, constants included) and gradient, as the row terms of
:mod:`bayeshcc.models._survival_numpy`:

``hr``
    ``log HR = log h[1, 0] - log h[0, 0]`` (one hazard ratio: the proportional effect).
``median``
    ``m = c_j + (log 2 - H(c_j)) / h_j`` in the interval ``j`` where the cumulative hazard crosses
    ``log 2``; ``dm/dh_j = -(log 2 - H(c_j)) / h_j^2`` and ``dm/dh_i = -w_i / h_j`` for ``i < j``.
``landmark``
    ``log`` of the cumulative hazard between consecutive landmarks, linear in ``h``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from bayeshcc.models._density import _HALF_LOG_2PI, TermsFn

__all__ = ["source_terms"]

_LOG2 = math.log(2.0)


def source_terms(structure: tuple, data: dict, cutpoints, row_terms: Callable) -> list[TermsFn] | None:
    """One term per source of a ``("sources", arms, K, parts)`` structure (None if one has no numpy
    form); ``row_terms`` builds patient-data and life-table sources (``survival_terms``)."""
    _, arms, k, parts = structure
    n_arms = len(arms)
    out = []
    for i, part in enumerate(parts):
        pre = f"s{i}_"
        sub = {key[len(pre):]: v for key, v in data.items() if key.startswith(pre)}
        kind = part[0]
        if kind == "hr":
            out.append(_hazard_ratio(part[1], sub, k, n_arms))
        elif kind == "median":
            if cutpoints is None:
                return None
            out.append(_median(part[1], sub, np.asarray(cutpoints, dtype=float), n_arms))
        elif kind == "landmark":
            out.append(_landmarks(part[1], sub, k, n_arms))
        else:
            term = row_terms(part, sub)
            if term is None:
                return None
            out.append(term)
    return out


def _normal(sub: dict) -> tuple[np.ndarray, np.ndarray, float]:
    obs = np.asarray(sub["obs"], dtype=float)
    se = np.asarray(sub["se"], dtype=float)
    return obs, se, float(np.sum(-np.log(se) - _HALF_LOG_2PI))


def _hazard_ratio(sign: float, sub: dict, k: int, n_arms: int) -> TermsFn:
    obs, se, const = _normal(sub)
    obs, se = float(obs), float(se)

    def f(h):
        z = (obs - sign * (math.log(h[k]) - math.log(h[0]))) / se
        d = sign * z / se  # d lp / d log HR
        g = np.zeros(n_arms * k)
        g[k], g[0] = d / h[k], -d / h[0]
        return const - 0.5 * z * z, g

    return f


def _median(arm: int, sub: dict, c: np.ndarray, n_arms: int) -> TermsFn:
    obs, se, const = _normal(sub)
    obs, se = float(obs), float(se)
    k = c.size
    widths = np.diff(c)
    lo = arm * k

    def f(h):
        ha = h[lo:lo + k]
        start = np.concatenate([[0.0], np.cumsum(ha[:-1] * widths)])  # H at each interval's start
        j = int(np.searchsorted(start, _LOG2, side="right")) - 1  # where H crosses log 2
        left = _LOG2 - start[j]
        m = c[j] + left / ha[j]
        z = (obs - math.log(m)) / se
        dm = z / se / m  # d lp / d m
        g = np.zeros(n_arms * k)
        g[lo:lo + j] = -dm * widths[:j] / ha[j]
        g[lo + j] = -dm * left / ha[j] ** 2
        return const - 0.5 * z * z, g

    return f


def _landmarks(arm: int, sub: dict, k: int, n_arms: int) -> TermsFn:
    obs, se, const = _normal(sub)
    o = np.asarray(sub["overlap"], dtype=float)  # (landmark increment, interval)
    lo = arm * k

    def f(h):
        dh = o @ h[lo:lo + k]
        z = (obs - np.log(dh)) / se
        g = np.zeros(n_arms * k)
        g[lo:lo + k] = o.T @ (z / se / dh)
        return const - 0.5 * float(z @ z), g

    return f
