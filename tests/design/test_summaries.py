"""Planner tables: cumulative stopping, duration quantiles, expected size."""

import numpy as np
import pytest
import xarray as xr

import bayeshcc as bh

DESIGN = bh.TrialDesign(
    control="C", treatment="T", n_patients=120, accrual=bh.Accrual(duration=12),
    analyses=[bh.Analysis(events=40), bh.Analysis(events=60), bh.Analysis(events=80)],
    success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
    futility=[bh.PosteriorProbability("hazard_ratio", ">", 1, threshold=0.5)] * 2 + [None],
)
SCENARIO = bh.Scenario.fixed(median=10, hazard_ratio=0.7)


@pytest.fixture(scope="module")
def result() -> bh.SimulationResult:
    return bh.simulate(DESIGN, SCENARIO, n_trials=1000, seed=3, progress=False)


def test_stopping_table_accumulates_the_per_look_probabilities(result):
    table = bh.stopping_table(result)
    oc = result.operating_characteristics().drop(index="overall")
    np.testing.assert_allclose(table["p_success_cumulative"], np.cumsum(oc["p_success"].to_numpy(float)))
    np.testing.assert_allclose(table["p_futility_cumulative"], np.cumsum(oc["p_futility"].to_numpy(float)))
    np.testing.assert_allclose(table["p_stopped_cumulative"],
                               table["p_success_cumulative"] + table["p_futility_cumulative"])
    overall = result.operating_characteristics().loc["overall"]
    assert table["p_success_cumulative"].iloc[-1] == pytest.approx(overall["p_success"])
    p = table["p_success_cumulative"].to_numpy()
    np.testing.assert_allclose(table["p_success_cumulative_mcse"], np.sqrt(p * (1 - p) / 1000))
    np.testing.assert_allclose(table["look_time_mean"], oc["expected_duration_months"].to_numpy(float))
    assert table.attrs["scenario"] == str(SCENARIO) and table.attrs["engine"] == "laplace"
    assert table.attrs["seed"] == "3" and table.attrs["n_trials"] == 1000


def test_duration_quantiles_are_order_statistics_with_distribution_free_intervals(result):
    table = bh.duration_quantiles(result, q=[0.5, 0.9], prob=0.9)
    d = result.trials["duration"].values
    for q in (0.5, 0.9):
        row = table.loc[q]
        assert row["duration_months"] == np.quantile(d, q, method="inverted_cdf")
        assert np.mean(d <= row["duration_months"]) >= q  # q of trials have ended by then
        assert row["ci90_lower"] <= row["duration_months"] <= row["ci90_upper"]
        assert 0 < row["duration_months_mcse"] < (row["ci90_upper"] - row["ci90_lower"])
    assert table.attrs["prob"] == 0.9 and table.attrs["seed"] == "3"


def test_duration_quantile_interval_ranks_match_the_textbook(result):
    # With N = 100 the 95% interval for the median is X(40) to X(61) (e.g. Conover, Practical
    # Nonparametric Statistics, table A3); durations 1..100 make the ranks readable.
    trials = result.trials.isel(trial=slice(0, 100)).copy()
    trials["duration"] = xr.DataArray(np.arange(100, 0, -1, dtype=float), dims="trial")
    fake = bh.SimulationResult(trials, design=DESIGN, scenario=SCENARIO, engine="laplace", seed=0)
    row = bh.duration_quantiles(fake, q=[0.5]).loc[0.5]
    assert (row["duration_months"], row["ci95_lower"], row["ci95_upper"]) == (50, 40, 61)
    # +/- 1 sd ranks: 45 and 55 + 1
    assert row["duration_months_mcse"] == pytest.approx((56 - 45) / 2)


@pytest.mark.parametrize(("kwargs", "match"), [({"q": [0.5, 1.0]}, r"q: expected fractions in \(0, 1\)"),
                                               ({"q": []}, r"q: expected fractions"),
                                               ({"prob": 95}, r"prob: expected an interval mass")])
def test_duration_quantiles_refuse_bad_arguments(result, kwargs, match):
    with pytest.raises(bh.SpecError, match=match):
        bh.duration_quantiles(result, **kwargs)


def test_expected_size_by_outcome(result):
    table = bh.expected_size(result)
    overall = result.operating_characteristics().loc["overall"]
    assert table.loc["patients", "all"] == pytest.approx(overall["expected_patients"])
    assert table.loc["events", "all_mcse"] == pytest.approx(overall["expected_events_mcse"])
    assert table.loc["duration_months", "all"] == pytest.approx(overall["expected_duration_months"])
    t = result.trials
    success = t["decision"].values == 1
    assert table.loc["events", "success"] == pytest.approx(t["events"].values[success].mean())
    assert table.loc["events", "no_success_final"] == 80  # a trial without success ran to the end
    assert table.attrs["engine"] == "laplace"
    with pytest.raises(bh.SpecError, match=r"result: expected a SimulationResult, got DataFrame"):
        bh.expected_size(result.operating_characteristics())
