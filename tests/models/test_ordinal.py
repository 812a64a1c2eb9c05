"""OrdinalResponse: cumulative-logit best response, ORR / DCR from the draws, not-evaluated handling."""

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh


@pytest.fixture
def mrecist():
    return bh.datasets.load_huang2022().ordinal_response["mRECIST"]


@pytest.fixture
def cohort():
    return bh.datasets.load_haic_cisplatin().ordinal_response["RECIST"]


def test_study_ordinal_tables(mrecist, cohort):
    assert mrecist.control == "Sorafenib" and mrecist.categories == ("CR", "PR", "SD", "PD")
    assert mrecist.table.loc["FOLFOX-HAIC"].tolist() == [3, 19, 22, 11]
    assert cohort.categories == ("CR", "PR", "SD", "PD", "NE") and cohort.table.sum(axis=1).item() == 67
    assert mrecist.to_binary().control == "Sorafenib"


def test_not_evaluated_excluded_or_worst(cohort):
    excl = bh.OrdinalResponse().prepare(cohort)
    assert excl.coords["category"] == ["CR", "PR", "SD", "PD"]
    assert excl.arrays["n"].tolist() == [60] and excl.extra["excluded"].tolist() == [7]
    worst = bh.OrdinalResponse(not_evaluated="worst").prepare(cohort)
    assert worst.coords["category"] == ["CR", "PR", "SD", "PD", "not evaluated"]
    assert worst.arrays["counts"].tolist() == [[5, 9, 5, 41, 7]]
    assert worst.extra["responders"].tolist() == [True, True, False, False, False]


def test_bad_settings(mrecist):
    with pytest.raises(bh.SpecError, match="must include every responder"):
        bh.OrdinalResponse(responders=["CR", "PR"], disease_control=["SD"])
    with pytest.raises(bh.SpecError, match="not_evaluated: expected"):
        bh.OrdinalResponse(not_evaluated="drop")
    with pytest.raises(bh.SpecError, match="effect: expected"):
        bh.OrdinalResponse(effect="cumulative")
    with pytest.raises(bh.DataError, match=r"responders: categories \['CRu'\]"):
        bh.OrdinalResponse(responders=["CRu"], disease_control=["CRu", "SD"]).prepare(mrecist)
    with pytest.raises(bh.DataError, match="control: unknown arm"):
        bh.OrdinalResponse(control="Placebo").prepare(mrecist)


def test_bad_ordinal_table():
    df = pd.DataFrame({"arm": ["A"] * 3, "category": ["CR", "PR", "SD"], "count": [1, 2, 3]})
    with pytest.raises(bh.DataError, match=r"arm 'A' has no row for categories \['PD'\]"):
        bh.OrdinalData.from_frame(df)


def test_rates_and_differences_from_the_draws(mrecist, mock_sampler):
    """ORR and DCR are sums of the category probabilities; with fixed draws the comparison is
    exactly those sums and their differences, and the common OR is exp(beta)."""
    p = np.array([[0.01, 0.04, 0.55, 0.40], [0.05, 0.35, 0.40, 0.20]])

    def draw(model, prepared, chains, draws, rng):
        return {"probs": np.broadcast_to(p, (chains, draws, 2, 4)),
                "log_odds_ratio": np.full((chains, draws, 1), np.log(3.0))}

    mock_sampler(draw)
    fit = bh.OrdinalResponse().fit(mrecist, draws=4, chains=1, seed=1)
    cmp = fit.compare()
    assert (cmp.treatment, cmp.control) == ("FOLFOX-HAIC", "Sorafenib")
    s = cmp.summary().set_index(["quantity", "arm"])["median"]
    assert s[("objective_response", "FOLFOX-HAIC")] == pytest.approx(0.40)
    assert s[("disease_control", "Sorafenib")] == pytest.approx(0.60)
    assert s[("objective_response_difference", "")] == pytest.approx(0.35)
    assert s[("disease_control_difference", "")] == pytest.approx(0.20)
    assert s[("common_odds_ratio", "")] == pytest.approx(3.0)
    assert cmp.prob("objective_response_difference", ">", 0.3) == 1.0
    table = fit.category_probabilities()
    row = table[(table["arm"] == "FOLFOX-HAIC") & (table["category"] == "PR")].iloc[0]
    assert row["observed"] == pytest.approx(19 / 55) and row["median"] == pytest.approx(0.35)


def test_one_arm_comparison(cohort, mock_sampler):
    mock_sampler(lambda model, prepared, chains, draws, rng: {
        "probs": np.broadcast_to([0.1, 0.15, 0.1, 0.65], (chains, draws, 1, 4))})
    cmp = bh.OrdinalResponse().fit(cohort, draws=3, chains=1, seed=1).compare()
    assert set(cmp.draws.data_vars) == {"objective_response", "disease_control"}
    assert any("not evaluated {'All patients': 7} excluded" in n for n in cmp.notes)
    assert cmp.summary().set_index("quantity").loc["objective_response", "median"] == pytest.approx(0.25)


