"""Acceptance check of issue 2 against the published Huang 2022 OS figures (CHECKS.md)."""

import numpy as np
import pytest

import bayeshcc as bh

pytestmark = pytest.mark.slow

PUBLISHED_HR_CI = (0.23, 0.53)
PUBLISHED_MEDIAN_CI = {"FOLFOX-HAIC": (13.4, 20.8), "Sorafenib": (7.5, 10.6)}


@pytest.fixture(scope="module")
def study():
    return bh.datasets.load_huang2022()


@pytest.fixture(scope="module")
def full_fit(study):
    model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18], control="Sorafenib")
    return model.fit(study.os, draws=1000, tune=1000, chains=4, seed=1)


def test_proportional_hr_and_medians_match_paper(full_fit):
    assert full_fit.diagnostics().ok
    cmp = full_fit.compare(treatment="FOLFOX-HAIC", control="Sorafenib")
    s = cmp.summary(prob=0.95)
    hr = s[s.quantity == "hazard_ratio"].iloc[0]
    assert 0.30 <= hr["median"] <= 0.42
    assert hr["eti95_lower"] < PUBLISHED_HR_CI[1] and hr["eti95_upper"] > PUBLISHED_HR_CI[0]
    for arm, (lo, hi) in PUBLISHED_MEDIAN_CI.items():
        assert lo <= s[(s.quantity == "median") & (s.arm == arm)]["median"].item() <= hi, arm
    assert cmp.prob("hazard_ratio", "<", 1.0) > 0.999


def test_deaths_after_18_months_tighten_the_hr(study, full_fit):
    closed = study.os.frame[np.isfinite(study.os.frame["end"])]
    landmarks_only = bh.IntervalData.from_frame(closed)
    # no cutpoint at 18: the landmarks alone say nothing beyond it (such a cutpoint is refused)
    model = bh.PiecewiseExponential(cutpoints=[0, 6, 12], control="Sorafenib")
    fit = model.fit(landmarks_only, draws=1000, tune=1000, chains=4, seed=1)
    def width(f):
        x = np.log(f.compare(treatment="FOLFOX-HAIC", control="Sorafenib", times=[18]).draws["hazard_ratio"].values)
        return np.subtract(*np.quantile(x, [0.975, 0.025]))
    assert width(full_fit) < width(fit)
