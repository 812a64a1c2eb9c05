"""The simulator's data containers: patients of a chunk of trials, and the sufficient statistics at a look.

Also :class:`DesignLike`, what the endpoint classes read from a design (the attributes of
:class:`~bayeshcc.design.TrialDesign`), so that :mod:`bayeshcc.design.endpoints` does not depend on
the module that defines the design.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

import numpy as np

from bayeshcc.design import _scratch
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
    """Patient-level simulated trials, shape ``(trial, patient)``; entry sorted within a trial.

    The arrays are not modified once the batch is made: :meth:`observed_time` and
    :meth:`calendar_event` are computed once and kept, for every look and the schedule to share.
    """

    entry: np.ndarray
    treated: np.ndarray
    event_time: np.ndarray | None = None  # time from entry to event (inf: cured)
    dropout_time: np.ndarray | None = None  # time from entry to dropout (inf: none)
    response: np.ndarray | None = None
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n_trials(self) -> int:
        """Number of trials in the batch."""
        return self.entry.shape[0]

    def observed_time(self) -> np.ndarray:
        """Time from entry to event or dropout, whichever comes first (survival)."""
        if "observed" not in self._derived:
            out = _scratch.empty(self.event_time.shape)
            self._derived["observed"] = np.minimum(self.event_time, self.dropout_time, out=out)
        return self._derived["observed"]

    def calendar_event(self) -> np.ndarray:
        """Calendar time of each patient's observed event, ``inf`` where dropout (or cure) comes
        first (survival): ``entry + event_time``, the expression every event-driven cut uses."""
        if "calendar_event" not in self._derived:
            # np.where(t <= d, entry + t, inf), without temporaries
            t, d = self.event_time, self.dropout_time
            cal = np.add(self.entry, t, out=_scratch.empty(t.shape))
            np.putmask(cal, np.greater(t, d, out=_scratch.empty(t.shape, bool)), np.inf)
            self._derived["calendar_event"] = cal
        return self._derived["calendar_event"]


def take(batch: TrialBatch, idx: np.ndarray | Sequence[int]) -> TrialBatch:
    """The trials ``idx`` of ``batch``."""
    parts = {f.name: getattr(batch, f.name) for f in fields(batch) if f.init}
    return TrialBatch(**{k: (None if v is None else v[idx]) for k, v in parts.items()})


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
