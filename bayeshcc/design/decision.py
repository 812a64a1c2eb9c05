"""What a rule decided: :class:`Decision`, returned by ``rule.evaluate`` (see :mod:`bayeshcc.design.rules`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bayeshcc.errors import SpecError

__all__ = ["Decision"]


@dataclass(frozen=True, eq=False)
class Decision:
    """Whether a rule is met, and the probabilities it read.

    Attributes
    ----------
    rule : str
        The rule as it prints.
    met : bool or ndarray of bool
        One value for a fitted study, one per trial inside :func:`~bayeshcc.simulate`.
    probabilities : dict
        Each probability rule it read (as it prints) -> its probability (float or per trial).
    """

    rule: str
    met: bool | np.ndarray
    probabilities: dict[str, Any]

    @property
    def probability(self) -> float | np.ndarray:
        """The probability of a rule with one part (SpecError for a combined rule)."""
        if len(self.probabilities) != 1:
            raise SpecError(
                f"Decision.probability: {self.rule} reads {len(self.probabilities)} "
                "probabilities; see Decision.probabilities"
            )
        return next(iter(self.probabilities.values()))

    def __bool__(self) -> bool:
        if np.ndim(self.met):
            raise TypeError("a decision on many trials has no single truth value; use .met")
        return bool(self.met)

    def __str__(self) -> str:
        if np.ndim(self.met):
            return f"{self.rule}: met in {np.mean(self.met):.3g} of {np.size(self.met)} trials"
        if len(self.probabilities) == 1:
            probs = f"probability {self.probability:.4g}"
        else:
            probs = "; ".join(f"{k}: {v:.4g}" for k, v in self.probabilities.items())
        return f"{self.rule}: {'met' if self.met else 'not met'} ({probs})"

    def __repr__(self) -> str:
        return f"<Decision {self}>"
