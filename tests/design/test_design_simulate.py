"""simulate(): reproducibility, chunk-size invariance, outcomes and the OC table."""

import math

import numpy as np
import pytest
import xarray as xr

import bayeshcc as bh
from bayeshcc.design import (
    Accrual,
    Analysis,
    Dropout,
    PosteriorProbability,
    Scenario,
    SimulationResult,
    TrialDesign,
    simulate,
)
from bayeshcc.design.oc import OC_COLUMNS

SUCCESS = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)
FUTILITY = PosteriorProbability("hazard_ratio", ">", 1, threshold=0.5)


@pytest.fixture(scope="module")
def design() -> TrialDesign:
    return TrialDesign(
        control="C",
        treatment="T",
        n_patients=120,
        accrual=Accrual(rate=[4.0, 8.0], cutpoints=[0, 3], ramp_up=2),
        dropout=Dropout(proportion=0.05, by=12),
        analyses=[Analysis(events=40), Analysis(events=80)],
        success=SUCCESS,
        futility=FUTILITY,
    )


@pytest.fixture(scope="module")
def result(design) -> SimulationResult:
    return simulate(
        design, Scenario.fixed(median=10, hazard_ratio=0.6), n_trials=1100, seed=42, progress=False
    )


def test_same_seed_same_results_whatever_the_chunk_size(design, result):
    scenario = Scenario.fixed(median=10, hazard_ratio=0.6)
    for chunk in (250, 600, 5000):
        again = simulate(design, scenario, n_trials=1100, seed=42, chunk_size=chunk, progress=False)
        xr.testing.assert_identical(again.trials, result.trials)
    other = simulate(design, scenario, n_trials=1100, seed=43, progress=False)
    assert not np.array_equal(other.trials["duration"].values, result.trials["duration"].values)
    # A SeedSequence gives the same streams as its integer seed and is not consumed.
    ss = np.random.SeedSequence(42)
    again = simulate(design, scenario, n_trials=1100, seed=ss, progress=False)
    xr.testing.assert_equal(again.trials, result.trials)
    assert ss.n_children_spawned == 0


def test_trial_outcomes_are_consistent(result):
    t = result.trials
    assert dict(t.sizes) == {"trial": 1100, "analysis": 2}
    stop, decision = t["stop_analysis"].values, t["decision"].values
    assert set(np.unique(stop)) <= {1, 2} and set(np.unique(decision)) <= {-1, 0, 1}
    assert np.all(decision[stop == 1] != 0) and np.all(decision[stop == 2] != -1)
    early = stop == 1
    assert np.all(np.isnan(t["look_time"].values[early, 1]))
    assert np.all(t["events"].values[early] == 40)
    assert np.all(t["events"].values[~early] == 80)
    # The rules were applied as stated.
    p1 = t["prob_benefit"].values[:, 0]
    assert np.all(decision[early & (p1 > 0.975)] == 1)
    assert np.all(decision[early & (p1 <= 0.975)] == -1)
    assert np.all(p1[early & (decision == -1)] < 0.5)
    assert np.all(p1[~early] <= 0.975) and np.all(p1[~early] >= 0.5)
    p2 = t["prob_benefit"].values[~early, 1]
    assert np.array_equal(decision[~early] == 1, p2 > 0.975)
    assert np.array_equal(decision[~early] == 0, p2 <= 0.975)
    assert np.all(t["duration"].values == np.nanmax(t["look_time"].values, axis=1))


def test_operating_characteristics_table(result):
    oc = result.operating_characteristics()
    assert list(oc.index) == [1, 2, "overall"]
    assert list(oc.columns) == [c for name in OC_COLUMNS for c in (name, f"{name}_mcse")]
    assert oc.loc["overall", "p_success"] == pytest.approx(
        oc.loc[1, "p_success"] + oc.loc[2, "p_success"]
    )
    overall = oc.loc["overall"]
    assert overall["p_success"] + overall["p_futility"] + overall["p_no_success_final"] == pytest.approx(1.0)
    assert oc.loc[oc.index[-2], "p_futility"] == 0  # the final look stops no trial for futility
    p = oc.loc["overall", "p_success"]
    assert oc.loc["overall", "p_success_mcse"] == pytest.approx(math.sqrt(p * (1 - p) / 1100))
    assert oc.loc[1, "expected_events"] == 40 and oc.loc[2, "expected_events"] == 80
    assert oc.loc[1, "expected_duration_months"] < oc.loc[2, "expected_duration_months"]
    assert 0 < oc.loc[1, "p_success"] < 1 and 0 < oc.loc[1, "p_futility"] < 1
    text = repr(result)
    assert "P(HR < 1 | data) > 0.975" in text and "overall" in text and "p_success" in text


