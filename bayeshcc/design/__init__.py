"""Trial simulator: designs, scenarios, vectorised simulation and operating characteristics.

>>> import bayeshcc as bh
>>> design = bh.TrialDesign(control="Sorafenib", treatment="HAIC", n_patients=300,
...     accrual=bh.Accrual(duration=24), dropout=bh.Dropout(proportion=0.05, by=12),
...     analyses=[bh.Analysis(events=100), bh.Analysis(events=200)],
...     success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
...     analysis=bh.PiecewiseExponential(cutpoints=[0]))
"""

from bayeshcc.design.conduct import Accrual, Analysis, Dropout
from bayeshcc.design.endpoints import expected_max_events
from bayeshcc.design.oc import SimulationResult, operating_characteristics
from bayeshcc.design.rules import (
    AllOf,
    AnyOf,
    Decision,
    PosteriorProbability,
    PredictiveProbability,
    Rule,
)
from bayeshcc.design.scenario import Scenario
from bayeshcc.design.simulate import simulate
from bayeshcc.design.trial import TrialDesign

__all__ = [
    "Accrual",
    "AllOf",
    "Analysis",
    "AnyOf",
    "Decision",
    "Dropout",
    "PosteriorProbability",
    "PredictiveProbability",
    "Rule",
    "Scenario",
    "SimulationResult",
    "TrialDesign",
    "expected_max_events",
    "operating_characteristics",
    "simulate",
]
