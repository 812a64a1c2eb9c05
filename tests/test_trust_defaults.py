"""Defaults a statistician can trust: what each default is, said where it is used.

Priors resolved and printed, prior-only contrasts marked, cutpoints from quantiles reported,
round-number comparison times, a slow-accrual warning, and a cutpoint beyond the data refused.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.cli import main
from bayeshcc.results.survival import round_times
from bayeshcc.testing import fake_survival_fit


def flat_posterior(model, prepared, chains, draws, rng):
    k = len(prepared.coords["interval"])
    return {"baseline_hazard": np.full((chains, draws, k), 0.05), "log_hr": np.zeros((chains, draws)),
            "hazard": np.full((chains, draws, 2, k), 0.05)}


@pytest.fixture
def ipd() -> bh.SurvivalData:
    rng = np.random.default_rng(4)
    n = 60
    frame = pd.DataFrame({
        "time": np.round(rng.exponential(10, 2 * n), 2) + 0.01,
        "event": rng.integers(0, 2, 2 * n),
        "arm": np.repeat([0, 1], n),
    })
    frame.loc[frame["arm"] == 1, "time"] = np.minimum(frame.loc[frame["arm"] == 1, "time"], 12.0)
    frame.loc[frame["arm"] == 0, "time"] = np.minimum(frame.loc[frame["arm"] == 0, "time"], 25.0)
    frame.loc[0, "time"], frame.loc[0, "event"] = 30.0, 0
    return bh.SurvivalData.from_frame(frame, time="time", event="event", arm="arm", time_unit="weeks")


def test_default_prior_is_resolved_and_reported(ipd, mock_sampler):
    mock_sampler(flat_posterior)
    fit = bh.PiecewiseExponential(cutpoints=[0, 5, 10], control=0).fit(ipd, draws=10, chains=2)
    f = ipd.frame
    rate = f["event"].sum() / f["time"].sum()
    assert f"LogNormal(mu=log({rate:.4g}), sigma=2)" in fit.priors
    assert "per week" in fit.priors and "geometric mean" in fit.priors
    assert fit.priors in repr(fit)
    given = bh.PiecewiseExponential(cutpoints=[0, 5, 10], control=0, baseline_prior=bh.LogNormal(-2, 1))
    mock_sampler(flat_posterior)
    assert "~ LogNormal(mu=-2, sigma=1);" in given.fit(ipd, draws=10, chains=2).priors


def test_the_default_centre_is_model_data_so_new_data_reuse_the_compiled_model(ipd):
    model = bh.PiecewiseExponential(cutpoints=[0, 5, 10], control=0)
    p = model.prepare(ipd)
    assert p.arrays["baseline_mu"] == pytest.approx(np.log(ipd.frame["event"].sum() / ipd.frame["time"].sum()))
    doubled = bh.SurvivalData.from_frame(ipd.frame.assign(time=ipd.frame["time"] * 2), time="time",
                                         event="event", arm="arm")
    q = bh.PiecewiseExponential(cutpoints=[0, 10, 20], control=0).prepare(doubled)
    assert q.arrays["baseline_mu"] == pytest.approx(p.arrays["baseline_mu"] - np.log(2))


def test_cutpoint_beyond_the_data_is_refused(ipd):
    with pytest.raises(bh.DataError, match=r"cutpoints \[30.0, 40.0\] lie at or beyond the data's last "
                                           r"follow-up time 30 weeks"):
        bh.PiecewiseExponential(cutpoints=[0, 10, 30, 40]).prepare(ipd)


def test_per_arm_hazard_ratio_where_an_arm_has_no_one_at_risk_is_marked_prior_only(ipd):
    # arm 1 is followed to 12 weeks only: its hazard in [15, 25) and [25, inf) is the prior's
    rng = np.random.default_rng(0)
    fit = fake_survival_fit(hazard=rng.gamma(5, 0.02, (2, 50, 2, 4)), cutpoints=[0, 5, 15, 25], data=ipd,
                            arms=["0", "1"])
    cmp = fit.compare(times=[5, 10])
    table = cmp.summary()
    hr = table[table["quantity"] == "hazard_ratio"].set_index("interval")["prior_only"]
    assert hr.to_dict() == {"[0, 5)": False, "[5, 15)": False, "[15, 25)": True, "[25, inf)": True}
    assert not table.loc[table["quantity"] != "hazard_ratio", "prior_only"].any()
    assert any("prior only" in n and "1 (follow-up ends at 12 weeks)" in n for n in cmp.notes)
    assert "prior_only" in repr(cmp)


def test_quantile_cutpoints_are_resolved_when_fitting_and_reported(ipd, mock_sampler):
    mock_sampler(flat_posterior)
    model = bh.PiecewiseExponential(cutpoints="quantiles:4", control=0)
    fit = model.fit(ipd, draws=10, chains=2)
    expected = bh.data.quantile_cutpoints(ipd, 4)
    assert fit.model.cutpoints == expected and len(expected) == 4
    assert f"cutpoints={list(expected)}" in repr(fit)
    with pytest.raises(bh.SpecError, match="fixed intervals"):
        bh.TrialDesign(control="a", treatment="b", n_patients=100, accrual=bh.Accrual(10),
                       analyses=[bh.Analysis(events=50)], analysis=bh.PiecewiseExponential(cutpoints="quantiles:4"),
                       success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975))


@pytest.mark.parametrize(("limit", "times"), [
    (52.0, [10, 20, 30, 40, 50]), (2000.0, [500, 1000, 1500, 2000]), (18.0, [5, 10, 15]),
    (1.5, [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]), (60.3, [20, 40, 60]),
])
def test_default_comparison_times_are_round_numbers_within_the_data(limit, times):
    assert round_times(limit) == pytest.approx(times)


def test_default_times_of_a_comparison(ipd):
    fit = fake_survival_fit(hazard=np.full((1, 4, 2, 2), 0.05), cutpoints=[0, 7.3], data=ipd, arms=["0", "1"])
    assert fit.compare().draws.coords["time"].values.tolist() == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]


def test_slow_accrual_draws_a_warning():
    kw = dict(control="a", treatment="b", n_patients=300, analyses=[bh.Analysis(events=200)],
              success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975))
    with pytest.warns(UserWarning, match=r"300 patients .* take 150 months \(12 years\).*sanity bound of 120"):
        bh.TrialDesign(accrual=bh.Accrual(2), **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bh.TrialDesign(accrual=bh.Accrual(2.6), **kw)  # 115 months: no warning


def test_cli_prints_the_priors(tmp_path, capsys, mock_sampler):
    mock_sampler(flat_posterior)
    spec = tmp_path / "os.toml"
    spec.write_text('[data]\ndataset = "huang2022"\nendpoint = "os"\n[model]\nfamily = "piecewise_exponential"\n'
                    'cutpoints = [0, 6, 12]\n[fit]\ndraws = 10\nchains = 2\n[compare]\ntimes = [6, 12]\n')
    main(["fit", str(spec)])
    out = capsys.readouterr().out
    assert "priors: baseline hazard per interval (geometric mean of the arms' hazards) ~ LogNormal(mu=log(" in out
    assert "per month]; log_hr ~ Normal(mu=0, sigma=2) [default]" in out


def test_a_spec_can_ask_for_quantile_cutpoints_and_the_cli_reports_them(tmp_path, capsys, mock_sampler, ipd):
    mock_sampler(flat_posterior)
    ipd.frame.to_csv(tmp_path / "ipd.csv", index=False)
    spec = tmp_path / "q.toml"
    spec.write_text('[data]\nfile = "ipd.csv"\nformat = "patients"\ntime_unit = "weeks"\n[model]\n'
                    'family = "piecewise_exponential"\ncutpoints = "quantiles:3"\ncontrol = 0\n'
                    '[fit]\ndraws = 10\nchains = 2\n')
    assert main(["fit", str(spec)]) in (0, 1)
    out = capsys.readouterr().out
    frame = pd.read_csv(tmp_path / "ipd.csv")
    expected = bh.data.quantile_cutpoints(
        bh.SurvivalData.from_frame(frame, time="time", event="event", arm="arm"), 3)
    assert f"model as fitted: PiecewiseExponential(cutpoints={list(expected)}" in out
    assert "per week" in out
    spec.write_text(spec.read_text().replace('"quantiles:3"', '"deciles"'))
    assert main(["fit", str(spec)]) == 2
    assert "'deciles' is not a form cutpoints take" in capsys.readouterr().err