def test_netcdf_round_trip(result, tmp_path):
    path = tmp_path / "trials.nc"
    result.to_netcdf(path)
    with xr.open_dataset(path, engine="h5netcdf") as back:
        xr.testing.assert_allclose(back.load().drop_attrs(), result.trials.drop_attrs())
        assert back.attrs["time_unit"] == "months"


def test_other_scenarios_and_engines_run():
    d = TrialDesign(
        control="C",
        treatment="T",
        n_patients=150,
        accrual=Accrual(duration=12),
        analyses=[Analysis(months=18), Analysis(events=100, min_follow_up=6)],
        success=[None, SUCCESS],
        analysis=bh.PiecewiseExponential(
            cutpoints=[0, 3, 9],
            baseline_prior=bh.LogNormal(math.log(0.05), 10),
            log_hr_prior=bh.Normal(0, 10),
        ),
    )
    delayed = Scenario.fixed(median=8, cutpoints=[0, 3], hazard_ratio=[1.0, 0.5], cure_fraction=0.1)
    r = simulate(d, delayed, n_trials=300, seed=3, progress=False)
    oc = r.operating_characteristics()
    assert oc.loc[1, "p_success"] == 0 and oc.loc[1, "p_futility"] == 0  # no rules at look 1
    assert oc.loc[1, "expected_duration_months"] == 18
    assert np.all(r.trials["duration"].values >= 18)


def test_a_strong_effect_succeeds_and_the_null_rarely_does(design):
    strong = simulate(
        design, Scenario.fixed(median=10, hazard_ratio=0.3), n_trials=500, seed=1, progress=False
    )
    null = simulate(
        design, Scenario.fixed(median=10, hazard_ratio=1.0), n_trials=500, seed=1, progress=False
    )
    assert strong.operating_characteristics().loc["overall", "p_success"] > 0.95
    assert null.operating_characteristics().loc["overall", "p_success"] < 0.08
    assert null.operating_characteristics().loc[1, "p_futility"] > 0.3


def test_progress_bar_only_on_a_terminal(design, capsys, monkeypatch):
    scenario = Scenario.fixed(median=10, hazard_ratio=0.6)
    simulate(design, scenario, n_trials=600, seed=1, chunk_size=250)
    assert "trial" not in capsys.readouterr().err  # stderr is not a terminal under pytest
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    simulate(design, scenario, n_trials=600, seed=1, chunk_size=250)
    assert "600/600" in capsys.readouterr().err
    simulate(design, scenario, n_trials=600, seed=1, chunk_size=250, progress=False)
    assert "600/600" not in capsys.readouterr().err


def test_a_missed_event_target_is_flagged_counted_and_warned():
    # Half the patients are cured: about 50 events ever occur, so many trials never see 49.
    d = TrialDesign(
        control="C",
        treatment="T",
        n_patients=100,
        accrual=Accrual(duration=12),
        analyses=[Analysis(events=49)],
        success=SUCCESS,
    )
    scenario = Scenario.fixed(median=6, cure_fraction=0.5, hazard_ratio=1.0)
    with pytest.warns(UserWarning, match=r"analysis 1: \d+ of 400 trials never reached 49 events"):
        r = simulate(d, scenario, n_trials=400, seed=1, progress=False)
    events = r.trials["events"].values
    missed = r.trials["target_reached"].values[:, 0] == 0
    assert 0 < missed.sum() < 400
    # Reached looks have exactly the target; missed ones every event that occurred, after all
    # patients were followed (so later than any reached look of the same trial could have been).
    assert np.all(events[~missed] == 49) and np.all(events[missed] < 49)
    oc = r.operating_characteristics()
    p = missed.mean()
    for row in (1, "overall"):
        assert oc.loc[row, "p_target_not_reached"] == pytest.approx(p)
        assert oc.loc[row, "p_target_not_reached_mcse"] == pytest.approx(math.sqrt(p * (1 - p) / 400))
    assert oc.loc["overall", "p_delayed"] == 0


