"""PyMC model builders, one module per family; ``priors`` holds the prior vocabulary."""

from bayeshcc.models.piecewise_exponential import PiecewiseExponential
from bayeshcc.models.priors import Gamma, HalfNormal, LogNormal, Normal, Prior

__all__ = ["Gamma", "HalfNormal", "LogNormal", "Normal", "PiecewiseExponential", "Prior"]
