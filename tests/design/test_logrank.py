"""LogRank: the statistic against lifelines and R, the rule on a study's data and inside simulate,
and the errors it raises before anything is simulated."""

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_rossi
from lifelines.statistics import logrank_test

import bayeshcc as bh
from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.design.logrank import LogRank, LogRankDecision, logrank_z


def _tied_data(seed: int, n: int = 150):
    rng = np.random.default_rng(seed)
    treated = rng.random(n) < 0.5
    time = np.round(rng.exponential(10, n) * np.where(treated, 1.3, 1.0))  # whole months: ties
    event = rng.random(n) < 0.7
    return time, event, treated


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_z_matches_lifelines_with_ties(seed):
    time, event, treated = _tied_data(seed)
    z = logrank_z(time[None], event[None], treated[None])[0]
    ref = logrank_test(time[treated], time[~treated], event[treated], event[~treated])
    assert z**2 == pytest.approx(ref.test_statistic, rel=1e-10)
    # Sign: positive when the treatment arm has fewer events than expected.
    assert (z > 0) == (event[treated].sum() < _expected_treated_events(time, event, treated))


def _expected_treated_events(time, event, treated):
    e = 0.0
    for t in np.unique(time[event]):
        risk = time >= t
        e += (event & (time == t)).sum() * (risk & treated).sum() / risk.sum()
    return e


def test_vectorised_over_trials_equals_one_by_one():
    rows = [_tied_data(s, 120) for s in range(4)]
    time, event, treated = (np.stack(x) for x in zip(*rows, strict=True))
    include = np.ones(time.shape, dtype=bool)
    include[1, 60:] = False  # patients not yet entered are left out
    z = logrank_z(time, event, treated, include=include)
    for i in range(4):
        keep = include[i]
        one = logrank_z(time[i, keep][None], event[i, keep][None], treated[i, keep][None])[0]
        assert z[i] == pytest.approx(one, rel=1e-12)


@pytest.fixture(scope="module")
def rossi():
    df = load_rossi()
    df["arm"] = df["fin"].map({0: "no aid", 1: "aid"})
    return bh.SurvivalData.from_frame(
        df, time="week", event="arrest", arm="arm", covariates=["wexp"], arms=["no aid", "aid"]
    )


def test_study_data_against_r_survdiff(rossi):
    # R 4 / survival:  r <- lifelines' rossi;  s <- survdiff(Surv(week, arrest) ~ fin, data = r)
    #   (s$exp[2] - s$obs[2]) / sqrt(s$var[2, 2])                        -> 1.9589715609
    #   survdiff(Surv(week, arrest) ~ fin + strata(wexp), data = r): sqrt(chisq) -> 2.0082596496
    plain = LogRank().evaluate(rossi)
    assert isinstance(plain, LogRankDecision)
    assert plain.z == pytest.approx(1.9589715609, abs=1e-9)
    assert plain.met is False  # 1.95897 is just below z_0.975 = 1.95996
    strat = LogRank(strata="wexp").evaluate(rossi)
    assert strat.z == pytest.approx(2.0082596496, abs=1e-9)
    assert strat.met is True
    assert strat.probability == pytest.approx(0.0223, abs=1e-4)
    assert "stratified by wexp" in str(strat) and "Z = 2.008" in str(strat)


def test_study_data_errors(rossi):
    with pytest.raises(bh.DataError, match="LogRank.strata: no covariate column 'age'"):
        LogRank(strata="age").evaluate(rossi)
    three = pd.DataFrame({"t": [1.0, 2, 3], "e": [1, 1, 0], "a": ["x", "y", "z"]})
    data = bh.SurvivalData.from_frame(three, time="t", event="e", arm="a")
    with pytest.raises(bh.DataError, match="two arms"):
        LogRank().evaluate(data)
    with pytest.raises(bh.SpecError, match="one look"):
        LogRank(critical_values=[3.0, 2.0]).evaluate(rossi)
    with pytest.raises(bh.SpecError, match="got dict"):
        LogRank().evaluate({})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 0.6}, r"LogRank.alpha: expected a one-sided level in \(0, 0.5\), got 0.6"),
        ({"critical_values": [2, "x"]}, r"LogRank.critical_values\[1\]"),
        ({"critical_values": [2.0], "spending": "pocock"}, "not both"),
        ({"spending": "haybittle"}, "LogRank.spending: unknown spending 'haybittle'"),
        ({"spending": [0.01, 0.02]}, "ending at alpha=0.025"),
        ({"strata": ""}, "LogRank.strata: expected a column name"),
    ],
)
def test_constructor_errors(kwargs, match):
    with pytest.raises(bh.SpecError, match=match):
        LogRank(**kwargs)


