"""SYNTHETIC patient-level cohorts built from published summaries (no real patient data)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.data import SurvivalData
from bayeshcc.errors import DataError

__all__ = ["SYNTHETIC_HUANG2022_TRUTH", "SyntheticSurvivalData", "synthetic_huang2022"]

NOTE = ("SYNTHETIC data: simulated from huang2022's published summaries (Table 1 covariate counts, "
        "Table 2 multivariable HRs, landmark OS); not patient data")

#: Generating log hazard ratios (per unit of each 0/1 covariate; FOLFOX-HAIC vs sorafenib):
#: treatment HR 0.29; PVTT presence vs absence 1/0.49; AFP > 1000 vs <= 1000 ng/mL 1/0.71 (the
#: paper reports absence-vs-presence and <=1000-vs->1000, Table 2); the other Table 1 factors 1.
SYNTHETIC_HUANG2022_TRUTH = {"treatment": float(np.log(0.29)), "pvtt": float(-np.log(0.49)),
                             "afp_high": float(-np.log(0.71)), "age_over_50": 0.0, "ecog_1": 0.0,
                             "tumour_over_10cm": 0.0, "malbi_grade[T.2a]": 0.0, "malbi_grade[T.2b]": 0.0}
#: Table 1 counts "present" (pvtt presence, AFP > 1000, age > 50, ECOG 1, tumour > 10 cm) per arm.
_TABLE1 = {"FOLFOX-HAIC": {"n": 55, "pvtt": 18, "afp_high": 34, "age_over_50": 25, "ecog_1": 39, "tumour_over_10cm": 32},
           "Sorafenib": {"n": 59, "pvtt": 17, "afp_high": 36, "age_over_50": 34, "ecog_1": 35, "tumour_over_10cm": 27}}
#: Table 1 mALBI grade counts per arm (a text covariate: levels "1", "2a", "2b").
_MALBI = {"FOLFOX-HAIC": {"1": 32, "2a": 15, "2b": 8}, "Sorafenib": {"1": 34, "2a": 20, "2b": 5}}
#: Published OS landmarks (months: FOLFOX-HAIC, sorafenib), Results text para 2.
_LANDMARKS = {6.0: (0.927, 0.712), 12.0: (0.618, 0.254), 18.0: (0.418, 0.102)}
CUTPOINTS = (0.0, 6.0, 12.0, 18.0)
#: Potential follow-up from treatment start to the data cut-off, months (study dates).
FOLLOW_UP = (28.42, 60.32)


@dataclass(frozen=True, eq=False, repr=False)
class SyntheticSurvivalData(SurvivalData):
    """SurvivalData that are simulated, not observed; ``note`` says how (shown in every output)."""

    note: str = NOTE

    def __repr__(self) -> str:
        return f"SYNTHETIC {super().__repr__()}"


def _relative_hazards(frame: pd.DataFrame) -> np.ndarray:
    eta = SYNTHETIC_HUANG2022_TRUTH["treatment"] * (frame["arm"] == "FOLFOX-HAIC").to_numpy()
    for c in ("pvtt", "afp_high", "age_over_50", "ecog_1", "tumour_over_10cm"):
        eta = eta + SYNTHETIC_HUANG2022_TRUTH[c] * frame[c].to_numpy()
    return np.exp(eta)


def _covariates(rng: np.random.Generator) -> pd.DataFrame:
    """Each arm's Table 1 counts, assigned to its patients in random order (each factor independently)."""
    parts = []
    for arm, t in _TABLE1.items():
        cols = {"arm": [arm] * t["n"]}
        for c in ("pvtt", "afp_high", "age_over_50", "ecog_1", "tumour_over_10cm"):
            cols[c] = rng.permutation(np.r_[np.ones(t[c], int), np.zeros(t["n"] - t[c], int)])
        parts.append(pd.DataFrame(cols))
    return pd.concat(parts, ignore_index=True)