@pytest.mark.slow
def test_per_arm_matches_exact_dirichlet(mrecist):
    """effect='per_arm' is Dirichlet(1, 1, 1, 1) per arm, so the posterior is Dirichlet(1 + counts)
    and the ORR of an arm is Beta(1 + 1 + CR + PR, 2 + SD + PD): posterior means within 4 Monte
    Carlo SEs (ESS-based)."""
    import arviz as az

    fit = bh.OrdinalResponse(effect="per_arm").fit(mrecist, draws=1000, chains=4, seed=5)
    assert fit.diagnostics().ok
    rates = fit.rates()
    for arm, (cr, pr, sd, pd_) in mrecist.table.iterrows():
        for name, a, b in (("objective_response", 2 + cr + pr, 2 + sd + pd_),
                           ("disease_control", 3 + cr + pr + sd, 1 + pd_)):
            x = rates[name].sel(arm=arm)
            ess = float(az.ess(x.to_dataset(name="x"))["x"])
            mean, sd_exact = a / (a + b), np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
            assert abs(float(x.mean()) - mean) < 4 * sd_exact / np.sqrt(ess), (arm, name)
    assert "common_odds_ratio" not in fit.compare().draws


def test_not_evaluated_labels_match_ignoring_case():
    df = pd.DataFrame({"arm": ["A"] * 5 + ["B"] * 5, "category": ["CR", "PR", "SD", "PD", "ne"] * 2,
                       "count": [1, 2, 3, 4, 5, 2, 3, 3, 2, 1]})
    data = bh.OrdinalData.from_frame(df, categories=("CR", "PR", "SD", "PD", "ne"))
    model = bh.OrdinalResponse(effect="per_arm", not_evaluated="exclude", control="A")
    prepared = model.prepare(data)
    assert prepared.coords["category"] == ["CR", "PR", "SD", "PD"]  # "ne" recognised as not evaluated
    assert prepared.arrays["n"].tolist() == [10, 10]


def three_arms():
    rows = [(arm, cat, k) for arm, counts in (("A", [1, 2, 3, 2]), ("B", [0, 3, 3, 2]), ("C", [2, 3, 2, 1]))
            for cat, k in zip(("CR", "PR", "SD", "PD"), counts, strict=True)]
    return bh.OrdinalData.from_frame(pd.DataFrame(rows, columns=["arm", "category", "count"]))


def test_default_effect_prior_is_the_same_for_every_pair_of_arms():
    """Sum-to-zero arm effects: with Normal(0, s), every pairwise log odds ratio (not only those
    against the control) has prior sd s. 20,000 exact prior draws: sd within 4 of its standard
    errors (s / sqrt(2 N), 2%)."""
    import pymc as pm

    model = bh.OrdinalResponse(effect_prior=bh.Normal(0, 0.5), control="A")
    pymc_model = model.build(model.prepare(three_arms()))
    eta = pm.draw(pymc_model["arm_effect"], draws=20_000, random_seed=1)
    np.testing.assert_allclose(eta.sum(axis=1), 0, atol=1e-9)
    for i, j in ((1, 0), (2, 0), (2, 1)):
        assert np.std(eta[:, i] - eta[:, j]) == pytest.approx(0.5, rel=4 / np.sqrt(2 * 20_000)), (i, j)
    assert "any two arms ~ Normal(mu=0, sigma=0.5)" in model.prior_text(model.prepare(three_arms()))


def test_directional_effect_prior_needs_two_arms():
    with pytest.raises(bh.SpecError, match=r"effect_prior: with 3 arms .* centred Normal\(0, sigma\)"):
        bh.OrdinalResponse(effect_prior=bh.Normal(0.5, 1)).prepare(three_arms())
    two = bh.OrdinalResponse(effect_prior=bh.Normal(0.5, 1), control="Sorafenib")
    assert "treatment vs control ~ Normal(mu=0.5" in two.prior_text(
        two.prepare(bh.datasets.load_huang2022().ordinal_response["RECIST"]))


@pytest.mark.slow
def test_relabelling_the_control_arm_leaves_comparisons_unchanged():
    """With a tight Normal(0, 0.5) effect prior the prior matters on 8 patients per arm; under the
    old reference-coded prior the B vs C log odds ratio had prior sd 0.71 with control A and 0.5
    with control C. Now the posterior of log OR(B vs C) is the same whichever arm is control:
    means and sds within 4 combined Monte Carlo SEs."""
    import arviz as az

    data = three_arms()
    stats = []
    for control in ("A", "C"):
        fit = bh.OrdinalResponse(effect_prior=bh.Normal(0, 0.5), control=control).fit(
            data, draws=1000, chains=2, seed=3, sampler="pymc")
        x = np.log(fit.compare(treatment="B", control="C").draws["common_odds_ratio"])
        sd = float(x.std())
        sq = ((x - x.mean()) ** 2).to_dataset(name="x")  # MCSE of the sd by the delta method
        stats.append({"mean": float(x.mean()), "sd": sd, "mcse_mean": float(az.mcse(x.to_dataset(name="x"))["x"]),
                      "mcse_sd": float(az.mcse(sq)["x"]) / (2 * sd)})
    a, c = stats
    assert abs(a["mean"] - c["mean"]) < 4 * np.hypot(a["mcse_mean"], c["mcse_mean"])
    assert abs(a["sd"] - c["sd"]) < 4 * np.hypot(a["mcse_sd"], c["mcse_sd"])
