"""Design priors: candidate truths, one of which each simulated trial draws as its own.

A design prior says what may be true (the truth trials are simulated under); the trial's own
analysis prior (``TrialDesign.analysis``) is separate and never reads it. Candidate truths are
arrays with a leading ``draw`` axis: control hazards and hazard ratios per period (survival),
response rates per arm (response). Trial ``i`` of block ``b`` picks its draw from a stream of
its own (spawn key ``(b, TRUTH_KEY)`` under the run's root), so the picks do not depend on the chunk
size or the number of workers, and the outcome streams are laid out as for a fixed scenario.
The builders are in :mod:`bayeshcc.design.sources`; the :class:`~bayeshcc.design.Scenario`
classmethods call them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from bayeshcc import piecewise
from bayeshcc.design._validate import ARMS
from bayeshcc.design.discount import Discount, RobustMixture

__all__ = [
    "TRUTH_KEY",
    "DesignPrior",
    "TrialTruths",
    "average_hazard_ratio",
    "control_median",
    "draw_truths",
]

#: Last spawn-key element of the truth streams ("truth" in ASCII): block ``b`` picks its trials'
#: truths from ``(*root.spawn_key, b, TRUTH_KEY)``, apart from every outcome stream.
TRUTH_KEY = 0x7472757468


def average_hazard_ratio(control_hazards: np.ndarray, hazard_ratios: np.ndarray, cutpoints) -> np.ndarray:
    """One hazard ratio per truth: the HR itself when constant, else an event-weighted average.

    Parameters
    ----------
    control_hazards, hazard_ratios : ndarray, shape ``(draw, period)``
    cutpoints : sequence of float

    Returns
    -------
    ndarray, shape ``(draw,)``

    Notes
    -----
    With period-specific ratios, :math:`\\exp(\\sum_j w_j \\log \\mathrm{HR}_j)` with :math:`w_j` the
    control arm's probability of an event in period :math:`j` (uncured patients): the log HR
    averaged over where the control events fall (Kalbfleisch and Prentice 1981).
    """
    h, hr = np.atleast_2d(control_hazards), np.atleast_2d(hazard_ratios)
    constant = np.all(hr == hr[:, :1], axis=1)
    c = np.asarray(cutpoints, dtype=float)
    cum = np.concatenate([np.zeros((h.shape[0], 1)), np.cumsum(h[:, :-1] * np.diff(c), axis=1)], axis=1)
    s = np.exp(-cum)
    w = s - np.concatenate([s[:, 1:], np.zeros((h.shape[0], 1))], axis=1)
    avg = np.exp((w * np.log(hr)).sum(axis=1) / w.sum(axis=1))
    return np.where(constant, hr[:, 0], avg)


def control_median(control_hazards: np.ndarray, cutpoints, cure: float = 0.0) -> np.ndarray:
    """Median survival of the control arm per truth (``inf`` when half or more are cured)."""
    h = np.atleast_2d(control_hazards)
    if cure >= 0.5:
        return np.full(h.shape[0], np.inf)
    if cure == 0:
        return piecewise.median_survival(h, cutpoints)
    target = np.full(h.shape[0], np.log((1 - cure) / (0.5 - cure)))
    return piecewise.inverse_cumulative_hazard(target, cutpoints, h)


@dataclass(frozen=True, eq=False, repr=False)
class DesignPrior:
    """Candidate truths of a design prior (build with ``Scenario.from_fit`` / ``from_prior``).

    Attributes
    ----------
    cutpoints : tuple of float
        Period starts (months) of the survival truths.
    control_hazards, hazard_ratios : ndarray or None
        Shape ``(draw, period)``: control hazard per month and treatment/control ratio.
    response_rates : ndarray or None
        Shape ``(draw, arm)``, control then treatment.
    cure_fraction : (control, treatment)
    source : str
        Where the truths come from (the fit and its arms, or the priors written by hand).
    discount : PowerPrior, RobustMixture or None
        The discount applied to a source posterior (None: a prior written by hand).
    truth_seed : SeedSequence or None
        Root of the truth streams when pinned (joint simulation of several designs on the same
        truths); None uses the run's root.
    """

    cutpoints: tuple[float, ...]
    control_hazards: np.ndarray | None
    hazard_ratios: np.ndarray | None
    response_rates: np.ndarray | None
    cure_fraction: tuple[float, float]
    source: str
    discount: Discount | None
    truth_seed: np.random.SeedSequence | None = None

    @property
    def n_draws(self) -> int:
        """Number of candidate truths."""
        arr = self.control_hazards if self.control_hazards is not None else self.response_rates
        return int(arr.shape[0])

    @functools.cached_property
    def hazard_ratio(self) -> np.ndarray | None:
        """One (average) hazard ratio per truth (:func:`average_hazard_ratio`)."""
        if self.control_hazards is None:
            return None
        return average_hazard_ratio(self.control_hazards, self.hazard_ratios, self.cutpoints)

    @functools.cached_property
    def control_median(self) -> np.ndarray | None:
        """Control-arm median survival (months) per truth."""
        if self.control_hazards is None:
            return None
        return control_median(self.control_hazards, self.cutpoints, self.cure_fraction[0])

    def median_truth(self) -> dict:
        """Keyword arguments of ``Scenario.fixed`` at the componentwise median of the truths."""
        out: dict = {}
        if self.control_hazards is not None:
            out.update(
                hazards=np.median(self.control_hazards, axis=0).tolist(),
                cutpoints=list(self.cutpoints),
                hazard_ratio=np.median(self.hazard_ratios, axis=0).tolist(),
                cure_fraction=dict(zip(ARMS, self.cure_fraction, strict=True)),
            )
        if self.response_rates is not None:
            out["response_rates"] = dict(zip(ARMS, np.median(self.response_rates, axis=0).tolist(), strict=True))
        return out

    def restrict(self, endpoint: str) -> DesignPrior:
        """The truths one endpoint reads (``"survival"`` or ``"response"``), draws kept in order."""
        discount = self.discount._for_source([endpoint]) if isinstance(self.discount, RobustMixture) else self.discount
        if endpoint == "survival":
            return replace(self, response_rates=None, discount=discount)
        return replace(self, control_hazards=None, hazard_ratios=None, discount=discount)

    def __repr__(self) -> str:
        return f"DesignPrior({self.n_draws} draws from {self.source}; discount {self.discount})"

    def describe(self) -> str:
        """What the design prior is, its discount, and its spread of true effects."""
        parts = [f"design prior of {self.n_draws} draws from {self.source}",
                 f"discount: {self.discount if self.discount is not None else 'none (written by hand)'}"]
        if self.control_hazards is not None:
            hr, med = self.hazard_ratio, self.control_median
            q, m = np.quantile(hr, [0.05, 0.5, 0.95]), np.quantile(med, [0.05, 0.5, 0.95])
            parts.append(f"true HR median {q[1]:.3g} (90% {q[0]:.3g} to {q[2]:.3g}), P(HR < 1) = "
                         f"{np.mean(hr < 1):.3f}; control median {m[1]:.3g} months (90% {m[0]:.3g} to {m[2]:.3g})")
        if self.response_rates is not None:
            rd = self.response_rates[:, 1] - self.response_rates[:, 0]
            q = np.quantile(rd, [0.05, 0.5, 0.95])
            parts.append(f"true response difference median {q[1]:.3g} (90% {q[0]:.3g} to {q[2]:.3g}), "
                         f"P(p_t > p_c) = {np.mean(rd > 0):.3f}")
        return "; ".join(parts)


@dataclass
class TrialTruths:
    """The truths of a chunk of trials: ``prior``'s draws ``index`` (one per trial)."""

    prior: DesignPrior
    index: np.ndarray

    @property
    def cutpoints(self) -> tuple[float, ...]:
        """Period starts."""
        return self.prior.cutpoints

    @property
    def cure_fraction(self) -> tuple[float, float]:
        """Cure fractions (fixed across truths)."""
        return self.prior.cure_fraction

    def hazards(self) -> np.ndarray:
        """Each trial's hazards, shape ``(trial, arm, period)``."""
        h = self.prior.control_hazards[self.index]
        return np.stack([h, h * self.prior.hazard_ratios[self.index]], axis=1)

    @property
    def response_rates(self) -> np.ndarray:
        """Each trial's response rates, shape ``(trial, arm)``."""
        return self.prior.response_rates[self.index]


