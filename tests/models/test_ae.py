"""HierarchicalAE: data checks, contrasts from known draws, and real fits on Table 4."""

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.testing import fake_fit, simulate_ae_table


@pytest.fixture(scope="module")
def table4():
    return bh.datasets.load_huang2022().adverse_events


def ae_frame(**cols):
    base = {"system": ["GI"] * 4, "event": ["Nausea"] * 4, "arm": ["A", "B", "A", "B"],
            "grade": ["any", "any", "3-4", "3-4"], "count": [5, 3, 1, 0], "n": [20, 20, 20, 20]}
    base.update(cols)
    return pd.DataFrame(base)


def test_prepare_one_cell_per_event_and_band_control_first(table4):
    p = bh.HierarchicalAE().prepare(table4)
    assert p.arms == ("Sorafenib", "FOLFOX-HAIC") and p.control == "Sorafenib"
    assert len(p.coords["cell"]) == 38 and p.coords["grade"] == ["any", "3-4"]
    assert len(p.coords["group"]) == 14
    nausea = p.coords["cell"].index("Nausea [any]")
    assert p.arrays["events"][nausea].tolist() == [14, 34]
    assert p.arrays["patients"][nausea].tolist() == [59, 55]
    one = bh.HierarchicalAE(grades=["3-4"]).prepare(table4)
    assert one.coords["grade"] == ["3-4"] and len(one.coords["cell"]) == 19


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (ae_frame(grade=["any", "any", "1-2", "1-2"]),
         r"grade bands \['1-2'\] in rows 2, 3 are not analysed by HierarchicalAE; expected \['any', '3-4'\]"),
        (ae_frame().iloc[[0, 1, 2]],
         r"event 'Nausea' \(GI, grade 3-4\) has no row for arm 'B' \(it has row 2\)"),
    ],
)
def test_model_refuses_tables_it_cannot_analyse(frame, message):
    table = bh.AETable.from_frame(frame)
    with pytest.raises(bh.DataError, match=message):
        bh.HierarchicalAE().prepare(table)


