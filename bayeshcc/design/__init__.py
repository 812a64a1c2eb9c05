"""Trial simulator: designs, scenarios, vectorised simulation and operating characteristics.

>>> import bayeshcc as bh
>>> design = bh.TrialDesign(control="Sorafenib", treatment="HAIC", n_patients=300,
...     accrual=bh.Accrual(duration=24), dropout=bh.Dropout(proportion=0.05, by=12),
...     analyses=[bh.Analysis(events=100), bh.Analysis(events=200)],
...     success=bh.PosteriorProbability("hazard_ratio", "<", 1, prob=0.975))
"""

from bayeshcc.design.design import (
    Accrual,
    Analysis,
    Dropout,
    ResponsePrior,
    Scenario,
    SurvivalPrior,
    TrialDesign,
)
from bayeshcc.design.oc import SimulationResult, operating_characteristics
from bayeshcc.design.rules import AllOf, AnyOf, PosteriorProbability, PredictiveProbability, Rule
from bayeshcc.design.simulate import expected_max_events, simulate

__all__ = [
    "Accrual",
    "AllOf",
    "Analysis",
    "AnyOf",
    "Dropout",
    "PosteriorProbability",
    "PredictiveProbability",
    "ResponsePrior",
    "Rule",
    "Scenario",
    "SimulationResult",
    "SurvivalPrior",
    "TrialDesign",
    "expected_max_events",
    "operating_characteristics",
    "simulate",
]
