"""Published numbers for the planning tools: Schoenfeld's events (CHECKS.md), SAS PROC SEQDESIGN's
patients, rpact's group-sequential bounds, inflation factors and simulated log-rank power.

rpact 3.3.4 reference values were computed once with the R code in each comment (never from the
tests). Monte Carlo tolerances are stated where they are used.
"""

import math

import numpy as np
import pytest
from scipy import stats

import bayeshcc as bh
from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.design.spending import cumulative_alpha, efficacy_bounds, inflation_factor

RULE = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)


@pytest.mark.parametrize(("hr", "events"), [(0.5, 87.48), (0.6, 161.07), (0.7, 330.38), (0.75, 507.84)])
def test_schoenfeld_events_checks_md(hr, events):
    assert bh.required_events(hr) == pytest.approx(events, abs=0.005)


def test_allocation_enters_through_p_one_minus_p():
    # 2:1 treatment:control: p (1 - p) = 2/9 instead of 1/4.
    assert bh.required_events(0.7, allocation=(1, 2)) == pytest.approx(330.378 * 9 / 8, rel=1e-5)


# rpact 3.3.4:
#   d <- getDesignGroupSequential(kMax = K, alpha = 0.025, beta = 0.1, sided = 1,
#                                 typeOfDesign = TYPE, informationRates = INFO)
#   d$criticalValues; getDesignCharacteristics(d)$inflationFactor
RPACT = [
    ("obrien_fleming", [0.5, 1], [2.962588, 1.968596], 1.003418),
    ("obrien_fleming", [1 / 3, 2 / 3, 1], [3.710303, 2.511427, 1.993047], 1.011853),
    ("pocock", [0.5, 1], [2.156999, 2.200977], 1.111047),
    ("pocock", [1 / 3, 2 / 3, 1], [2.279428, 2.294911, 2.295940], 1.154220),
]


@pytest.mark.parametrize(("spending", "info", "crit", "factor"), RPACT)
def test_bounds_and_inflation_match_rpact(spending, info, crit, factor):
    t = np.array(info)
    bounds = efficacy_bounds(t, cumulative_alpha(t, 0.025, spending))
    assert bounds == pytest.approx(crit, abs=2e-6)
    assert inflation_factor(t, bounds, 0.025, 0.9) == pytest.approx(factor, abs=2e-6)
    events = bh.required_events(0.7, looks=info, spending=spending)
    assert events == pytest.approx(330.3779 * factor, rel=1e-5)


def test_group_sequential_events_match_rpact_sample_size():
    # getSampleSizeSurvival(getDesignGroupSequential(kMax = 2, alpha = 0.025, beta = 0.1, sided = 1,
    #   typeOfDesign = "asOF", informationRates = c(0.5, 1)), hazardRatio = 0.7,
    #   lambda2 = log(2) / 9, accrualTime = c(0, 24), followUpTime = 12)$maxNumberOfEvents -> 331.5071
    assert bh.required_events(0.7, looks=2) == pytest.approx(331.5071, abs=1e-3)


def test_sas_seqdesign_patients():
    # CHECKS.md (gsDesign's SAS PROC SEQDESIGN benchmark): 87.48 events, 197.12 patients; rpact's
    # getSampleSizeSurvival(hazardRatio = 0.5, lambda2 = log(2) / 20, accrualTime = c(0, 24),
    #   followUpTime = 12, alpha = 0.025, beta = 0.1, sided = 1) gives 87.4793 and 197.1256.
    events = bh.required_events(0.5)
    patients = bh.required_patients(events, hazard_ratio=0.5, control_median=20,
                                    accrual_duration=24, follow_up=12)
    assert patients == pytest.approx(197.1256, abs=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hazard_ratio": 1.0}, "hazard_ratio: expected a hazard ratio > 0 and != 1, got 1.0"),
        ({"hazard_ratio": 0.7, "power": 0.01}, "power: expected a power above alpha=0.025"),
        ({"hazard_ratio": 0.7, "alpha": 1.5}, r"alpha: expected a probability strictly between 0 and 1"),
        ({"hazard_ratio": 0.7, "looks": [0.5, 0.9]}, "looks: expected strictly increasing information"),
        ({"hazard_ratio": 0.7, "looks": 0}, "looks: expected an integer >= 1"),
        ({"hazard_ratio": 0.7, "allocation": (1, 0)}, r"allocation\[1\]: expected an integer >= 1"),
        # the spending is validated without looks too (it was ignored there, even when invalid)
        ({"hazard_ratio": 0.7, "spending": "linear"}, "spending: unknown spending 'linear'"),
        ({"hazard_ratio": 0.7, "looks": 1, "spending": [0.01, 0.025]}, "spending: expected 1 cumulative alpha"),
        ({"hazard_ratio": 0.7, "spending": [0.02]}, r"spending: expected .* ending at alpha=0.025"),
    ],
)
def test_required_events_errors(kwargs, match):
    with pytest.raises(bh.SpecError, match=match):
        bh.required_events(**kwargs)


