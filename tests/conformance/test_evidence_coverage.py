"""Published-summary evidence, checked by simulation: summarise simulated trials as a paper would
(Cox HR with its Wald 95% CI, Kaplan-Meier medians with their 95% CIs, Kaplan-Meier survival at
landmarks with n), fit the summaries, and count how often the posterior 95% interval covers the
truth. With R replicates the count is Binomial(R, 0.95) for a calibrated method: over R = 60 the
coverage must lie within 3 binomial sd (0.084) of 0.95 (a calibrated method fails with probability
about 0.003 per quantity). benchmarks/evidence_coverage.py runs the same study with more replicates.
"""

import math

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.data.evidence import HazardRatioEvidence, LandmarkEvidence, MedianEvidence

lifelines = pytest.importorskip("lifelines")

RATES = {"control": math.log(2) / 6.0, "treatment": math.log(2) / 9.0}  # medians 6 and 9 months


def paper(seed: int, n: int = 120):
    """One simulated trial summarised as a paper would."""
    rng = np.random.default_rng(seed)
    frames = []
    for arm, rate in RATES.items():
        t = rng.exponential(1 / rate, n)
        c = rng.uniform(18, 36, n)  # uniform accrual, administrative cut-off
        frames.append(pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "arm": arm}))
    df = pd.concat(frames, ignore_index=True)
    cox = lifelines.CoxPHFitter().fit(df.assign(trt=(df["arm"] == "treatment").astype(float))[["time", "event", "trt"]],
                                      "time", "event")
    b, se = cox.params_["trt"], cox.standard_errors_["trt"]
    hr = HazardRatioEvidence("treatment", "control", math.exp(b), math.exp(b - 1.96 * se), math.exp(b + 1.96 * se))
    medians, landmarks = [], []
    for arm in RATES:
        sub = df[df["arm"] == arm]
        km = lifelines.KaplanMeierFitter().fit(sub["time"], sub["event"])
        ci = lifelines.utils.median_survival_times(km.confidence_interval_)
        medians.append(MedianEvidence(arm, float(km.median_survival_time_), float(ci.iloc[0, 0]), float(ci.iloc[0, 1])))
        s = km.survival_function_at_times([6.0, 12.0]).to_numpy()
        landmarks.append(LandmarkEvidence(arm, (6.0, 12.0), tuple(s), n=n))
    return hr, medians, landmarks


def covered(table: pd.DataFrame, row: int, truth: float) -> bool:
    return bool(table["eti95_lower"].iloc[row] <= truth <= table["eti95_upper"].iloc[row])


@pytest.mark.slow
def test_each_kind_of_evidence_covers_the_truth_at_the_nominal_rate():
    """Each kind alone: the HR (with a vague baseline prior: an HR says nothing about rates), each
    arm's median (per-arm hazards), and landmark survival of one arm (two intervals)."""
    hr_model = bh.PiecewiseExponential(cutpoints=[0], control="control", baseline_prior=bh.LogNormal(-2.5, 2.0))
    med_model = bh.PiecewiseExponential(cutpoints=[0], effect="per_arm")
    lm_model = bh.PiecewiseExponential(cutpoints=[0, 6], effect="per_arm")
    truth_s12 = math.exp(-12 * RATES["treatment"])
    reps = 60
    hits = {"hazard_ratio": 0, "median control": 0, "median treatment": 0, "S(12) treatment": 0}
    for seed in range(reps):
        hr, medians, landmarks = paper(seed)
        kw = dict(draws=500, chains=2, seed=seed, check_convergence=False)
        hits["hazard_ratio"] += covered(hr_model.fit([hr], **kw).evidence(), 0, RATES["treatment"] / RATES["control"])
        med = med_model.fit(medians, **kw).evidence()
        hits["median control"] += covered(med, 0, 6.0)
        hits["median treatment"] += covered(med, 1, 9.0)
        hits["S(12) treatment"] += covered(lm_model.fit([landmarks[1]], **kw).evidence(), 1, truth_s12)
    coverage = {k: v / reps for k, v in hits.items()}
    for k, c in coverage.items():
        assert abs(c - 0.95) < 3 * math.sqrt(0.95 * 0.05 / reps), (k, coverage)


def test_evidence_standard_errors():
    hr = HazardRatioEvidence("T", "C", 0.49, 0.33, 0.72)
    assert hr.se == pytest.approx((math.log(0.72) - math.log(0.33)) / (2 * 1.959964), rel=1e-6)
    from_p = HazardRatioEvidence("T", "C", 0.5, p_value=0.05)
    assert from_p.se == pytest.approx(math.log(2) / 1.959964, rel=1e-6)
    assert MedianEvidence("A", 7.8, n=67).se == pytest.approx(1 / (math.log(2) * math.sqrt(67)))
    lm = LandmarkEvidence("A", (12, 24), (0.5, 0.25), n=100)
    start, end, obs, se = lm.increments()
    assert start.tolist() == [0, 12] and end.tolist() == [12, 24]
    assert obs == pytest.approx([math.log(math.log(2))] * 2)
    assert se[1] == pytest.approx(math.sqrt(0.5 / (50 * 0.5 * math.log(0.5) ** 2)))


