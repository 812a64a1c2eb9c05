"""Step tables of hazards and hazard ratios; numbers at risk."""

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.results.curves import hazard_bands, hazard_ratio_bands, numbers_at_risk
from bayeshcc.testing import fake_survival_fit


@pytest.fixture
def huang_os() -> bh.IntervalData:
    return bh.datasets.load_huang2022().os


def fit_of(data, cutpoints=(0, 6, 12), seed=3):
    rng = np.random.default_rng(seed)
    h = rng.gamma(100, 0.05 / 100, size=(2, 200, len(data.arms), len(cutpoints)))
    return fake_survival_fit(h, cutpoints=cutpoints, data=data)


def test_hazard_bands_are_the_posterior_quantiles_per_arm_and_interval(huang_os):
    fit = fit_of(huang_os)
    out = hazard_bands(fit, prob=0.8)
    assert list(out.columns) == ["arm", "interval", "start", "end", "median", "eti80_lower", "eti80_upper",
                                 "beyond_data", "prob", "unit"]
    x = fit.hazard.sel(arm="Sorafenib").isel(interval=1).values.ravel()
    row = out[(out["arm"] == "Sorafenib") & (out["start"] == 6)].iloc[0]
    np.testing.assert_allclose([row["median"], row["eti80_lower"], row["eti80_upper"]],
                               np.quantile(x, [0.5, 0.1, 0.9]))
    assert out["end"].tolist()[:3] == [6.0, 12.0, pytest.approx(60.32, abs=0.01)]  # open end: the horizon
    assert not out["beyond_data"].any() and (out["unit"] == "months").all()


def test_intervals_beyond_the_horizon_are_marked(huang_os):
    out = hazard_bands(fit_of(huang_os, cutpoints=(0, 6, 70)))
    assert out["beyond_data"].tolist() == [False, False, True] * 2
    assert out["end"].iloc[2] == 134.0  # one interval width past the last start


def test_hazard_ratio_is_flat_under_proportional_hazards(huang_os):
    rng = np.random.default_rng(0)
    base = rng.gamma(50, 0.05 / 50, size=(2, 100, 1, 3))
    hr = rng.lognormal(np.log(0.6), 0.1, size=(2, 100, 1, 1))
    fit = fake_survival_fit(np.concatenate([base, base * hr], axis=2), cutpoints=[0, 6, 12], data=huang_os,
                            effect="proportional")
    out = hazard_ratio_bands(fit)
    assert out["arm"].unique().tolist() == ["Sorafenib vs FOLFOX-HAIC"]
    assert np.ptp(out["median"]) < 1e-12 and np.ptp(out["eti95_lower"]) < 1e-12
    np.testing.assert_allclose(out["median"].iloc[0], np.median(hr), rtol=1e-12)


def test_hazard_ratio_per_interval_for_per_arm_hazards(huang_os):
    fit = fit_of(huang_os)
    out = hazard_ratio_bands(fit, treatment="FOLFOX-HAIC", control="Sorafenib")
    ratio = (fit.hazard.sel(arm="FOLFOX-HAIC") / fit.hazard.sel(arm="Sorafenib")).values
    np.testing.assert_allclose(out["median"], np.median(ratio.reshape(-1, 3), axis=0))


def test_numbers_at_risk_count_the_kaplan_meier_risk_set():
    df = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 0, 1, 0, 1, 0], "arm": list("AABBBB"),
                       "entry": [0, 0, 0, 2.5, 0, 0]})
    data = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", entry="entry")
    out = numbers_at_risk(data, [0.0, 2.0, 3.0, 5.0])
    assert out["at_risk"].tolist() == [2, 1, 0, 0, 3, 3, 4, 2]  # B's late entrant counts from 2.5 on


def test_numbers_at_risk_need_patient_data(huang_os):
    with pytest.raises(bh.SpecError, match="patient-level"):
        numbers_at_risk(huang_os, [0.0])
