"""The simulator's data containers: patients of a chunk of trials, and the sufficient statistics at a look.

Also :class:`DesignLike`, what the endpoint classes read from a design (the attributes of
:class:`~bayeshcc.design.TrialDesign`), so that :mod:`bayeshcc.design.endpoints` does not depend on
the module that defines the design.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from bayeshcc.design.conduct import Analysis, Dropout

__all__ = ["DesignLike", "LookData", "TrialBatch", "take"]


class DesignLike(Protocol):
    """The parts of a trial design that generating and analysing outcomes read."""

    n_patients: int
    allocation: tuple[int, int]
    dropout: Dropout | None
    analyses: tuple[Analysis, ...]
    analysis: Any

    @property
    def p_treatment(self) -> float:
        """Probability that a patient is randomized to treatment."""


@dataclass
class TrialBatch:
    """Patient-level simulated trials, shape ``(trial, patient)``; entry sorted within a trial."""

    entry: np.ndarray
    treated: np.ndarray
    event_time: np.ndarray | None = None  # time from entry to event (inf: cured)
    dropout_time: np.ndarray | None = None  # time from entry to dropout (inf: none)
    response: np.ndarray | None = None

    @property
    def n_trials(self) -> int:
        """Number of trials in the batch."""
        return self.entry.shape[0]


def take(batch: TrialBatch, idx: np.ndarray | Sequence[int]) -> TrialBatch:
    """The trials ``idx`` of ``batch``."""
    return TrialBatch(**{k: (None if v is None else v[idx]) for k, v in vars(batch).items()})


@dataclass
class LookData:
    """Sufficient statistics at one look for a set of trials.

    Survival: ``events`` and ``exposure`` of shape ``(trial, arm, interval)`` (arm 0 control, 1
    treatment). Response: ``evaluable`` and ``responders`` of shape ``(trial, arm)``. ``enrolled``
    is the number of patients entered by the look. ``patients`` (survival, on request) is
    ``(time, event, treated, enrolled)`` per patient, shape ``(trial, patient)`` each, for engines
    that refit a model to patient-level data.
    """

    enrolled: np.ndarray
    events: np.ndarray | None = None
    exposure: np.ndarray | None = None
    evaluable: np.ndarray | None = None
    responders: np.ndarray | None = None
    patients: tuple[np.ndarray, ...] | None = None

    def crude_rate(self) -> np.ndarray:
        """Each trial's pooled crude event rate, shape ``(trial,)``: all events (half an event when
        there are none) over all exposure, both arms; it centres the analysis model's default prior."""
        return np.maximum(self.events.sum(axis=(1, 2)), 0.5) / np.maximum(self.exposure.sum(axis=(1, 2)), 1e-12)

    def sparse(self, per_interval: bool = False) -> np.ndarray:
        """Trials whose data leave the posterior of some arm to the prior, shape ``(trial,)``.

        Survival: an arm with no events (``per_interval``: an arm with exposure but no events
        in some analysis interval, for per-arm hazards). Response: an arm with no evaluable
        patient.
        """
        if self.events is not None:
            if per_interval:
                return ((self.events == 0) & (self.exposure > 0)).any(axis=(1, 2))
            return (self.events.sum(axis=2) == 0).any(axis=1)
        return (self.evaluable == 0).any(axis=1)

    @property
    def total_events(self) -> np.ndarray:
        """Events (survival) or responders (response) per trial, both arms."""
        if self.events is not None:
            return self.events.sum(axis=(-1, -2))
        return self.responders.sum(axis=-1)