def test_landmark_intervals_equal_to_binomial_precision_match_n():
    """An interval of width 2 z sqrt(S (1 - S) / n) at each landmark is the same evidence as n."""
    s, n, z = (0.6, 0.3), 80, 1.959963984540054
    half = [z * math.sqrt(v * (1 - v) / n) for v in s]
    by_n = LandmarkEvidence("A", (6, 12), s, n=n).increments()
    first_ci = LandmarkEvidence("A", (6, 12), s, lower=(s[0] - half[0], s[1] - half[1] * 0.6 / 0.6),
                                upper=(s[0] + half[0], s[1] + half[1])).increments()
    np.testing.assert_allclose(first_ci[3][0], by_n[3][0], rtol=1e-9)  # the first increment: exactly n
    # later landmarks: the interval's effective size m_j = n (no censoring) gives the same precision
    np.testing.assert_allclose(first_ci[2], by_n[2])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: HazardRatioEvidence("T", "C", 0.5), "give the confidence interval"),
        (lambda: HazardRatioEvidence("T", "T", 0.5, 0.3, 0.8), "both 'T'"),
        (lambda: HazardRatioEvidence("T", "C", 0.9, 0.3, 0.8), "lower < estimate < upper"),
        (lambda: MedianEvidence("A", -1, 1, 2), "estimate must be a finite number > 0"),
        (lambda: MedianEvidence("A", 5), "give the confidence interval"),
        (lambda: LandmarkEvidence("A", (12, 6), (0.5, 0.6), n=10), "increasing"),
        (lambda: LandmarkEvidence("A", (6, 12), (0.5, 0.6), n=10), "decreasing"),
        (lambda: LandmarkEvidence("A", (6,), (0.5,), n=0), "n must be a whole number"),
    ],
)
def test_bad_evidence_is_refused(make, message):
    with pytest.raises(bh.DataError, match=message):
        make()


def test_summary_without_precision_is_refused_not_dropped():
    s = bh.SurvivalSummary("OS", medians=pd.DataFrame({"arm": ["A"], "estimate": [5.0], "lower": [np.nan],
                                                       "upper": [np.nan]}))
    with pytest.raises(bh.DataError, match="no interval and the summary gives no n"):
        s.evidence()
    with pytest.raises(bh.DataError, match="alone says nothing about the event rate"):
        bh.PiecewiseExponential(cutpoints=[0], control="C").prepare(
            bh.PiecewiseExponential(cutpoints=[0]).coerce(HazardRatioEvidence("T", "C", 0.5, 0.3, 0.8)))


def test_seed_pfs_reproduces_the_published_figures(mock_sampler):
    """The real fit is in the slow test below; here the evidence terms' structure."""
    study = bh.datasets.load_huang2022()
    p = bh.PiecewiseExponential(cutpoints=[0], control="Sorafenib").prepare(
        bh.PiecewiseExponential(cutpoints=[0]).coerce(study.pfs))
    assert [part[0] for part in p.structure[3]] == ["hr", "median", "median"]
    assert p.structure[3][0][1] == 1.0  # the paper's HR is FOLFOX-HAIC vs Sorafenib: the model's own


@pytest.mark.slow
@pytest.mark.parametrize(
    ("dataset", "endpoint", "control", "cuts"),
    [("huang2022", "pfs", "Sorafenib", [0]), ("haic_cisplatin", "spp", "Other salvage", [0]),
     ("haic_cisplatin", "os", None, [0, 12, 24]), ("huang2022", ["os", "os_medians"], "Sorafenib", [0, 6, 12, 18])],
)
def test_each_seed_analysis_reproduces_its_published_figures_within_their_intervals(dataset, endpoint, control, cuts):
    study = bh.datasets.load(dataset)
    data = [getattr(study, e) for e in endpoint] if isinstance(endpoint, list) else getattr(study, endpoint)
    effect = "per_arm" if control is None else "proportional"
    fit = bh.PiecewiseExponential(cutpoints=cuts, control=control, effect=effect).fit(data, draws=1000, seed=1)
    table = fit.evidence()
    assert len(table)
    for r in table.itertuples():
        if np.isfinite(r.published_lower):  # the posterior median within the published interval
            assert r.published_lower <= r.posterior_median <= r.published_upper, r
        else:  # no published interval: the published figure within the posterior interval
            assert r.eti95_lower <= r.published <= r.eti95_upper, r
