"""The base of the closed-form posteriors and the conjugate updates."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod

import numpy as np

from bayeshcc.errors import SpecError
from bayeshcc.quantities import check_direction, get

__all__ = ["MC_QUANTITIES", "BatchPosterior", "beta_update", "gamma_update"]

#: Quantities the piecewise gamma posterior computes by Monte Carlo, and their selector.
MC_QUANTITIES = {"survival_difference": "time", "rmst_difference": "tau"}


def beta_update(alpha: float, beta: float, responders, n) -> tuple[np.ndarray, np.ndarray]:
    """Beta(alpha, beta) prior and ``responders`` of ``n``: the posterior Beta parameters (arrays)."""
    y, n = np.asarray(responders, dtype=float), np.asarray(n, dtype=float)
    return alpha + y, beta + n - y


def gamma_update(alpha: float, beta: float, events, exposure) -> tuple[np.ndarray, np.ndarray]:
    """Gamma(alpha, beta) prior on a hazard, ``events`` over ``exposure``: posterior shape and rate."""
    return alpha + np.asarray(events, dtype=float), beta + np.asarray(exposure, dtype=float)


class BatchPosterior(ABC):
    """Posterior of the arm contrast for a set of trials (one value per trial)."""

    def prob(self, quantity: str, direction: str, value: float, **selectors) -> np.ndarray:
        """``P(quantity <direction> value | data)`` per trial.

        ``selectors`` are a rule's ``interval``, ``time`` or ``tau`` (see
        :class:`~bayeshcc.design.rules.PosteriorProbability`). The quantity, direction and value
        are checked against the registry (:mod:`bayeshcc.quantities`) first.
        """
        value = get(quantity).check_value(value, "value")
        return self._prob(quantity, check_direction(direction), value, **selectors)

    @abstractmethod
    def _prob(self, quantity: str, direction: str, value: float, **selectors) -> np.ndarray:
        """The probability for checked arguments."""

    @abstractmethod
    def summary(self) -> dict[str, np.ndarray]:
        """Per-trial summaries stored in the results (name -> array)."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, draws: int) -> np.ndarray:
        """Parameter draws for predictive simulation.

        Survival: hazards, shape ``(trial, draw, arm, interval)``. Response: rates ``(trial, draw, arm)``.
        """

    def subset(self, idx: np.ndarray) -> BatchPosterior:
        """The posterior of trials ``idx`` only."""
        new = copy.copy(self)
        for k, v in vars(self).items():
            if isinstance(v, np.ndarray):
                setattr(new, k, v[idx])
        return new

    def _check(self, quantity: str, allowed: str, selectors: dict | None = None) -> None:
        if quantity != allowed:
            raise SpecError(
                f"rule quantity: {quantity!r} is not produced here; expected {allowed!r}"
            )
        for key, v in (selectors or {}).items():
            raise SpecError(
                f"PosteriorProbability.{key}: {key}={v!r} is not available for {quantity!r} "
                f"with this engine's {type(self).__name__}"
            )