def draw_truths(prior: DesignPrior, root: np.random.SeedSequence, blocks: Sequence[tuple[int, int]]) -> TrialTruths:
    """Each trial's truth: a uniform pick among the draws, from its block's truth stream."""
    root = prior.truth_seed if prior.truth_seed is not None else root
    picks = []
    for i, size in blocks:
        seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i, TRUTH_KEY),
                                     pool_size=root.pool_size)
        picks.append(np.random.Generator(np.random.PCG64(seq)).integers(0, prior.n_draws, size))
    return TrialTruths(prior, np.concatenate(picks))


def truth_record(endpoint: str, scenario, truth: TrialTruths | None, m: int) -> dict[str, np.ndarray]:
    """Each trial's true values for the per-trial results (``true_*`` and, with a prior, ``truth_draw``)."""
    out: dict[str, np.ndarray] = {}
    if truth is not None:
        out["truth_draw"] = truth.index.astype(np.int64)
    if endpoint == "survival":
        if truth is not None:
            hr, med = truth.prior.hazard_ratio[truth.index], truth.prior.control_median[truth.index]
        else:
            h = np.asarray(scenario.control_hazards)[None]
            hr = np.full(m, average_hazard_ratio(h, np.asarray(scenario.hazard_ratios)[None], scenario.cutpoints)[0])
            med = np.full(m, control_median(h, scenario.cutpoints, scenario.cure_fraction[0])[0])
        out["true_hazard_ratio"], out["true_control_median"] = hr, med
    else:
        rates = truth.response_rates if truth is not None else np.broadcast_to(scenario.response_rates, (m, 2))
        out["true_response_control"], out["true_response_treatment"] = rates[:, 0].copy(), rates[:, 1].copy()
    return out


def final_estimates(out: dict[str, np.ndarray], stop: np.ndarray) -> dict[str, np.ndarray]:
    """Each trial's effect estimate at its stopping look, from the engine's posterior summary.

    Survival: ``estimated_hazard_ratio`` = exp(posterior mean log HR); with one log HR per analysis
    interval, their inverse-variance weighted mean. Response: ``estimated_risk_difference``.
    """
    rows, idx = np.arange(stop.size), stop.astype(np.intp) - 1
    if "log_hr_mean" in out:
        mean = out["log_hr_mean"][rows, idx]
        if mean.ndim == 2:
            w = 1.0 / out["log_hr_sd"][rows, idx] ** 2
            mean = (w * mean).sum(axis=1) / w.sum(axis=1)
        return {"estimated_hazard_ratio": np.exp(mean)}
    if "risk_difference_mean" in out:
        return {"estimated_risk_difference": out["risk_difference_mean"][rows, idx]}
    return {}
