"""Sample-size search, threshold calibration and the group-sequential maths behind them:
behaviour and errors (published numbers: tests/conformance/test_sample_size.py)."""

import math
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import optimize, stats

import bayeshcc as bh
import bayeshcc.design.search as search
from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign
from bayeshcc.design._curve import SuccessCurve
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


# -- the fitted success curve: separation, saturation, assurance ---------------------------------

MU, TAU = math.log(0.7), 0.3  # design prior of the log HR for the assurance checks


def ohagan_assurance(events):
    """O'Hagan, Stevens and Campbell (2005): one look, vague analysis prior, 1:1, one-sided 0.025."""
    info = 0.25 * np.asarray(events, float)
    return stats.norm.cdf((-MU * np.sqrt(info) - stats.norm.isf(0.025)) / np.sqrt(1 + TAU**2 * info))


def fake_simulate(probability):
    """A stand-in for simulate: binomial successes at ``probability(final events)`` from the seed."""

    def run(design, scenario, *, n_trials, seed, engine, progress):
        wins = np.random.default_rng(seed).binomial(n_trials, probability(design.analyses[-1].events))
        decision = np.r_[np.ones(wins), np.zeros(n_trials - wins)]
        return SimpleNamespace(trials={"decision": SimpleNamespace(values=decision)})

    return run


@pytest.mark.parametrize("plateau", [False, True])
@pytest.mark.parametrize("wins", [[0, 0, 0], [200, 200, 200], [0, 0, 200], [0, 100, 200], [0, 200, 200]])
def test_success_curve_is_finite_when_proportions_saturate_or_separate(wins, plateau):
    """These made the probit IRLS solve a singular system; the penalised fit stays finite."""
    size = np.array([200.0, 400.0, 600.0])
    curve = SuccessCurve(size, np.array(wins, float), np.full(3, 200.0), plateau=plateau)
    assert np.all(np.isfinite(curve.theta)) and np.all(np.isfinite(curve.cov))
    p, se = curve.predict(size)
    assert np.all(np.abs(p - np.array(wins) / 200) < 0.05) and np.all(np.isfinite(se))
    cross, _ = curve.crossing(0.5)
    if wins[0] < 100 <= wins[-1]:  # the curve rises through 0.5 between the sizes either side of it
        first = size[np.array(wins) >= 100][0]
        assert size[0] < cross <= first
    else:
        assert math.isnan(cross)


def test_find_sample_size_reports_saturated_curves_without_a_linear_algebra_error():
    """HR 0.3 between 200 and 600 events: every trial succeeds (formerly numpy's LinAlgError)."""
    d = design(n=800)
    res = bh.find_sample_size(d, Scenario.fixed(median=12, hazard_ratio=0.3), lower=200, upper=600,
                              n_trials=200, seed=1)
    assert res.status == "below_lower" and res.size == 200
    assert (res.curve["p_success"] == 1).all()


@pytest.mark.parametrize(
    ("probability", "status"),
    [(lambda d: 0.0, "above_upper"), (lambda d: 1.0, "below_lower"), (lambda d: float(d >= 450), "found")],
)
def test_find_sample_size_on_degenerate_curves(monkeypatch, probability, status):
    monkeypatch.setattr(search, "simulate", fake_simulate(probability))
    res = bh.find_sample_size(design(n=800), Scenario.fixed(median=12, hazard_ratio=0.7), lower=200, upper=600,
                              n_trials=200, seed=1, grid=3)
    assert res.status == status
    if status == "found":  # a step between the last failing and the first succeeding size simulated
        fails = res.curve.loc[res.curve["p_success"] < 0.9, "size"].max()
        assert fails < res.size <= res.curve.loc[res.curve["p_success"] >= 0.9, "size"].min()


@pytest.mark.parametrize(("target", "seed"), [(0.7, 1), (0.75, 2), (0.8, 3)])
def test_assurance_search_lands_on_the_exact_ohagan_size(monkeypatch, target, seed):
    """With the exact normal-approximation assurance as the simulator (binomial noise, fixed seed),
    the crossing lies within 4 of its reported MCSEs of the true size (420, 701, 1521 events).
    The former probit, which tends to 1, gave 603, 923 and 1679 here (z = 9.6, 9.5, 1.3)."""
    monkeypatch.setattr(search, "simulate", fake_simulate(ohagan_assurance))
    truth = optimize.brentq(lambda d: ohagan_assurance(d) - target, 1, 1e5)
    prior = Scenario.from_prior(median=12, log_hr=bh.Normal(MU, TAU), draws=100, seed=1)
    res = bh.find_sample_size(design(n=5000), prior, target=("assurance", target), lower=100, upper=3000,
                              n_trials=1000, seed=seed)
    assert res.status == "found"
    assert res.size_mcse < 0.12 * truth  # precise enough for the check to mean something
    assert abs(res.crossing - truth) < 4 * res.size_mcse
    # The fitted level is the design prior's P(HR < 1) = Phi(-mu / tau) = 0.883, within its error.
    assert abs(res.level - stats.norm.cdf(-MU / TAU)) < 0.05