def test_a_look_pushed_past_its_own_trigger_is_flagged_and_warned():
    # 120 events take longer than 15 months here, so the "month 15" final runs later.
    d = TrialDesign(
        control="C",
        treatment="T",
        n_patients=200,
        accrual=Accrual(rate=20),
        analyses=[Analysis(events=120), Analysis(months=15)],
        success=SUCCESS,
    )
    scenario = Scenario.fixed(median=10, hazard_ratio=0.7)
    with pytest.warns(UserWarning, match=r"analysis 2 \(month 15\): \d+ of 300 trials"):
        r = simulate(d, scenario, n_trials=300, seed=1, progress=False)
    late = r.trials["look_delayed"].sel(analysis=2).values == 1
    reached_2 = np.isfinite(r.trials["look_time"].sel(analysis=2).values)
    assert late.sum() == reached_2.sum() > 0
    assert np.all(r.trials["look_time"].sel(analysis=2).values[late] > 15)
    oc = r.operating_characteristics()
    assert oc.loc[2, "p_delayed"] == pytest.approx(late.mean())
    assert oc.loc["overall", "p_delayed"] == pytest.approx(late.mean())
    assert oc.loc[1, "p_delayed"] == 0


def test_reachable_targets_do_not_warn(result):
    oc = result.operating_characteristics()
    assert oc.loc["overall", "p_target_not_reached"] == 0 and oc.loc["overall", "p_delayed"] == 0


def test_generator_seed_state_counts():
    design = bh.TrialDesign(
        control="C", treatment="T", n_patients=60, accrual=bh.Accrual(rate=10),
        analyses=[bh.Analysis(events=30)],
        success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9),
    )
    scenario = bh.Scenario.fixed(median=9.0, hazard_ratio=0.7)
    rng = np.random.default_rng(7)
    first = bh.simulate(design, scenario, n_trials=50, seed=rng, progress=False)
    second = bh.simulate(design, scenario, n_trials=50, seed=rng, progress=False)
    again = bh.simulate(design, scenario, n_trials=50, seed=np.random.default_rng(7), progress=False)
    assert not np.array_equal(first.trials["duration"], second.trials["duration"])
    np.testing.assert_array_equal(first.trials["duration"], again.trials["duration"])


def test_mcse_of_a_proportion_never_or_always_seen_is_not_zero():
    from bayeshcc.design.oc import _proportion

    for x in (np.zeros(400, bool), np.ones(400, bool)):
        p, mcse = _proportion(x)
        assert p == x[0] and mcse == pytest.approx(1 / (2 * 401))  # Wilson score half-width at z = 1
    p, mcse = _proportion(np.arange(400) < 100)
    assert mcse == pytest.approx(np.sqrt(0.25 * 0.75 / 400))


def test_max_months_ends_a_trial_whose_event_target_is_out_of_reach():
    """30% cure: 195 events of 300 patients are reached in some trials only. Without a cap the
    look waits for the last outcome; with max_months=60 it is at 195 events or month 60."""
    def design(**cap):
        return TrialDesign(
            control="C", treatment="T", n_patients=300, accrual=Accrual(duration=24),
            analyses=[Analysis(events=195, **cap)],
            success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
        )

    scenario = Scenario.fixed(median=9.0, hazard_ratio=0.8, cure_fraction=0.3)
    capped = simulate(design(max_months=60), scenario, n_trials=500, seed=7, progress=False)
    with pytest.warns(UserWarning, match="never reached 195 events"):
        uncapped = simulate(design(), scenario, n_trials=500, seed=7, progress=False)
    t = capped.trials
    assert np.nanmax(t["duration"].values) <= 60
    month_first = t["target_reached"].values[:, 0] == 0
    assert month_first.any() and np.all(t["duration"].values[month_first] == 60)
    assert np.all(t["events"].values[month_first] < 195) and np.all(t["events"].values[~month_first] == 195)
    oc = capped.operating_characteristics()
    assert oc.loc["overall", "p_target_not_reached"] == pytest.approx(month_first.mean())
    # the same trials: where 195 events came before month 60 the two runs agree
    np.testing.assert_array_equal(t["decision"].values[~month_first], uncapped.trials["decision"].values[~month_first])
    assert np.all(uncapped.trials["duration"].values[month_first] > 60)  # they waited longer uncapped
    assert str(design(max_months=60).analyses[0]) == "195 events or month 60"
    with pytest.raises(bh.SpecError, match="Analysis.max_months: only used with an events trigger"):
        Analysis(patients=100, max_months=60)