@pytest.mark.parametrize("spending", ["obrien_fleming", "pocock", [0.025]])
def test_one_analysis_spends_all_alpha_whatever_the_spending(spending):
    assert bh.required_events(0.7, spending=spending) == pytest.approx(330.3779, abs=1e-4)
    assert bh.required_events(0.7, looks=[1.0], spending=spending) == bh.required_events(0.7)


def test_find_sample_size_lands_on_schoenfeld():
    """One look, vague prior, P(HR < 1 | data) > 0.975, HR 0.7: the search lands near 330 events.

    Tolerance: 4 of the search's own Monte Carlo standard errors of the crossing (about 3 events
    with 2000 trials per size; the test also requires it to be below 5, i.e. 6% of 330 at 4 MCSE)
    plus 2.5 events for Schoenfeld's approximation (at 330 events the power is 0.898, not 0.90,
    and the power curve rises 0.00086 per event there).
    """
    design = TrialDesign(control="C", treatment="T", n_patients=600, accrual=Accrual(duration=24),
                         analyses=[Analysis(events=200)], success=RULE)
    res = bh.find_sample_size(design, Scenario.fixed(median=12, hazard_ratio=0.7), target=("power", 0.9),
                              vary="events", lower=150, upper=500, n_trials=2000, seed=20240601)
    assert res.status == "found"
    assert res.size_mcse < 5
    assert abs(res.crossing - 330.38) < 4 * res.size_mcse + 2.5
    assert res.size == math.ceil(res.crossing)
    assert res.p_success == pytest.approx(0.9, abs=4 * res.mcse + 0.001)
    assert res.design.analyses[-1].events == res.size


def test_calibrate_reproduces_rpact_obrien_fleming():
    """Two looks at 166 and 332 events, Lan-DeMets O'Brien-Fleming spending of one-sided 0.025.

    rpact (see RPACT above): criticalValues 2.962588, 1.968596; getSampleSizeSurvival(...)
    $criticalValuesEffectScale at 165.75 and 331.51 events: 0.6311, 0.8055.

    With a vague prior P(HR < 1 | data) is Phi of the Wald z, so Phi^-1(threshold) estimates the z
    bound. Each bar is a sample quantile: standard error sqrt(a (1 - a) / n) / phi(z) for a look
    spending a (0.056 and 0.019 on the z scale with 20,000 trials); the second bar also inherits
    the first's error (about 25% more spread in replicate runs), so the tolerance is 5 such errors.
    """
    n = 20_000
    design = TrialDesign(control="C", treatment="T", n_patients=600, accrual=Accrual(duration=24),
                         analyses=[Analysis(events=166), Analysis(events=332)], success=RULE)
    res = bh.calibrate(design, Scenario.fixed(median=9, hazard_ratio=1.0), alpha=0.025, n_trials=n,
                       seed=7, spending="obrien_fleming")
    t = res.table
    crit = np.array([2.962588, 1.968596])
    spent = np.diff([0.0, *t["alpha_cumulative"]])
    se = np.sqrt(spent * (1 - spent) / n) / stats.norm.pdf(crit)
    assert np.all(np.abs(t["critical_z"] - crit) < 5 * se)
    hr_tol = np.array([0.6311, 0.8055]) * np.sqrt(4 / t["events"]) * 5 * se + 0.001
    assert np.all(np.abs(t["critical_hr"] - [0.6311, 0.8055]) < hr_tol)
    assert np.all(np.abs(t["critical_hr_simulated"] - t["critical_hr"]) < 0.01)
    # Independent check trials: within 4 x sqrt(2) MCSE (the bars' own error adds about one MCSE).
    assert np.all(np.abs(t["type1_cumulative"] - t["alpha_cumulative"]) < 4 * math.sqrt(2) * t["type1_mcse"])


def test_logrank_power_matches_rpact_simulation():
    """Log-rank O'Brien-Fleming design, HR 0.7, control median 9, 600 patients over 24 months.

    rpact: set.seed(20240601); getSimulationSurvival(d, lambda2 = log(2) / 9, hazardRatio = 0.7,
      plannedEvents = c(166, 332), accrualTime = c(0, 24), maxNumberOfSubjects = 600,
      maxNumberOfIterations = 100000, directionUpper = FALSE) with d the asOF design above:
      rejectPerStage 0.25019 0.64850, overallReject 0.89869.
    Tolerance: 4 x sqrt(MC variance here + rpact's own, p (1 - p) / 100000).
    """
    n = 4000
    design = TrialDesign(control="C", treatment="T", n_patients=600, accrual=Accrual(duration=24),
                         analyses=[Analysis(events=166), Analysis(events=332)],
                         success=bh.LogRank(spending="obrien_fleming"))
    res = simulate(design, Scenario.fixed(median=9, hazard_ratio=0.7), n_trials=n, seed=3, progress=False)
    oc = res.operating_characteristics()
    for look, ref in ((1, 0.25019), ("overall", 0.89869)):
        tol = 4 * math.sqrt(ref * (1 - ref) * (1 / n + 1 / 100_000))
        assert abs(oc.loc[look, "p_success"] - ref) < tol