def test_assurance_search_reports_a_target_above_the_level(monkeypatch):
    """Assurance 0.95 is beyond what this design prior allows (it levels off at 0.883)."""
    monkeypatch.setattr(search, "simulate", fake_simulate(ohagan_assurance))
    prior = Scenario.from_prior(median=12, log_hr=bh.Normal(MU, TAU), draws=100, seed=1)
    res = bh.find_sample_size(design(n=5000), prior, target=("assurance", 0.95), lower=100, upper=3000,
                              n_trials=1000, seed=1)
    assert res.status == "above_upper" and res.size is None
    assert "levels off at 0.8" in str(res)


def test_target_kind_must_match_the_scenario():
    prior = Scenario.from_prior(median=12, log_hr=bh.Normal(MU, TAU), draws=100, seed=1)
    args = {"lower": 100, "upper": 500, "n_trials": 100, "seed": 1}
    with pytest.raises(bh.SpecError, match=r"find_sample_size.target: \('power', 0.9\) with a design-prior"):
        bh.find_sample_size(design(), prior, target=("power", 0.9), **args)
    with pytest.raises(bh.SpecError, match=r"find_sample_size.target: \('assurance', 0.8\) with a fixed"):
        bh.find_sample_size(design(), Scenario.fixed(median=12, hazard_ratio=0.7), target=("assurance", 0.8), **args)


# -- calibrate: the critical HR follows the rule; the null scenario has no benefit ----------------


def test_critical_hr_uses_the_rules_value():
    """P(HR < 0.8 | data) > c with a vague prior: met when the observed HR is below
    0.8 exp(-z / sqrt(D / 4)) (it was exp(-z / sqrt(D / 4)), as if the value were 1)."""
    rule = PosteriorProbability("hazard_ratio", "<", 0.8, threshold=0.975)
    d = TrialDesign(control="C", treatment="T", n_patients=600, accrual=Accrual(duration=24),
                    analyses=[Analysis(events=300)], success=rule)
    res = bh.calibrate(d, Scenario.fixed(median=9, hazard_ratio=0.8), n_trials=2000, seed=5)
    t = res.table
    assert t["critical_hr"].iloc[0] == pytest.approx(0.8 * math.exp(-t["critical_z"].iloc[0] / math.sqrt(75)))
    assert abs(t["critical_hr"].iloc[0] - t["critical_hr_simulated"].iloc[0]) < 0.02


def test_critical_hr_is_nan_for_other_quantities_and_mirrored_for_greater():
    from bayeshcc.design.calibrate import _critical_hr

    rules = [PosteriorProbability("hazard_ratio", ">", 1.2, threshold=0.9),
             PosteriorProbability("rmst_difference", ">", 0, threshold=0.9, tau=12),
             PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9, interval=0)]
    out = _critical_hr(rules, np.full(3, 1.5), 0.5, np.full(3, 100.0))
    assert out[0] == pytest.approx(1.2 * math.exp(1.5 / 5)) and np.isnan(out[1:]).all()


def test_calibrate_refuses_a_null_scenario_with_benefit():
    d = design([Analysis(events=150), Analysis(events=300)])
    with pytest.raises(bh.SpecError, match=r"null_scenario: hazard ratio\(s\) \[0.7\] all < 1"):
        bh.calibrate(d, Scenario.fixed(median=9, hazard_ratio=0.7), seed=1)
    with pytest.raises(bh.SpecError, match=r"calibrate.null_grid\[0\]: hazard ratio\(s\) \[0.6, 0.9\]"):
        bh.calibrate(d, Scenario.fixed(median=9, hazard_ratio=1.0), seed=1,
                     null_grid=[Scenario.fixed(median=9, cutpoints=[0, 3], hazard_ratio=[0.6, 0.9])])
    # a delayed effect with no benefit in its first period is a legitimate (if odd) null
    late = Scenario.fixed(median=9, cutpoints=[0, 3], hazard_ratio=[1.0, 0.9])
    bh.calibrate(d, late, n_trials=100, seed=1)
    prior = Scenario.from_prior(median=9, log_hr=bh.Normal(math.log(0.7), 0.1), draws=100, seed=1)
    with pytest.warns(UserWarning, match=r"null_scenario: a design prior with 100% of its truths < 1"):
        bh.calibrate(d, prior, n_trials=100, seed=1)