def _design(success, analyses=None, n=400):
    return TrialDesign(
        control="C",
        treatment="T",
        n_patients=n,
        accrual=Accrual(duration=24),
        analyses=analyses or [Analysis(events=100), Analysis(events=200)],
        success=success,
    )


def test_design_errors_before_simulating():
    null = Scenario.fixed(median=9, hazard_ratio=1.0)
    with pytest.raises(bh.SpecError, match=r"TrialDesign.success\[0\]: LogRank.strata"):
        _design(LogRank(strata="ecog"))
    with pytest.raises(bh.SpecError, match=r"TrialDesign.success\[0\]: LogRank.critical_values: 3 bounds"):
        simulate(_design(LogRank(critical_values=[3, 2, 1])), null, n_trials=10, seed=1, progress=False)
    months = [Analysis(months=12), Analysis(events=200)]
    with pytest.raises(bh.SpecError, match="LogRank.spending: information fractions"):
        simulate(_design(LogRank(spending="obrien_fleming"), months), null, n_trials=10, seed=1,
                 progress=False)
    futile = bh.PredictiveProbability("<", threshold=0.1)
    design = TrialDesign(control="C", treatment="T", n_patients=400, accrual=Accrual(duration=24),
                         analyses=[Analysis(events=100), Analysis(events=200)],
                         success=[PosteriorProbability("hazard_ratio", "<", 1, threshold=0.999), LogRank()],
                         futility=[futile, None])
    with pytest.raises(bh.SpecError, match="predictive probabilities do not compute"):
        simulate(design, null, n_trials=10, seed=1, progress=False)
    response = bh.BinomialResponse(prior=bh.Beta(1, 1))
    with pytest.raises(bh.SpecError, match="uses \\['hazard_ratio'\\]"):
        TrialDesign(control="C", treatment="T", n_patients=100, accrual=Accrual(duration=12),
                    analyses=[Analysis(patients=100, min_follow_up=2)], success=LogRank(),
                    analysis=response)


def test_bounds_from_spending_match_rpact():
    # rpact 3.3.4: getDesignGroupSequential(kMax = 2, alpha = 0.025, sided = 1, typeOfDesign = "asOF",
    #   informationRates = c(0.5, 1))$criticalValues -> 2.962588 1.968596
    bounds = LogRank(spending="obrien_fleming").bounds(_design(LogRank()))
    assert bounds == pytest.approx([2.962588, 1.968596], abs=2e-6)
    assert LogRank(critical_values=2.5).bounds(_design(LogRank())).tolist() == [2.5, 2.5]


def test_type_one_error_in_simulate():
    """One look at 200 events under HR 1: the log-rank rule rejects in 2.5% of trials (4 MCSE)."""
    n = 4000
    design = _design(LogRank(), [Analysis(events=200)])
    res = simulate(design, Scenario.fixed(median=9, hazard_ratio=1.0), n_trials=n, seed=11,
                   progress=False)
    p = res.operating_characteristics().loc["overall", "p_success"]
    assert abs(p - 0.025) < 4 * np.sqrt(0.025 * 0.975 / n)


def test_beside_a_bayesian_rule_on_the_same_trials():
    """With a vague prior, P(HR < 1 | data) > 0.975 and the log-rank test decide alike in most trials."""
    scen = Scenario.fixed(median=9, hazard_ratio=0.75)
    lr = simulate(_design(LogRank(), [Analysis(events=200)]), scen, n_trials=500, seed=5, progress=False)
    pp = simulate(_design(PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975), [Analysis(events=200)]),
                  scen, n_trials=500, seed=5, progress=False)
    same = (lr.trials["decision"].values == pp.trials["decision"].values).mean()
    assert same > 0.95
