"""Sample-size search, threshold calibration and the group-sequential maths behind them:
behaviour and errors (published numbers: tests/conformance/test_sample_size.py)."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import bayeshcc as bh
from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign
from bayeshcc.design.search import resize

RULE = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)


def design(analyses=None, n=600, **kw):
    return TrialDesign(control="C", treatment="T", n_patients=n, accrual=Accrual(duration=24),
                       analyses=analyses or [Analysis(events=331)], success=RULE, **kw)


def test_resize_keeps_information_fractions():
    d = design([Analysis(events=100), Analysis(months=30), Analysis(events=300, max_months=60)])
    r = resize(d, "events", 450)
    assert [a.events for a in r.analyses] == [150, None, 450]
    assert r.analyses[2].max_months == 60 and r.analyses[1].months == 30
    p = resize(design([Analysis(patients=300, min_follow_up=6)]), "n_patients", 800)
    assert p.n_patients == 800 and p.analyses[0].patients == 400
    assert d.analyses[0].events == 100  # the caller's design is not changed


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target": ("power", 1.2)}, r"target\[1\]: expected a probability in \(0, 1\), got 1.2"),
        ({"target": ("power", 0)}, r"target\[1\]"),
        ({"target": ("precision", 0.9)}, "expected \\('power', p\\) or \\('assurance', p\\)"),
        ({"lower": 400, "upper": 300}, "find_sample_size.lower: 400 is not below upper=300"),
        ({"vary": "months"}, "find_sample_size.vary: expected 'events' or 'n_patients', got 'months'"),
        ({"upper": 700}, "find_sample_size.upper: events=700 gives an invalid design"),
        ({"vary": "n_patients"}, "changes the trial's duration, not its information"),
        ({"n_trials": 5}, "find_sample_size.n_trials: expected an integer >= 10"),
    ],
)
def test_find_sample_size_errors(kwargs, match):
    args = {"target": ("power", 0.9), "vary": "events", "lower": 100, "upper": 500, "n_trials": 100}
    args.update(kwargs)
    with pytest.raises(bh.SpecError, match=match):
        bh.find_sample_size(design(), Scenario.fixed(median=12, hazard_ratio=0.7), seed=1, **args)


def test_find_sample_size_by_patients_and_plot():
    """Calendar-time final look: power grows with patients; the search brackets the crossing."""
    d = design([Analysis(months=36)], n=300)
    res = bh.find_sample_size(d, Scenario.fixed(median=12, hazard_ratio=0.6), target=("power", 0.8),
                              vary="n_patients", lower=60, upper=300, n_trials=300, seed=3, rounds=1)
    assert res.status == "found" and res.design.n_patients == res.size
    assert 60 < res.size < 300
    assert list(res.curve.columns[:4]) == ["size", "p_success", "mcse", "n_trials"]
    # The fitted curve agrees with the simulated points within 4 MCSE.
    assert np.all(np.abs(res.curve["p_success"] - res.curve["p_fitted"]) < 4 * res.curve["mcse"] + 0.01)
    ax = res.plot()
    assert len(ax.lines) >= 3  # fitted curve, target, chosen size (plus error bars)
    assert any(f"size {res.size}" == t.get_text() for t in ax.get_legend().get_texts())
    plt.close(ax.figure)
    assert str(res).startswith("SampleSizeResult")


def test_find_sample_size_reports_a_target_out_of_range():
    res = bh.find_sample_size(design(), Scenario.fixed(median=12, hazard_ratio=0.9),
                              lower=100, upper=300, n_trials=200, seed=2, rounds=0)
    assert res.status == "above_upper" and res.size is None and res.design is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 0.5}, r"calibrate.alpha: expected a one-sided level in \(0, 0.5\), got 0.5"),
        ({"n_trials": 50}, "calibrate.n_trials: expected an integer >= 100"),
        ({"spending": [0.01, 0.02]}, "calibrate.spending: expected strictly increasing cumulative alpha"),
        ({"spending": [0.01]}, "calibrate.spending: expected 2 cumulative alpha values"),
        ({"spending": "linear"}, "calibrate.spending: unknown spending 'linear'"),
        ({"null_grid": [9.0]}, r"calibrate.null_grid\[0\]: expected a Scenario, got float"),
    ],
)
def test_calibrate_errors(kwargs, match):
    d = design([Analysis(events=150), Analysis(events=300)])
    with pytest.raises(bh.SpecError, match=match):
        bh.calibrate(d, Scenario.fixed(median=9, hazard_ratio=1.0), seed=1, **kwargs)


def test_calibrate_needs_a_posterior_rule_at_every_look():
    d = TrialDesign(control="C", treatment="T", n_patients=600, accrual=Accrual(duration=24),
                    analyses=[Analysis(events=150), Analysis(events=300)], success=[None, RULE])
    with pytest.raises(bh.SpecError, match=r"TrialDesign.success\[0\]: calibrate needs"):
        bh.calibrate(d, Scenario.fixed(median=9, hazard_ratio=1.0), seed=1)


def test_calibrate_over_a_null_grid_and_plot():
    """Given cumulative alpha and two null medians: each bar holds in both, the design is rebuilt."""
    d = design([Analysis(events=150), Analysis(events=300)])
    res = bh.calibrate(d, Scenario.fixed(median=9, hazard_ratio=1.0), spending=[0.01, 0.025],
                       null_grid=[Scenario.fixed(median=4, hazard_ratio=1.0)], n_trials=2000, seed=4)
    t = res.table
    assert t["alpha_cumulative"].tolist() == [0.01, 0.025]
    assert [r.threshold for r in res.design.success] == res.thresholds
    assert res.design.success[0].quantity == "hazard_ratio" and d.success[0].threshold == 0.975
    # Checked on independent trials: within 4 x sqrt(2) MCSE of the target (the bar's own error
    # from 2000 calibration trials is about one MCSE of the check).
    assert np.all(np.abs(t["type1_cumulative"] - t["alpha_cumulative"]) < 4 * math.sqrt(2) * t["type1_mcse"])
    # The normal-approximation critical HR and the simulated separating HR agree closely.
    assert np.all(np.abs(t["critical_hr"] - t["critical_hr_simulated"]) < 0.02)
    ax = res.plot()
    assert len(ax.lines) >= 2
    plt.close(ax.figure)
