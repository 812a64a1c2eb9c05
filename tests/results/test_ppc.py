"""Posterior predictive checks: calibrated at the truth, alarmed by a wrong hazard."""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import bayeshcc as bh
from bayeshcc import piecewise
from bayeshcc.results.ppc import kaplan_meier_at, posterior_predictive_check
from bayeshcc.testing import fake_survival_fit

CUTS = np.array([0.0, 6.0, 12.0])
TRUTH = np.array([[0.10, 0.06, 0.04], [0.05, 0.04, 0.03]])  # arms A, B


def simulate(seed: int, n: int = 150, entry: bool = False) -> bh.SurvivalData:
    """Two arms of ``n`` patients with hazards TRUTH and uniform censoring, optionally late entry."""
    rng = np.random.default_rng(seed)
    parts = []
    for arm, h in zip("AB", TRUTH, strict=True):
        e = rng.uniform(0, 5, n) * (rng.random(n) < 0.5) if entry else np.zeros(n)
        t = piecewise.inverse_cumulative_hazard(
            piecewise.cumulative_hazard_at(e, CUTS, h) + rng.exponential(size=n), CUTS, h)
        c = e + rng.uniform(6, 30, n)
        parts.append(pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int),
                                   "arm": arm, "entry": e}))
    df = pd.concat(parts, ignore_index=True)
    return bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm",
                                      entry="entry" if entry else None, time_unit="months")


