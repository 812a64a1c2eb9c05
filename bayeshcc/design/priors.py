"""Priors of the analysis models used inside the simulator."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bayeshcc.design._validate import ARMS, _number, _positive
from bayeshcc.errors import SpecError

__all__ = ["ResponsePrior", "SurvivalPrior"]


@dataclass(frozen=True)
class SurvivalPrior:
    """Priors of the survival analysis model used for the in-simulation posteriors.

    Parameters
    ----------
    log_hr : (mean, sd), default (0, 10)
        Normal prior on the log hazard ratio (treatment vs control); ``laplace`` and ``mcmc``.
    log_hazard : (mean, sd), default (log 0.05, 10)
        Normal prior on each baseline (control) log hazard per month; ``laplace``.
    hazard : (shape, rate), default (0.001, 0.001)
        Gamma prior on each arm's hazard per month; ``conjugate``.

    Notes
    -----
    The defaults are vague: with sd 10 on the log scale the prior carries the information of
    about :math:`4/10^2 = 0.04` events on the log hazard ratio, so the posterior is the likelihood.
    """

    log_hr: tuple[float, float] = (0.0, 10.0)
    log_hazard: tuple[float, float] = (math.log(0.05), 10.0)
    hazard: tuple[float, float] = (0.001, 0.001)

    def __post_init__(self) -> None:
        for name in ("log_hr", "log_hazard", "hazard"):
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise SpecError(f"SurvivalPrior.{name}: expected a pair of numbers, got {value!r}")
            _number(f"SurvivalPrior.{name}[0]", value[0])
            _positive(f"SurvivalPrior.{name}[1]", value[1])
            object.__setattr__(self, name, (float(value[0]), float(value[1])))
        _positive("SurvivalPrior.hazard[0]", self.hazard[0])


@dataclass(frozen=True)
class ResponsePrior:
    """Beta priors on the response rate of each arm (``(a, b)``, default uniform ``(1, 1)``)."""

    control: tuple[float, float] = (1.0, 1.0)
    treatment: tuple[float, float] = (1.0, 1.0)

    def __post_init__(self) -> None:
        for name in ARMS:
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise SpecError(f"ResponsePrior.{name}: expected a pair (a, b), got {value!r}")
            object.__setattr__(
                self,
                name,
                tuple(_positive(f"ResponsePrior.{name}[{i}]", v) for i, v in enumerate(value)),
            )
