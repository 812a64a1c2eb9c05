"""The truth a trial is simulated under."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bayeshcc.design._validate import ARMS, _cutpoints, _per_arm, _positive, _vector
from bayeshcc.errors import SpecError

__all__ = ["Scenario"]


@dataclass(frozen=True, init=False)
class Scenario:
    """The truth a trial is simulated under (use :meth:`fixed`).

    Attributes
    ----------
    cutpoints : tuple of float
        Start of each period of the piecewise-exponential truth (months).
    control_hazards, hazard_ratios : tuple of float
        Control hazard per month and treatment/control hazard ratio, per period.
    cure_fraction : (control, treatment)
        Proportion of patients who never have the event.
    response_rates : (control, treatment) or None
    """

    cutpoints: tuple[float, ...]
    control_hazards: tuple[float, ...]
    hazard_ratios: tuple[float, ...]
    cure_fraction: tuple[float, float]
    response_rates: tuple[float, float] | None

    @classmethod
    def fixed(
        cls,
        *,
        median: float | None = None,
        hazards: float | Sequence[float] | None = None,
        cutpoints: Sequence[float] = (0.0,),
        hazard_ratio: float | Sequence[float] = 1.0,
        cure_fraction: float | Mapping[str, float] = 0.0,
        response_rates: Mapping[str, float] | None = None,
    ) -> Scenario:
        """A scenario with fixed true parameters.

        Parameters
        ----------
        median : float, optional
            Control median (months) of an exponential control arm (exclusive with ``hazards``).
        hazards : float or sequence of float, optional
            Control hazard per month in each period starting at ``cutpoints``.
        cutpoints : sequence of float, default ``(0,)``
        hazard_ratio : float or sequence of float, default 1
            Constant, or one per period (delayed effects: ``[1, 0.6]`` with ``cutpoints=[0, 3]``).
        cure_fraction : float or mapping, default 0
            Scalar or ``{"control": .., "treatment": ..}``; cured patients never have the event.
        response_rates : mapping, optional
            ``{"control": p_c, "treatment": p_t}`` for the response endpoint.

        Notes
        -----
        Event times follow a mixture cure model with piecewise-exponential hazards:
        :math:`S_a(t) = \\pi_a + (1 - \\pi_a) \\exp(-H_a(t))` with
        :math:`h_{\\text{treatment}}(t) = \\text{HR}(t)\\, h_{\\text{control}}(t)`.
        A median :math:`m` means the hazard :math:`\\log 2 / m`.
        """
        self = object.__new__(cls)
        s = object.__setattr__
        if response_rates is not None:
            rates = (
                _per_arm("Scenario.response_rates", response_rates)
                if isinstance(response_rates, Mapping)
                else None
            )
            if rates is None:
                raise SpecError(
                    f"Scenario.response_rates: expected {{'control': p, 'treatment': p}}, got {response_rates!r}"
                )
            for arm, p in zip(ARMS, rates, strict=True):
                if p > 1:
                    raise SpecError(
                        f"Scenario.response_rates['{arm}']: expected a probability, got {p}"
                    )
            s(self, "response_rates", rates)
        else:
            s(self, "response_rates", None)
        if median is not None and hazards is not None:
            raise SpecError("Scenario: give median or hazards for the control arm, not both")
        cuts = _cutpoints("Scenario.cutpoints", cutpoints)
        if median is None and hazards is None:
            if response_rates is None:
                raise SpecError("Scenario: give the control median or hazards (or response_rates)")
            haz = ()
        elif median is not None:
            haz = (math.log(2) / _positive("Scenario.median", median),) * len(cuts)
        else:
            haz = _vector("Scenario.hazards", hazards)
            if len(haz) == 1:
                haz = haz * len(cuts)
            if len(haz) != len(cuts):
                raise SpecError(
                    f"Scenario.hazards: expected {len(cuts)} values (one per cutpoint), got {len(haz)}"
                )
            if haz[-1] <= 0:
                raise SpecError(
                    f"Scenario.hazards: the last period's hazard must be > 0, got {haz[-1]}"
                )
        hr = _vector("Scenario.hazard_ratio", hazard_ratio, allow_zero=False)
        if not haz:
            hr = ()
        elif len(hr) == 1:
            hr = hr * len(cuts)
        if haz and len(hr) != len(cuts):
            raise SpecError(
                f"Scenario.hazard_ratio: expected 1 or {len(cuts)} values, got {len(hr)}"
            )
        cure = _per_arm("Scenario.cure_fraction", cure_fraction)
        for arm, p in zip(ARMS, cure, strict=True):
            if p >= 1:
                raise SpecError(
                    f"Scenario.cure_fraction['{arm}']: expected a value in [0, 1), got {p}"
                )
        s(self, "cutpoints", cuts)
        s(self, "control_hazards", haz)
        s(self, "hazard_ratios", hr)
        s(self, "cure_fraction", cure)
        return self

    def hazards(self) -> np.ndarray:
        """True hazards per arm and period, shape ``(2, periods)`` (control, treatment)."""
        h = np.asarray(self.control_hazards)
        return np.stack([h, h * np.asarray(self.hazard_ratios)])

    def __str__(self) -> str:
        if self.response_rates is not None:
            c, t = self.response_rates
            return f"Scenario: response rates control {c:g}, treatment {t:g}"
        hr = self.hazard_ratios
        hr_s = f"{hr[0]:g}" if len(set(hr)) == 1 else "[" + ", ".join(f"{h:g}" for h in hr) + "]"
        return (
            f"Scenario: control hazards {[round(h, 5) for h in self.control_hazards]} "
            f"from {list(self.cutpoints)}, HR {hr_s}, cure {self.cure_fraction}"
        )
