"""bayeshcc: Bayesian modelling of hepatocellular-carcinoma trial data.

Fit piecewise-exponential survival models to patient-level data or published summaries, compare
treatment arms through their posteriors, and simulate future randomized trials.
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
from bayeshcc.errors import ConvergenceWarning, DataError, SpecError

__version__ = "0.1.0"

__all__ = [
    "AETable",
    "BinaryData",
    "ConvergenceWarning",
    "DataError",
    "IntervalData",
    "OrdinalData",
    "SpecError",
    "SurvivalData",
    "SurvivalSummary",
    "data",
    "datasets",
]

from bayeshcc.compare import Comparison  # noqa: E402
from bayeshcc.diagnostics import Diagnostics  # noqa: E402
from bayeshcc.fit import SurvivalFit  # noqa: E402
from bayeshcc.models import (  # noqa: E402
    Gamma,
    HalfNormal,
    LogNormal,
    Normal,
    PiecewiseExponential,
    Prior,
)

__all__ += [
    "Comparison",
    "Diagnostics",
    "Gamma",
    "HalfNormal",
    "LogNormal",
    "Normal",
    "PiecewiseExponential",
    "Prior",
    "SurvivalFit",
]

from bayeshcc import design  # noqa: E402
from bayeshcc.design import *  # noqa: E402,F403

__all__ += list(design.__all__)
