"""Several sources in one survival likelihood: patient data, life tables and published evidence.

:func:`prepare_sources` turns a :class:`~bayeshcc.data.evidence.Sources` into arrays (numpy) and a
hashable structure; :func:`add_source_terms` adds one observed variable per term (so each has a
pointwise log-likelihood). Patient data and life tables reuse :mod:`bayeshcc.models._survival`
with the source's index as a name prefix; evidence terms:

``hr``
    ``log(HR_published) ~ Normal(+-log_hr, se)`` (sign by which arm the paper calls control).
``median``
    ``log(m_published) ~ Normal(log m(hazard), se)``, ``m`` solving ``H(m) = log 2`` in closed
    form for piecewise-constant hazards.
``landmark``
    ``log(-log q_j) ~ Normal(log(H(t_j) - H(t_{j-1})), se_j)`` for the conditional survival
    between consecutive landmarks.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from bayeshcc.data.evidence import HazardRatioEvidence, LandmarkEvidence, MedianEvidence, Sources
from bayeshcc.errors import DataError
from bayeshcc.piecewise import overlap

if TYPE_CHECKING:
    import pytensor.tensor as pt

__all__ = ["add_source_terms", "prepare_sources", "sources_crude_rate"]


def prepare_sources(sources: Sources, cutpoints: np.ndarray, arms: tuple[str, ...], effect: str
                    ) -> tuple[tuple, dict[str, np.ndarray]]:
    """Arrays of every source's terms (keys prefixed ``s<i>_``) and the structure fixing the graph."""
    from bayeshcc.models._survival import prepare_survival

    c = np.asarray(cutpoints, dtype=float)
    index = {a: i for i, a in enumerate(arms)}
    parts, arrays = [], {}
    for i, s in enumerate(sources.sources):
        pre = f"s{i}_"
        if isinstance(s, HazardRatioEvidence):
            if effect != "proportional":
                raise DataError(f"data[{i}]: {s} needs one hazard ratio in the model (effect='proportional')")
            sign = 1.0 if (s.control, s.treatment) == arms[:2] else -1.0
            if {s.control, s.treatment} != set(arms[:2]) or len(arms) != 2:
                raise DataError(f"data[{i}]: {s} compares arms {sorted(s.arms)}; the model's arms are {list(arms)}")
            arrays[pre + "obs"] = np.asarray(math.log(s.estimate))
            arrays[pre + "se"] = np.asarray(s.se)
            parts.append(("hr", sign))
        elif isinstance(s, MedianEvidence):
            arrays[pre + "obs"] = np.asarray(math.log(s.estimate))
            arrays[pre + "se"] = np.asarray(s.se)
            parts.append(("median", index[s.arm]))
        elif isinstance(s, LandmarkEvidence):
            start, end, obs, se = s.increments()
            arrays[pre + "overlap"] = overlap(c, start, end)
            arrays[pre + "obs"], arrays[pre + "se"] = obs, se
            parts.append(("landmark", index[s.arm], len(obs)))
        else:
            structure, sub = prepare_survival(s, c, arms)
            arrays.update({pre + k: v for k, v in sub.items()})
            parts.append(structure)
    return ("sources", arms, c.size, tuple(parts)), arrays


def add_source_terms(hazard: pt.TensorVariable, log_hr, structure: tuple, data: dict, cutpoints) -> None:
    """Add every source's observed variables (inside a model context)."""
    import pymc as pm
    import pytensor.tensor as pt

    from bayeshcc.models._survival import add_terms

    c = np.asarray(cutpoints, dtype=float)
    for i, part in enumerate(structure[3]):
        pre = f"s{i}_"
        kind = part[0]
        if kind == "hr":
            pm.Normal(pre + "hazard_ratio", mu=part[1] * log_hr, sigma=data[pre + "se"], observed=data[pre + "obs"])
        elif kind == "median":
            pm.Normal(pre + "median", mu=pt.log(median_of(hazard[part[1]], c)), sigma=data[pre + "se"],
                      observed=data[pre + "obs"])
        elif kind == "landmark":
            dh = pt.sum(hazard[part[1]][None, :] * data[pre + "overlap"], axis=-1)
            pm.Normal(pre + "landmarks", mu=pt.log(dh), sigma=data[pre + "se"], observed=data[pre + "obs"])
        else:
            add_terms(hazard, part, {k[len(pre):]: v for k, v in data.items() if k.startswith(pre)}, prefix=pre)


def median_of(h, cutpoints: np.ndarray):
    """Median of a piecewise-constant hazard ``h`` (interval,) as a PyTensor expression."""
    import pytensor.tensor as pt

    c = np.asarray(cutpoints, dtype=float)
    widths = np.diff(c)
    h_start = pt.concatenate([pt.zeros(1), pt.cumsum(h[:-1] * widths)]) if c.size > 1 else pt.zeros(1)
    h_next = pt.concatenate([h_start[1:], pt.as_tensor([np.inf])])
    log2 = math.log(2.0)
    here = (h_start <= log2) & (h_next > log2)
    candidate = c + (log2 - h_start) / h
    return pt.sum(pt.switch(here, candidate, 0.0))


def sources_crude_rate(sources: Sources) -> float:
    """Crude event rate that centres the default baseline prior for a list of sources.

    Patient data and life tables: pooled events / exposure (see ``crude_rate``). Evidence only:
    the geometric mean of ``log 2 / median`` and ``-log S(t) / t`` over the published medians and
    landmarks. A hazard ratio alone says nothing about the rate (DataError: give baseline_prior).
    """
    from bayeshcc.models.piecewise_exponential import crude_rate

    data = [s for s in sources.sources if not isinstance(s, HazardRatioEvidence | MedianEvidence | LandmarkEvidence)]
    if data:
        rates = [crude_rate(s) for s in data]
        return float(np.exp(np.mean(np.log(rates))))
    rates = [math.log(2) / s.estimate for s in sources.sources if isinstance(s, MedianEvidence)]
    rates += [-math.log(s.survival[-1]) / s.times[-1] for s in sources.sources if isinstance(s, LandmarkEvidence)]
    if not rates:
        raise DataError("data: hazard-ratio evidence alone says nothing about the event rate, so the default "
                        "baseline prior has no centre; give baseline_prior or add medians or landmarks")
    return float(np.exp(np.mean(np.log(rates))))
