"""bayeshcc: Bayesian modelling of hepatocellular-carcinoma trial data.

Fit survival and response models to patient-level data or published summaries, compare treatment
arms through their posteriors, and simulate future randomized trials.
"""

from bayeshcc import data, datasets
from bayeshcc.data import (
    AETable,
    BinaryData,
    BinaryPatientData,
    HazardRatioEvidence,
    IntervalData,
    LandmarkEvidence,
    MedianEvidence,
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
    CoxPH,
    ExactModel,
    Gamma,
    HalfNormal,
    HierarchicalAE,
    Logistic,
    LogisticResponse,
    LogNormal,
    Mixture,
    Model,
    Normal,
    OrdinalResponse,
    PiecewiseExponential,
    Prior,
    RandomWalk,
    effective_sample_size,
    robust,
)
from bayeshcc.results.ae import AEComparison, AEFit
from bayeshcc.results.comparison import Comparison
from bayeshcc.results.cox import CoxFit
from bayeshcc.results.fit import Fit
from bayeshcc.results.logistic import LogisticFit
from bayeshcc.results.loo import compare_models
from bayeshcc.results.ordinal import OrdinalFit
from bayeshcc.results.ppc import posterior_predictive_check
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
    "BinaryPatientData",
    "BinomialResponse",
    "Comparison",
    "CoxFit",
    "CoxPH",
    "Decision",
    "ConvergenceWarning",
    "SparseLookWarning",
    "DataError",
    "Diagnostics",
    "Dropout",
    "ExactModel",
    "Fit",
    "AEComparison",
    "AEFit",
    "Gamma",
    "HazardRatioEvidence",
    "HierarchicalAE",
    "HalfNormal",
    "IntervalData",
    "LandmarkEvidence",
    "LogNormal",
    "Logistic",
    "LogisticFit",
    "LogisticResponse",
    "MedianEvidence",
    "Mixture",
    "Model",
    "Normal",
    "OrdinalData",
    "OrdinalFit",
    "OrdinalResponse",
    "PiecewiseExponential",
    "PosteriorProbability",
    "PredictiveProbability",
    "Prior",
    "RandomWalk",
    "ResponseFit",
    "Rule",
    "Scenario",
    "SimulationResult",
    "SpecError",
    "SurvivalData",
    "SurvivalFit",
    "SurvivalSummary",
    "TrialDesign",
    "compare_models",
    "data",
    "datasets",
    "effective_sample_size",
    "expected_max_events",
    "operating_characteristics",
    "posterior_predictive_check",
    "robust",
    "simulate",
]