def test_three_arms_and_unknown_bands_are_refused():
    df = pd.concat([ae_frame(), ae_frame(arm=["C"] * 4).iloc[[0, 2]]], ignore_index=True)
    with pytest.raises(bh.DataError, match="compares two arms; the data have 3"):
        bh.HierarchicalAE().prepare(bh.AETable.from_frame(df))
    with pytest.raises(bh.DataError, match=r"no rows for grade band\(s\) \['3-4'\]"):
        bh.HierarchicalAE(grades=("any", "3-4")).prepare(bh.AETable.from_frame(ae_frame().iloc[:2]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"effect_prior": "spike"}, "effect_prior must be 'shrinkage' or 'point_mass'"),
        ({"grades": ["any", "1-2"]}, "grades must list distinct bands"),
        ({"between_sd": bh.Normal(0, 1)}, "between_sd: Normal.* has real support"),
        ({"within_sd": -1.0}, "within_sd must be a prior on"),
        ({"effect_mean_prior": bh.HalfNormal(1)}, "effect_mean_prior must be a bh.Normal"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(bh.SpecError, match=message):
        bh.HierarchicalAE(**kwargs)


def _known(table, theta, gamma, p_zero=None, chains=2, draws=400, seed=3):
    """A fit whose draws are normal about given log ORs / mean log-odds (one per cell)."""
    rng = np.random.default_rng(seed)
    k = len(theta)
    post = {"baseline_logit": gamma + 0.05 * rng.standard_normal((chains, draws, k)),
            "log_or": theta + 0.3 * rng.standard_normal((chains, draws, k))}
    model = bh.HierarchicalAE()
    if p_zero is not None:
        model = bh.HierarchicalAE(effect_prior="point_mass")
        post["log_or_slab"] = post.pop("log_or")
        post["p_zero"] = np.broadcast_to(p_zero, (chains, draws, k))
    return fake_fit(model, table, post, seed=seed)


def test_contrasts_follow_from_the_draws(table4):
    k = 38
    theta, gamma = np.linspace(-2, 2, k), np.full(k, -1.0)
    fit = _known(table4, theta, gamma)
    cmp = fit.compare(prob=0.9)
    t = cmp.summary()
    rd = t[t["quantity"] == "ae_risk_difference"].reset_index(drop=True)
    assert list(t.columns[:4]) == ["quantity", "grade", "system", "event"]
    assert {"eti90_lower", "eti90_upper", "p_higher", "observed"} <= set(t.columns)
    x = fit.idata.posterior
    p_t = 1 / (1 + np.exp(-(x["baseline_logit"] + x["log_or"] / 2)))
    p_c = 1 / (1 + np.exp(-(x["baseline_logit"] - x["log_or"] / 2)))
    np.testing.assert_allclose(rd["mean"], (p_t - p_c).mean(("chain", "draw")).values)
    np.testing.assert_allclose(rd["p_higher"], (x["log_or"] > 0).mean(("chain", "draw")).values)
    nausea = rd[(rd["event"] == "Nausea") & (rd["grade"] == "any")].iloc[0]
    assert nausea["observed"] == pytest.approx(34 / 55 - 14 / 59)
    assert cmp.prob("ae_risk_difference", ">", 0, event="Nausea", grade="any") == nausea["p_higher"]
    flagged = cmp.flagged(threshold=0.9)
    assert (flagged["p_higher"] > 0.9).all() and len(flagged) == int((rd["p_higher"] > 0.9).sum())
    assert flagged["p_flag"].is_monotonic_decreasing
    lower = cmp.flagged(threshold=0.9, direction="<")
    assert len(lower) == int((rd["p_higher"] < 0.1).sum())
    with pytest.raises(bh.SpecError, match="select one event and grade band"):
        cmp.prob("ae_risk_difference", ">", 0, event="Nausea")
    with pytest.raises(bh.SpecError, match="threshold must be a probability"):
        cmp.flagged(threshold=1.5)


def test_swapping_arms_flips_the_contrasts(table4):
    fit = _known(table4, np.linspace(-1, 1, 38), np.zeros(38))
    a, b = fit.compare().summary(), fit.compare(treatment="Sorafenib", control="FOLFOX-HAIC").summary()
    rd = a["quantity"] == "ae_risk_difference"
    np.testing.assert_allclose(a.loc[rd, "mean"], -b.loc[rd, "mean"])
    np.testing.assert_allclose(a.loc[rd, "observed"], -b.loc[rd, "observed"])
    assert (a.loc[rd, "treatment_count"].to_numpy() == b.loc[rd, "control_count"].to_numpy()).all()


def test_point_mass_reports_p_zero_and_exact_zeros(table4):
    p_zero = np.where(np.arange(38) % 2 == 0, 0.0, 1.0)
    fit = _known(table4, np.full(38, 1.0), np.zeros(38), p_zero=p_zero)
    t = fit.compare().summary()
    rd = t[t["quantity"] == "ae_risk_difference"].reset_index(drop=True)
    np.testing.assert_array_equal(rd["p_zero"], p_zero)
    assert (rd.loc[p_zero == 1, "p_higher"] == 0).all() and (rd.loc[p_zero == 1, "mean"] == 0).all()
    assert (rd.loc[p_zero == 0, "mean"] > 0).all()
    np.testing.assert_array_equal(fit.log_or().values, fit.log_or().values)  # seeded


def test_shrinkage_table_puts_p_values_beside_the_posterior(table4):
    fit = _known(table4, np.zeros(38), np.full(38, -1.0))
    pv = pd.DataFrame({"grade": ["any"], "event": ["Nausea"], "p_value": [0.001]})
    s = fit.shrinkage(p_values=pv)
    assert len(s) == 38
    row = s[(s["event"] == "Nausea") & (s["grade"] == "any")].iloc[0]
    assert row["control"] == "14/59" and row["treatment"] == "34/55" and row["p_value"] == 0.001
    assert s["p_value"].isna().sum() == 37
    # draws centred on no difference: the posterior pulls the raw 0.38 nearly all the way to 0
    assert row["shrinkage"] > 0.9
    # one event name given twice (as if in two body systems) cannot be matched to one row
    twice = pd.concat([pv, pv.assign(p_value=0.5)], ignore_index=True)
    with pytest.raises(bh.DataError, match=r"rows \[0, 1\] repeat \['grade', 'event'\].*add a 'system' column"):
        fit.shrinkage(p_values=twice)
    system = s.loc[(s["event"] == "Nausea") & (s["grade"] == "any"), "system"].iloc[0]
    by_system = fit.shrinkage(p_values=pv.assign(system=system))
    assert by_system["p_value"].notna().sum() == 1 and len(by_system) == 38


@pytest.mark.slow
def test_table4_fit_converges_and_shrinks(table4):
    fit = bh.HierarchicalAE().fit(table4, draws=1000, tune=1000, chains=2, seed=11, log_likelihood=True)
    assert int(fit.idata.sample_stats["diverging"].sum()) == 0
    table = fit.diagnostics().table.set_index("check")
    assert table.loc["r_hat", "value"] < 1.02 and table.loc["ess_bulk", "value"] > 200
    s = fit.shrinkage()
    # raw differences are pulled towards their body system: never beyond the raw value on average
    assert (s["posterior_mean"].abs() <= s["observed_difference"].abs() + 0.02).all()
    flagged = set(fit.flagged(threshold=0.99).query("grade == 'any'")["event"])
    assert {"Nausea", "Vomiting", "Abdominal pain", "Sensory neuropathy", "Hypoalbuminemia"} <= flagged
    lower = set(fit.flagged(threshold=0.99, direction="<")["event"])
    assert {"Hand-foot skin reaction", "Alopecia", "Rash"} <= lower
    with pytest.warns(UserWarning, match="Pareto"):  # 38 cells, hierarchical: some k > 0.7 is expected
        loo = fit.loo(pointwise=True)
    assert loo.elpd_loo < 0 and loo.loo_i.size == 38  # one pointwise term per event and band


@pytest.mark.slow
def test_recovers_simulated_log_odds_ratios_with_nominal_coverage():
    """95% intervals of the log OR over 5 simulated tables of 24 events (120 intervals).

    Intervals of one table are correlated, so the bound is wide: with independent intervals the
    coverage's sd would be 0.02; [0.85, 1] allows for the correlation and stays far from the
    0.6-0.7 an overconfident (e.g. fully pooled) model would give.
    """
    model = bh.HierarchicalAE()
    covered, errors = [], []
    for seed in range(5):
        table, truth = simulate_ae_table(n_systems=6, events_per_system=4, n=(150, 150), mean_log_or=0.3,
                                         between_sd=0.6, within_sd=0.4, seed=100 + seed)
        fit = model.fit(table, draws=500, tune=500, chains=2, seed=seed)
        draws = fit.log_or().stack(sample=("chain", "draw")).transpose("cell", "sample").values
        lo, hi = np.quantile(draws, [0.025, 0.975], axis=1)
        covered += list((lo <= truth.values) & (truth.values <= hi))
        errors += list(draws.mean(axis=1) - truth.values)
    coverage = np.mean(covered)
    assert 0.85 <= coverage <= 1.0, coverage
    assert abs(np.mean(errors)) < 0.15  # no systematic bias (mean of 120 errors with sd about 0.3)


@pytest.mark.slow
def test_huge_fixed_scales_give_the_independent_event_answers():
    """With between- and within-system sd fixed at 10, each event's log OR posterior matches the
    independent analysis (flat prior on each arm's log-odds: p ~ Beta(y, n - y), so
    E[logit p] = digamma(y) - digamma(n - y)); the default hierarchy does not."""
    from scipy.special import digamma, polygamma

    table, _ = simulate_ae_table(n_systems=4, events_per_system=3, n=(300, 300), between_sd=1.0,
                                 within_sd=0.8, baseline=(-1.2, 0.3, 0.3), seed=7)
    y = bh.HierarchicalAE().prepare(table).arrays["events"].astype(float)
    n = 300.0
    mean = (digamma(y[:, 1]) - digamma(n - y[:, 1])) - (digamma(y[:, 0]) - digamma(n - y[:, 0]))
    sd = np.sqrt(polygamma(1, y).sum(axis=1) + polygamma(1, n - y).sum(axis=1))
    wide = bh.HierarchicalAE(between_sd=10.0, within_sd=10.0).fit(table, draws=1000, tune=1000, chains=2, seed=5)
    post = wide.log_or()
    mcse = post.std(("chain", "draw")).values / np.sqrt(500)  # ESS of at least 500 per cell
    err = np.abs(post.mean(("chain", "draw")).values - mean)
    assert (err < 0.1 * sd + 4 * mcse).all(), (err / sd).round(3)
    np.testing.assert_allclose(post.std(("chain", "draw")).values, sd, rtol=0.1)
    shrunk = bh.HierarchicalAE().fit(table, draws=1000, tune=1000, chains=2, seed=5).log_or()
    assert np.abs(shrunk.mean(("chain", "draw")).values - mean).max() > 0.2 * sd.max()


@pytest.mark.slow
def test_large_tables_are_sampled_centred_and_converge():
    """With 200 patients per arm each event's counts pin its rates; the centred hierarchy then mixes
    (the non-centred one gave R-hat 1.08 on a 500-event table). A 100-event table of that size: all
    diagnostics pass, and the small Table 4 keeps the non-centred form."""
    from bayeshcc.testing import simulate_ae_table

    big, _ = simulate_ae_table(n_systems=10, events_per_system=10, n=(200, 200), mean_log_or=0.2,
                               between_sd=0.5, within_sd=0.4, seed=7)
    model = bh.HierarchicalAE()
    assert model._centred(model.prepare(big))
    assert not model._centred(model.prepare(bh.datasets.load_huang2022().adverse_events))
    fit = model.fit(big, draws=1000, chains=4, seed=3)
    assert "log_or_cell" in fit.idata.posterior and "baseline_z" not in fit.idata.posterior
    assert fit.diagnostics().ok
