"""One registry of the contrasts between arms, shared by fitted comparisons and simulated trials.

A quantity has a name (``hazard_ratio``), a printed symbol (``HR``), a unit, and at most one
selector (``interval``, ``time`` or ``tau``) that picks one value of it. Everything that answers
``prob(quantity, direction, value, **selectors)`` is a :class:`Posterior`: a fitted
:class:`~bayeshcc.results.comparison.Comparison` (one number) and the closed-form posteriors of
:mod:`bayeshcc.conjugate` (one number per simulated trial). Decision rules
(:class:`~bayeshcc.design.rules.PosteriorProbability`) speak only this vocabulary, so the same rule
applies to a fitted study and inside :func:`~bayeshcc.simulate`.

Selectors mean the same on both sides:

``interval=k``
    the k-th analysis interval (0-based index into the model's cutpoints), for a hazard ratio that
    varies by interval;
``time=t``
    survival compared at time ``t`` (the data's unit);
``tau=t``
    the RMST horizon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from bayeshcc.errors import SpecError

__all__ = [
    "QUANTITIES",
    "Posterior",
    "Quantity",
    "check_direction",
    "get",
    "interval_label",
    "quantities_for",
    "taking",
]

Direction = Literal["<", ">"]


@dataclass(frozen=True)
class Quantity:
    """A contrast of treatment against control.

    Attributes
    ----------
    name : str
    symbol : str
        How it prints in a rule, e.g. ``HR`` in ``P(HR < 1 | data) > 0.975``.
    unit : {"ratio", "probability", "time", "patients"}
        ``"time"`` means the data's unit of time.
    endpoint : {"survival", "response", "ordinal_response", "adverse_events"}
    selector : str or None
        The keyword that picks one value (``interval``, ``time``, ``tau``).
    required : bool
        Whether the selector must be given.
    benefit : {"<", ">"}
        The direction in which the treatment is better than control.
    null : float
        The value of no difference (1 for ratios, 0 for differences).
    """

    name: str
    symbol: str
    unit: str
    endpoint: str
    selector: str | None = None
    required: bool = False
    benefit: Direction = ">"
    null: float = 0.0

    def label(self, **selectors: float) -> str:
        """The printed symbol with its selector, e.g. ``S_T(12) - S_C(12)``."""
        v = selectors.get(self.selector) if self.selector else None
        if v is None:
            return self.symbol
        if self.selector == "interval":
            bounds = selectors.get("bounds")
            return f"{self.symbol}{bounds or f'[interval {int(v)}]'}"
        left, _, right = self.symbol.partition(" - ")
        return f"{left}({v:g}) - {right}({v:g})"

    def check_value(self, value: object, field: str) -> float:
        """A threshold on this quantity's scale, or SpecError naming ``field``."""
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise SpecError(f"{field}: expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise SpecError(f"{field}: expected a finite number, got {value!r}")
        if self.unit == "ratio" and value <= 0:
            raise SpecError(f"{field}: a {self.name} threshold must be > 0, got {value:g}")
        if self.unit == "probability" and not -1 < value < 1:
            raise SpecError(f"{field}: a {self.name} threshold must be in (-1, 1), got {value:g}")
        return value


QUANTITIES: dict[str, Quantity] = {
    q.name: q
    for q in (
        Quantity("hazard_ratio", "HR", "ratio", "survival", "interval", False, "<", 1.0),
        Quantity("survival_difference", "S_T - S_C", "probability", "survival", "time", True),
        Quantity("rmst_difference", "RMST_T - RMST_C", "time", "survival", "tau", True),
        Quantity("median_difference", "median_T - median_C", "time", "survival"),
        Quantity("risk_difference", "p_T - p_C", "probability", "response"),
        Quantity("risk_ratio", "p_T / p_C", "ratio", "response", null=1.0),
        Quantity("odds_ratio", "OR", "ratio", "response", null=1.0),
        # 1 / (p_T - p_C): patients treated for one more responder (negative: needed to harm)
        Quantity("number_needed_to_treat", "NNT", "patients", "response"),
        # ordinal best response (OrdinalResponse): CR + PR and CR + PR + SD rates, proportional odds
        Quantity("objective_response_difference", "ORR_T - ORR_C", "probability", "ordinal_response"),
        Quantity("disease_control_difference", "DCR_T - DCR_C", "probability", "ordinal_response"),
        Quantity("common_odds_ratio", "cOR", "ratio", "ordinal_response", null=1.0),
        # adverse events: a higher risk on treatment is harm, so the benefit direction is "<"
        Quantity("ae_risk_difference", "p_T - p_C (AE)", "probability", "adverse_events", benefit="<"),
        Quantity("ae_odds_ratio", "OR (AE)", "ratio", "adverse_events", benefit="<", null=1.0),
    )
}


def get(name: object, field: str = "quantity") -> Quantity:
    """The registered quantity ``name``, or SpecError listing the known ones."""
    if not isinstance(name, str) or name not in QUANTITIES:
        raise SpecError(f"{field}: unknown quantity {name!r}; expected one of {sorted(QUANTITIES)}")
    return QUANTITIES[name]


def quantities_for(endpoint: str) -> set[str]:
    """Names of the quantities of an endpoint (``"survival"`` or ``"response"``)."""
    return {q.name for q in QUANTITIES.values() if q.endpoint == endpoint}


def taking(selector: str) -> list[str]:
    """Names of the quantities that take ``selector`` (``"interval"``, ``"time"`` or ``"tau"``)."""
    return [q.name for q in QUANTITIES.values() if q.selector == selector]


def interval_label(cutpoints: Sequence[float], k: int) -> str:
    """Bounds ``[a, b)`` of interval ``k`` of ``cutpoints`` (``inf`` for the open last one).

    Pass it to :meth:`Quantity.label` as ``bounds=`` to print ``HR[3, 9)``.
    """
    right = f"{cutpoints[k + 1]:g}" if k + 1 < len(cutpoints) else "inf"
    return f"[{cutpoints[k]:g}, {right})"


def check_direction(direction: object, field: str = "direction") -> Direction:
    """``"<"`` or ``">"``, or SpecError naming ``field``."""
    if direction not in ("<", ">"):
        raise SpecError(f"{field}: expected '<' or '>', got {direction!r}")
    return direction  # type: ignore[return-value]


@runtime_checkable
class Posterior(Protocol):
    """Anything that answers posterior probabilities of the registered quantities.

    A fitted :class:`~bayeshcc.results.comparison.Comparison` returns a float; the vectorised
    posteriors of :mod:`bayeshcc.conjugate` return one probability per simulated trial.
    """

    def prob(self, quantity: str, direction: Direction, value: float, **selectors: float):
        """``P(quantity <direction> value | data)``."""