def _malbi(arms: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Each arm's Table 1 mALBI grades as text, in random order (independently of the other factors)."""
    out = np.empty(len(arms), dtype=object)
    for arm, counts in _MALBI.items():
        sel = np.flatnonzero((arms == arm).to_numpy())
        out[sel] = rng.permutation(np.repeat(list(counts), list(counts.values())))
    return out


def baseline_hazard() -> np.ndarray:
    """Generating baseline hazards on ``[0, 6), [6, 12), [12, 18), [18, inf)`` months (reference patient).

    Chosen, interval by interval, so that the expected survival of each arm's Table 1 covariate
    mix (under the generating HRs) is closest on the log scale to the published landmarks of both
    arms together; the last interval keeps the hazard of ``[12, 18)``.
    """
    from scipy.optimize import minimize_scalar

    frame = _covariates(np.random.default_rng(0))  # the counts are fixed; their order does not matter
    r = _relative_hazards(frame)
    haic = (frame["arm"] == "FOLFOX-HAIC").to_numpy()
    h_before = np.zeros(len(frame))
    out = []
    for s_haic, s_sor in _LANDMARKS.values():
        def loss(log_h, h_before=h_before, s_haic=s_haic, s_sor=s_sor):
            big_h = h_before + np.exp(log_h) * 6.0 * r
            s = np.exp(-big_h)
            return (np.log(s[haic].mean()) - np.log(s_haic)) ** 2 + (np.log(s[~haic].mean()) - np.log(s_sor)) ** 2
        log_h = minimize_scalar(loss, bounds=(-8, 2), method="bounded").x
        out.append(float(np.exp(log_h)))
        h_before = h_before + out[-1] * 6.0 * r
    return np.array([*out, out[-1]])


def synthetic_huang2022(seed: int = 1) -> SyntheticSurvivalData:
    """A SYNTHETIC patient-level cohort shaped like huang2022 (FOLFOX-HAIC vs sorafenib), for Cox models.

    The seed study publishes no patient data. This cohort has its 114 patients (55 FOLFOX-HAIC,
    59 sorafenib) with each arm's exact Table 1 counts of five 0/1 factors and of the mALBI grade
    (text), assigned at random (independently of each other), and overall survival drawn from a
    proportional-hazards model with the paper's multivariable hazard ratios. Every output of a fit
    to it says it is synthetic.

    Parameters
    ----------
    seed : int
        Random seed; the same seed gives the same cohort.

    Returns
    -------
    SyntheticSurvivalData
        A :class:`~bayeshcc.SurvivalData` (time in months; control ``"Sorafenib"``) with covariates
        ``pvtt`` (portal vein tumour thrombus present), ``afp_high`` (AFP > 1000 ng/mL),
        ``age_over_50``, ``ecog_1`` (ECOG performance status 1) and ``tumour_over_10cm``
        (maximum diameter > 10 cm), each 0/1; ``malbi_grade`` (modified ALBI grade, text
        ``"1"``, ``"2a"``, ``"2b"``: a categorical covariate, e.g.
        ``C(malbi_grade, contr.treatment("1"))``); and ``note`` saying it is synthetic.

    Notes
    -----
    Generating model: hazard ``h0(t) exp(x beta)`` with ``beta`` in
    :data:`SYNTHETIC_HUANG2022_TRUTH` (treatment HR 0.29, PVTT HR 1/0.49 = 2.04, AFP > 1000 HR
    1/0.71 = 1.41, others 1, mALBI grade included; Table 2) and a piecewise-constant ``h0`` on ``[0, 6, 12, 18)``
    months chosen so that each arm's expected survival matches the published 6/12/18-month OS
    (92.7/61.8/41.8% and 71.2/25.4/10.2%) as closely as the proportional model allows
    (:func:`baseline_hazard`). Censoring: administrative only, potential follow-up uniform on
    28.4-60.3 months (the study's dates), so nobody is censored before 28 months, as in the study.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> cohort = bh.datasets.synthetic_huang2022(seed=1)
    >>> cohort.n_by_arm
    {'Sorafenib': 59, 'FOLFOX-HAIC': 55}
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise DataError(f"seed must be a whole number >= 0, got {seed!r}")
    rng = np.random.default_rng([int(seed), 2022])
    frame = _covariates(rng)
    from bayeshcc.piecewise import inverse_cumulative_hazard

    h = baseline_hazard()[None, :] * _relative_hazards(frame)[:, None]
    t = inverse_cumulative_hazard(rng.exponential(size=len(frame)), np.asarray(CUTPOINTS), h)
    follow = rng.uniform(*FOLLOW_UP, size=len(frame))
    frame["time"] = np.round(np.minimum(t, follow), 2)
    frame["event"] = (t <= follow).astype(int)
    # a stream of its own, so the 0/1 factors and times are those of the cohort without mALBI
    frame["malbi_grade"] = _malbi(frame["arm"], np.random.default_rng([int(seed), 2022, 1]))
    frame = frame.sort_values("arm", ascending=False, kind="stable").reset_index(drop=True)  # sorafenib first
    covs = ["pvtt", "afp_high", "age_over_50", "ecog_1", "tumour_over_10cm", "malbi_grade"]
    base = SurvivalData.from_frame(frame, time="time", event="event", arm="arm", covariates=covs,
                                   arms=["Sorafenib", "FOLFOX-HAIC"], time_unit="months")
    return SyntheticSurvivalData(frame=base.frame, arms=base.arms, covariates=base.covariates,
                                 time_unit="months", control="Sorafenib")
