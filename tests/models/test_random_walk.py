"""Random-walk smoothing priors and the time-varying effect."""

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.models.smoothing import RandomWalk

lifelines = pytest.importorskip("lifelines")


def rossi() -> bh.SurvivalData:
    df = lifelines.datasets.load_rossi()
    frame = pd.DataFrame({"time": df["week"].astype(float), "event": df["arrest"], "arm": df["fin"]})
    return bh.SurvivalData.from_frame(frame, time="time", event="event", arm="arm", time_unit="weeks")


def test_settings_are_checked():
    with pytest.raises(bh.SpecError, match="needs effect='time_varying'"):
        bh.PiecewiseExponential(cutpoints=[0, 5], log_hr_prior=RandomWalk())
    with pytest.raises(bh.SpecError, match="a fixed step sd must be a finite number > 0"):
        RandomWalk(scale=-1.0)
    with pytest.raises(bh.SpecError, match="has real support"):
        RandomWalk(scale=bh.Normal(0, 1))
    with pytest.raises(bh.SpecError, match="effect must be"):
        bh.PiecewiseExponential(cutpoints=[0], effect="varying")


def test_walk_structure_and_limit_in_the_log_posterior():
    """With a fixed scale the log values are first + cumulative steps: a zero step is a constant hazard."""
    data = rossi()
    model = bh.PiecewiseExponential(cutpoints=[0, 10, 20, 30], control="0", baseline_prior=RandomWalk(scale=0.2))
    m = model.build_model(data)
    names = {v.name for v in m.free_RVs}
    assert names == {"baseline_hazard_first", "baseline_hazard_steps", "log_hr"}
    import pytensor

    (out,) = m.replace_rvs_by_values([m["baseline_hazard"]])
    first, steps = (m.rvs_to_values[m[n]] for n in ("baseline_hazard_first", "baseline_hazard_steps"))
    f = pytensor.function([first, steps], out, on_unused_input="ignore")
    np.testing.assert_allclose(f(np.log(0.01), np.array([0.0, 1.0, -1.0])), 0.01 * np.exp([0, 0, 0.2, 0.0]),
                               rtol=1e-12)


def test_time_varying_fit_reports_a_hazard_ratio_per_interval(mock_sampler):
    def draws(model, prepared, chains, n, rng):
        k = len(prepared.coords["interval"])
        lhr = np.full((chains, n, k), np.log(0.7))
        base = np.full((chains, n, k), 0.01)
        hz = np.stack([base * np.exp(-lhr / 2), base * np.exp(lhr / 2)], axis=2)
        return {"log_hr": lhr, "baseline_hazard": base, "hazard": hz}

    mock_sampler(draws)
    fit = bh.PiecewiseExponential(cutpoints=[0, 10, 30], control="0", effect="time_varying").fit(rossi(), draws=10)
    assert not fit.proportional
    hr = fit.compare(times=[10]).summary().query("quantity == 'hazard_ratio'")
    assert hr["interval"].tolist() == ["[0, 10)", "[10, 30)", "[30, inf)"]
    np.testing.assert_allclose(hr["median"], 0.7)
    assert "log_hr per period ~ Normal(mu=0, sigma=2)" in fit.priors


@pytest.mark.slow
def test_a_tiny_random_walk_scale_reproduces_the_proportional_log_hr():
    """Posterior means within 4 Monte Carlo standard errors (sd / sqrt(ESS), ESS >= 1000 here)."""
    data = rossi()
    prop = bh.PiecewiseExponential(cutpoints="quantiles:8", control="0").fit(data, draws=1000, seed=3)
    tv = bh.PiecewiseExponential(cutpoints="quantiles:8", control="0", effect="time_varying",
                                 log_hr_prior=RandomWalk(scale=1e-4, first=bh.Normal(0, 2))).fit(data, draws=1000, seed=4)
    a = prop.idata.posterior["log_hr"].values.ravel()
    b = tv.idata.posterior["log_hr"].values.reshape(-1, tv.idata.posterior.sizes["period"])
    assert np.ptp(b.mean(axis=0)) < 0.01  # every period the same
    mcse = np.hypot(a.std() / np.sqrt(1000), b[:, 0].std() / np.sqrt(1000))
    assert abs(a.mean() - b[:, 0].mean()) < 4 * mcse


@pytest.mark.slow
def test_fine_baseline_matches_cox_with_the_random_walk_and_one_interval_per_event_time():
    """One interval per distinct event time (rossi: 49), vague priors: within 0.1 Cox SE of
    CoxPHFitter, with independent baselines and with the random walk."""
    data = rossi()
    f = data.frame
    cox = lifelines.CoxPHFitter().fit(f.assign(trt=(f["arm"] == "1").astype(float))[["time", "event", "trt"]],
                                      "time", "event")
    beta, se = cox.params_["trt"], cox.standard_errors_["trt"]
    n_events = int(f["event"].sum())
    for prior in (None, RandomWalk()):
        fit = bh.PiecewiseExponential(cutpoints=f"quantiles:{n_events}", control="0", baseline_prior=prior).fit(
            data, draws=1000, seed=5)
        assert len(fit.cutpoints) == 49
        assert abs(fit.idata.posterior["log_hr"].mean().item() - beta) < 0.1 * se, prior
