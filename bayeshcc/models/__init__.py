"""Model families (one module each), the prior vocabulary, and ``FAMILIES``: the spec registry.

A spec's ``[model] family = "..."`` is looked up in ``FAMILIES``; its other keys are the family's
constructor keywords.
"""

from bayeshcc.models.ae import HierarchicalAE
from bayeshcc.models.base import ExactModel, Model, Prepared
from bayeshcc.models.binomial import BinomialResponse
from bayeshcc.models.cox import CoxPH
from bayeshcc.models.logistic import LogisticResponse
from bayeshcc.models.ordinal import OrdinalResponse
from bayeshcc.models.piecewise_exponential import PiecewiseExponential
from bayeshcc.models.priors import (
    Beta,
    Gamma,
    HalfNormal,
    Logistic,
    LogNormal,
    Mixture,
    Normal,
    Prior,
    effective_sample_size,
    robust,
)
from bayeshcc.models.smoothing import RandomWalk

#: Spec name -> model class.
FAMILIES: dict[str, type[Model] | type[ExactModel]] = {
    cls.family: cls for cls in (PiecewiseExponential, BinomialResponse, CoxPH, HierarchicalAE,
                                OrdinalResponse, LogisticResponse)
}

__all__ = [
    "FAMILIES",
    "Beta",
    "BinomialResponse",
    "CoxPH",
    "ExactModel",
    "Gamma",
    "HalfNormal",
    "HierarchicalAE",
    "LogNormal",
    "Logistic",
    "LogisticResponse",
    "Mixture",
    "Model",
    "Normal",
    "OrdinalResponse",
    "PiecewiseExponential",
    "Prepared",
    "Prior",
    "RandomWalk",
    "effective_sample_size",
    "robust",
]
