"""bayeshcc: Bayesian modelling of hepatocellular-carcinoma trial data.

Fit survival and response models to patient-level data or published summaries, compare treatment
arms through their posteriors, and simulate future randomized trials.
"""

from bayeshcc import data, datasets
from bayeshcc.data import (
    AETable,
    BinaryData,
    IntervalData,
    OrdinalData,
    SurvivalData,
    SurvivalSummary,
)
from bayeshcc.design import (
    Accrual,
    AllOf,
    Analysis,
    AnyOf,
    Decision,
    Dropout,
    PosteriorProbability,
    PredictiveProbability,
    Rule,
    Scenario,
    SimulationResult,
    TrialDesign,
    expected_max_events,
    operating_characteristics,
    simulate,
)
from bayeshcc.diagnostics import Diagnostics
from bayeshcc.errors import ConvergenceWarning, DataError, SparseLookWarning, SpecError
from bayeshcc.models import (
    FAMILIES,
    Beta,
    BinomialResponse,
    ExactModel,
    Gamma,
    HalfNormal,
    LogNormal,
    Model,
    Normal,
    PiecewiseExponential,
    Prior,
)
from bayeshcc.results.comparison import Comparison
from bayeshcc.results.fit import Fit
from bayeshcc.results.response import ResponseFit
from bayeshcc.results.survival import SurvivalFit

__version__ = "0.1.0"

__all__ = [
    "FAMILIES",
    "AETable",
    "Accrual",
    "AllOf",
    "Analysis",
    "AnyOf",
    "Beta",
    "BinaryData",
    "BinomialResponse",
    "Comparison",
    "Decision",
    "ConvergenceWarning",
    "SparseLookWarning",
    "DataError",
    "Diagnostics",
    "Dropout",
    "ExactModel",
    "Fit",
    "Gamma",
    "HalfNormal",
    "IntervalData",
    "LogNormal",
    "Model",
    "Normal",
    "OrdinalData",
    "PiecewiseExponential",
    "PosteriorProbability",
    "PredictiveProbability",
    "Prior",
    "ResponseFit",
    "Rule",
    "Scenario",
    "SimulationResult",
    "SpecError",
    "SurvivalData",
    "SurvivalFit",
    "SurvivalSummary",
    "TrialDesign",
    "data",
    "datasets",
    "expected_max_events",
    "operating_characteristics",
    "simulate",
]
