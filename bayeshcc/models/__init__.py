"""Model families (one module each), the prior vocabulary, and ``FAMILIES``: the spec registry.

A spec's ``[model] family = "..."`` is looked up in ``FAMILIES``; its other keys are the family's
constructor keywords.
"""

from bayeshcc.models.base import ExactModel, Model, Prepared
from bayeshcc.models.binomial import BinomialResponse
from bayeshcc.models.piecewise_exponential import PiecewiseExponential
from bayeshcc.models.priors import Beta, Gamma, HalfNormal, LogNormal, Normal, Prior

#: Spec name -> model class.
FAMILIES: dict[str, type[Model] | type[ExactModel]] = {
    cls.family: cls for cls in (PiecewiseExponential, BinomialResponse)
}

__all__ = [
    "FAMILIES",
    "Beta",
    "BinomialResponse",
    "ExactModel",
    "Gamma",
    "HalfNormal",
    "LogNormal",
    "Model",
    "Normal",
    "PiecewiseExponential",
    "Prepared",
    "Prior",
]
