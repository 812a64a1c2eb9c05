"""Trial simulator: designs, scenarios, vectorised simulation and operating characteristics.

>>> import bayeshcc as bh
>>> design = bh.TrialDesign(control="Sorafenib", treatment="HAIC", n_patients=300,
...     accrual=bh.Accrual(duration=24), dropout=bh.Dropout(proportion=0.05, by=12),
...     analyses=[bh.Analysis(events=100), bh.Analysis(events=200)],
...     success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
...     analysis=bh.PiecewiseExponential(cutpoints=[0]))
"""

from bayeshcc.design.calibrate import CalibrationResult, calibrate
from bayeshcc.design.campaign import run_campaign
from bayeshcc.design.conduct import Accrual, Analysis, Dropout
from bayeshcc.design.discount import PowerPrior, RobustMixture
from bayeshcc.design.endpoints import expected_max_events
from bayeshcc.design.grid import power_curve, simulate_grid
from bayeshcc.design.logrank import LogRank, LogRankDecision
from bayeshcc.design.oc import SimulationResult, operating_characteristics
from bayeshcc.design.planning import AssuranceResult, JointResult, assurance, simulate_joint
from bayeshcc.design.rules import (
    AllOf,
    AnyOf,
    Decision,
    PosteriorProbability,
    PredictiveProbability,
    Rule,
)
from bayeshcc.design.scenario import Scenario
from bayeshcc.design.search import SampleSizeResult, find_sample_size
from bayeshcc.design.simulate import simulate
from bayeshcc.design.spending import required_events, required_patients
from bayeshcc.design.summaries import duration_quantiles, expected_size, stopping_table
from bayeshcc.design.trial import TrialDesign

__all__ = [
    "CalibrationResult",
    "LogRank",
    "LogRankDecision",
    "SampleSizeResult",
    "calibrate",
    "find_sample_size",
    "required_events",
    "required_patients",
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
    "run_campaign",
    "simulate_grid",
    "power_curve",
    "stopping_table",
    "duration_quantiles",
    "expected_size",
    "PowerPrior",
    "RobustMixture",
    "AssuranceResult",
    "JointResult",
    "assurance",
    "simulate_joint",
]