def fit_at(data, hazard, draws: int = 200):
    return fake_survival_fit(np.broadcast_to(hazard, (2, draws // 2, *hazard.shape)).copy(),
                             cutpoints=CUTS, data=data)


def share_outside(table: pd.DataFrame) -> pd.Series:
    return table.groupby("arm", sort=False)["share_outside"].first()


# -- patient data ---------------------------------------------------------------------------------
@pytest.mark.parametrize("entry", [False, True])
def test_observed_curve_inside_the_band_at_the_truth_and_outside_with_a_wrong_hazard(entry):
    data = simulate(20260601, entry=entry)
    at_truth = posterior_predictive_check(fit_at(data, TRUTH), seed=1)
    wrong = posterior_predictive_check(fit_at(data, 3 * TRUTH), seed=1)
    # pointwise 95% bands on a strongly autocorrelated curve: one dataset may leave for a run of
    # times (seen: 0.0/0.0 without entry, 0.12/0.0 with it); the average is checked below
    assert (share_outside(at_truth) <= 0.2).all()
    assert (share_outside(wrong) >= 0.9).all()  # seen: 1.0/0.98 (no entry), 1.0/0.96 (entry)
    # the replicated curves sit below the observed one when the hazard is tripled
    assert (wrong["median"] <= wrong["observed"]).all()


@pytest.mark.parametrize("entry", [False, True])
def test_share_outside_averages_to_the_nominal_rate_at_the_truth(entry):
    shares = np.array([share_outside(posterior_predictive_check(
        fit_at(simulate(seed, entry=entry), TRUTH), draws=100, seed=seed)).to_numpy()
        for seed in range(30)])
    # nominal 0.05; seen 0.065 (no entry), 0.066 (entry): 100 draws make the bounds a little narrow
    assert 0.015 <= shares.mean() <= 0.10


def test_columns_name_the_mass_and_default_times_reach_the_shortest_horizon():
    data = simulate(3)
    out = posterior_predictive_check(fit_at(data, TRUTH), prob=0.9, draws=50)
    assert list(out.columns) == ["arm", "time", "observed", "median", "eti90_lower", "eti90_upper",
                                 "outside", "share_outside", "prob", "unit"]
    assert out.groupby("arm").size().tolist() == [50, 50]
    assert out["time"].max() == pytest.approx(min(data.horizon.values())) and out["time"].min() > 0
    assert (out["eti90_lower"] <= out["median"]).all() and (out["median"] <= out["eti90_upper"]).all()
    assert (out["unit"] == "months").all()


def test_observed_column_is_the_kaplan_meier_estimate():
    data = simulate(5, entry=True)
    times = np.array([0.5, 3.0, 6.0, 12.0, 20.0])
    out = posterior_predictive_check(fit_at(data, TRUTH), times=times, draws=10)
    km = data.kaplan_meier()
    for arm, sub in out.groupby("arm"):
        steps = km[km["arm"] == arm]
        expected = steps["survival"].to_numpy()[np.searchsorted(steps["time"], times, side="right") - 1]
        np.testing.assert_allclose(sub["observed"], expected, rtol=1e-12)


def test_vectorised_kaplan_meier_handles_ties_like_the_data_class():
    df = pd.DataFrame({"time": [1, 1, 1, 2, 2, 3, 4, 4, 5, 6], "event": [1, 1, 0, 1, 0, 0, 1, 1, 0, 1],
                       "entry": [0, 0, 0, 0, 1.5, 0, 2, 0, 0, 0.5]})
    data = bh.SurvivalData.from_frame(df, time="time", event="event", entry="entry")
    times = np.array([0.0, 1.0, 1.5, 2.0, 3.9, 4.0, 6.0])
    steps = data.kaplan_meier()
    expected = steps["survival"].to_numpy()[np.searchsorted(steps["time"], times, side="right") - 1]
    got = kaplan_meier_at(df["time"].to_numpy(float)[None], df["event"].to_numpy(bool)[None],
                          df["entry"].to_numpy(float), times)
    np.testing.assert_allclose(got[0], expected, rtol=1e-12)


def test_same_seed_same_table_and_draws_are_subsampled():
    data = simulate(7)
    rng = np.random.default_rng(0)
    fit = fake_survival_fit(rng.gamma(100, TRUTH / 100, size=(2, 300, 2, 3)), cutpoints=CUTS, data=data)
    a = posterior_predictive_check(fit, draws=40, seed=11)
    pd.testing.assert_frame_equal(a, posterior_predictive_check(fit, draws=40, seed=11))
    assert not a.equals(posterior_predictive_check(fit, draws=40, seed=12))


def test_refusals():
    data = simulate(1)
    fit = fit_at(data, TRUTH)
    with pytest.raises(bh.SpecError, match="prob must be strictly between 0 and 1"):
        posterior_predictive_check(fit, prob=95)
    with pytest.raises(bh.SpecError, match="draws must be a positive integer"):
        posterior_predictive_check(fit, draws=0)
    with pytest.raises(bh.DataError, match="beyond the shortest arm horizon"):
        posterior_predictive_check(fit, times=[1.0, 500.0])
    df = data.frame.assign(upper=np.where(np.arange(len(data.frame)) == 0, data.frame["time"] + 1, np.nan),
                           event=lambda f: f["event"] | (np.arange(len(f)) == 0))
    ic = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", upper="upper")
    with pytest.raises(bh.DataError, match="interval-censored"):
        posterior_predictive_check(fit_at(ic, TRUTH))


def test_published_summaries_are_refused():
    from bayeshcc.data.evidence import Sources

    fit = fit_at(simulate(1), TRUTH)
    fit.data = Sources.__new__(Sources)  # only the type matters here
    with pytest.raises(bh.SpecError, match="published"):
        posterior_predictive_check(fit)


# -- life tables ----------------------------------------------------------------------------------
def huang_mle(table: bh.IntervalData) -> np.ndarray:
    """Maximum-likelihood hazards of the huang2022 OS table at its row starts, computed directly.

    Closed rows: -log(1 - d/n) / width. The last row (follow-up window [u, v]): solve
    E[1 - exp(-lam (C - 18))] = d / n with C uniform on a fine grid; 6 of 6 has no finite MLE,
    so a large hazard stands in.
    """
    out = []
    for _, sub in table.frame.groupby("arm", sort=False):
        rows = list(sub.itertuples())
        h = [-np.log1p(-r.events / r.at_risk) / (r.end - r.start) for r in rows[:-1]]
        last = rows[-1]
        grid = np.linspace(last.censor_from, last.censor_to, 2001) - last.start
        if last.events < last.at_risk:
            h.append(optimize.brentq(lambda lam, g=grid, r=last: np.mean(-np.expm1(-lam * g))
                                     - r.events / r.at_risk, 1e-6, 5.0))
        else:
            h.append(0.5)
        out.append(h)
    return np.array(out)


def test_life_table_rows_at_the_mle_and_with_a_wrong_hazard():
    table = bh.datasets.load_huang2022().os
    cuts = [0.0, 6.0, 12.0, 18.0]
    mle = huang_mle(table)
    rng = np.random.default_rng(4)
    near = rng.gamma(200, mle / 200, size=(2, 200, *mle.shape))  # a tight posterior at the MLE
    ok = posterior_predictive_check(fake_survival_fit(near, cutpoints=cuts, data=table), seed=2)
    bad = posterior_predictive_check(fake_survival_fit(3 * near, cutpoints=cuts, data=table), seed=2)
    assert ok["kind"].tolist() == ["closed"] * 3 + ["window"] + ["closed"] * 3 + ["window"]
    assert ok["observed"].tolist() == table.frame["events"].tolist()
    assert not ok["outside"].any() and (ok["p_value"] > 0.2).all()  # seen: all 1.0
    assert bad["outside"].sum() >= 5 and (bad["p_value"] < 0.01).sum() >= 5  # seen: 7 and 7 of 8


def test_life_table_predictive_means_follow_the_row_likelihoods():
    table = bh.IntervalData.from_frame(pd.DataFrame({
        "arm": "A", "start": [0.0, 6.0, 12.0], "end": [6.0, 12.0, np.inf], "at_risk": [400, 300, 150],
        "events": [80, 90, 60], "censored": [20, 60, 90], "censor_from": [np.nan, np.nan, 12.0],
        "censor_to": [np.nan, np.nan, 30.0]}), censor_from="censor_from", censor_to="censor_to")
    lam = np.array([0.04, 0.05, 0.03])
    fit = fake_survival_fit(np.broadcast_to(lam, (1, 4000, 1, 3)).copy(), cutpoints=[0, 6, 12], data=table)
    out = posterior_predictive_check(fit, draws=4000, seed=0)
    assert out["kind"].tolist() == ["actuarial", "actuarial", "window"]
    grid = np.linspace(12, 30, 100001)
    p = [-np.expm1(-0.24), -np.expm1(-0.30), 1 - np.mean(np.exp(-0.03 * (grid - 12)))]
    n = np.array([390, 270, 150])
    # medians of Binomial draws sit within 1 of n p
    np.testing.assert_allclose(out["median"], n * p, atol=1.0)
