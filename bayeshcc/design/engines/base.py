"""The engine interface: what an engine computes (:class:`Capability`) and the checks every engine
makes before simulating."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from bayeshcc._random import BlockRNG
from bayeshcc.conjugate import (
    MC_QUANTITIES,
    BatchPosterior,
    BetaMixturePosterior,
    BetaPosterior,
    beta_update,
)
from bayeshcc.design.batch import LookData
from bayeshcc.design.logrank import check_logrank_rules
from bayeshcc.errors import SpecError
from bayeshcc.models.binomial import BinomialResponse

if TYPE_CHECKING:
    from bayeshcc.design.rules import PosteriorProbability, Rule
    from bayeshcc.design.trial import TrialDesign

__all__ = ["Capability", "Engine", "Rng", "design_leaves", "design_rules", "require_prior"]

Rng = np.random.Generator | BlockRNG


@dataclass(frozen=True)
class Capability:
    """What an engine computes for one analysis model.

    Attributes
    ----------
    quantities : frozenset of str
        Quantities its posteriors answer.
    hr_per_interval : bool
        Whether each analysis interval has its own hazard ratio (``interval=`` in rules).
    predictive : bool
        Whether its posteriors can be sampled for predictive probabilities.
    """

    quantities: frozenset[str]
    hr_per_interval: bool = False
    predictive: bool = True


def design_rules(design: TrialDesign) -> Iterator[tuple[str, Rule]]:
    """Every ``(field, rule)`` of ``design``'s success and futility rules."""
    for name in ("success", "futility"):
        for i, rule in enumerate(getattr(design, name)):
            if rule is not None:
                yield f"TrialDesign.{name}[{i}]", rule


def design_leaves(design: TrialDesign) -> Iterator[tuple[str, PosteriorProbability]]:
    """Every ``(field, leaf)``: the posterior-probability rules of ``design`` and where."""
    for path, rule in design_rules(design):
        for leaf in rule.leaves():
            yield path, leaf


def require_prior(analysis: object, field: str, kind: type, engine: str, why: str) -> None:
    """SpecError naming ``TrialDesign.analysis.<field>`` unless that prior is a ``kind``.

    Parameters
    ----------
    analysis : Model
        The design's analysis model.
    field : str
        Its prior field, e.g. ``"baseline_prior"``.
    kind : type
        The prior class the engine computes with (e.g. ``Gamma``).
    engine : str
        The engine's name, for the message.
    why : str
        Why the engine needs that prior, for the message.
    """
    prior = getattr(analysis, field)
    if prior is None:  # the model's data-relative default, which every engine computes
        return
    if not isinstance(prior, kind):
        raise SpecError(
            f"TrialDesign.analysis.{field}: the {engine} engine needs a {kind.__name__} prior "
            f"({why}), got {prior}; use engine='mcmc' for other priors"
        )


class Engine:
    """Computes the posterior of every trial at one look.

    ``models`` maps each analysis model class the engine computes to the stem of its methods:
    ``_<stem>_capability(analysis)`` and ``_<stem>_posterior(data, design, rng, active)``.
    """

    name: ClassVar[str] = ""
    needs_patients: ClassVar[bool] = False
    models: ClassVar[dict[type, str]] = {}

    def _stem(self, analysis: object) -> str:
        for cls, stem in self.models.items():
            if isinstance(analysis, cls):
                return stem
        names = " or ".join(cls.__name__ for cls in self.models)
        raise SpecError(
            f"TrialDesign.analysis: the {self.name} engine computes {names} analyses, not "
            f"{type(analysis).__name__}; see bayeshcc.design.engines for which engine computes which"
        )

    def capability(self, analysis: object) -> Capability:
        """What the engine computes for ``analysis``; SpecError naming the field it cannot compute."""
        return getattr(self, f"_{self._stem(analysis)}_capability")(analysis)

    def check(self, design: TrialDesign) -> None:
        """Raise SpecError, naming the field, if the engine cannot analyse ``design``."""
        cap = self.capability(design.analysis)
        n_intervals = len(design.endpoint.cutpoints(design.analysis))
        for path, rule in design_rules(design):
            if rule.uses_predictive() and not cap.predictive:
                raise SpecError(
                    f"{path}: rule {rule} uses a predictive probability, which the {self.name} "
                    "engine cannot compute; use engine='laplace' or 'conjugate'"
                )
        for path, leaf in design_leaves(design):
            if leaf.quantity not in cap.quantities:
                hint = (
                    "; survival and RMST differences need engine='conjugate' with a per-arm "
                    "analysis (effect='per_arm')"
                    if leaf.quantity in MC_QUANTITIES
                    else ""
                )
                raise SpecError(
                    f"{path}: rule {leaf} uses {leaf.quantity!r}, which the {self.name} engine "
                    f"does not produce; it produces {sorted(cap.quantities)}{hint}"
                )
            if leaf.quantity != "hazard_ratio":
                continue
            if leaf.interval is not None and not cap.hr_per_interval:
                raise SpecError(
                    f"{path}.interval: the {self.name} engine estimates one proportional-hazards "
                    f"HR for all intervals, so rule {leaf} has no meaning there; per-interval "
                    "hazard ratios need a per-arm analysis (effect='per_arm')"
                )
            if leaf.interval is None and cap.hr_per_interval and n_intervals > 1:
                cuts = list(design.endpoint.cutpoints(design.analysis))
                raise SpecError(
                    f"{path}.interval: with cutpoints {cuts} the {self.name} engine has one hazard "
                    f"ratio per interval; rule {leaf} must say which, interval=0 to "
                    f"{n_intervals - 1}"
                )
        check_logrank_rules(design, design_rules(design))

    def work_per_trial(self, design: TrialDesign) -> int:
        """Array elements a look needs per trial beyond the data (sizes the simulator's chunks)."""
        return 0

    def posterior(
        self,
        data: LookData,
        design: TrialDesign,
        *,
        rng: Rng | None = None,
        active: np.ndarray | None = None,
    ) -> BatchPosterior:
        """Posterior per trial from the look's data.

        Parameters
        ----------
        data : LookData
        design : TrialDesign
        rng : BlockRNG or Generator, optional
            The trials' stream (a BlockRNG for a chunk of trials), for engines that draw random
            numbers (Monte Carlo quantities, MCMC seeds); the others ignore it.
        active : ndarray of bool, optional
            Trials still running; an engine may skip the others (their values are not used).
        """
        method = getattr(self, f"_{self._stem(design.analysis)}_posterior")
        return method(data, design, rng, active)

    # Response (BinomialResponse): exact beta (or beta-mixture) posteriors, the same for every
    # engine that lists it.
    def _response_capability(self, analysis: BinomialResponse) -> Capability:
        return Capability(frozenset({"risk_difference"}))

    def _response_posterior(self, data, design, rng, active) -> BetaPosterior | BetaMixturePosterior:
        analysis = design.analysis
        if analysis.prior_components()[0].size > 1:
            return BetaMixturePosterior(*analysis.rate_posterior(data.responders, data.evaluable))
        prior = analysis.prior
        return BetaPosterior(*beta_update(prior.alpha, prior.beta, data.responders, data.evaluable))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


