"""Validated data containers and conversions. Nothing here imports PyMC."""

from bayeshcc.data.binary import AETable, BinaryData
from bayeshcc.data.binary_patients import BinaryPatientData
from bayeshcc.data.cutpoints import parse_cutpoints, quantile_cutpoints
from bayeshcc.data.evidence import HazardRatioEvidence, LandmarkEvidence, MedianEvidence, Sources
from bayeshcc.data.intervals import IntervalData
from bayeshcc.data.ordinal import OrdinalData
from bayeshcc.data.reconstruct import reconstruct_ipd
from bayeshcc.data.summaries import SurvivalSummary
from bayeshcc.data.survival import SurvivalData

__all__ = [
    "AETable",
    "BinaryData",
    "BinaryPatientData",
    "HazardRatioEvidence",
    "IntervalData",
    "LandmarkEvidence",
    "MedianEvidence",
    "OrdinalData",
    "Sources",
    "SurvivalData",
    "SurvivalSummary",
    "parse_cutpoints",
    "quantile_cutpoints",
    "reconstruct_ipd",
]
