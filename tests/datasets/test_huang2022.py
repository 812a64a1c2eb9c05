"""huang2022 against the figures the paper states (seed 000).

Every constant below was typed from the paper's text, independently of the bundled CSV files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh

N = {"FOLFOX-HAIC": 55, "Sorafenib": 59}  # Results para 1: "55 received ... and 59 received"
DEATHS = {"FOLFOX-HAIC": 44, "Sorafenib": 59}  # Results para 2: "103 patients had died (44 ... 59)"
# Results para 2: OS rates at 6, 12 and 18 months
OS_RATES = {"FOLFOX-HAIC": (92.7, 61.8, 41.8), "Sorafenib": (71.2, 25.4, 10.2)}
ALIVE = {
    "FOLFOX-HAIC": (51, 34, 23),
    "Sorafenib": (42, 15, 6),
}  # seeds README: 51 of 55 at 6 months


@pytest.fixture(scope="module")
def study():
    return bh.datasets.load_huang2022()




def test_arms_and_patients(study):
    assert study.arms == ("FOLFOX-HAIC", "Sorafenib")
    assert dict(study.n) == N
    assert sum(study.n.values()) == 114 == study.n_patients


def test_os_interval_counts(study):
    os = study.os
    assert isinstance(os, bh.IntervalData)
    assert os.n_by_arm == N
    assert os.events_by_arm == DEATHS
    assert sum(os.events_by_arm.values()) == 103
    f = os.frame
    for arm, alive in ALIVE.items():
        sub = f[f.arm == arm].sort_values("start")
        assert sub["start"].tolist() == [0.0, 6.0, 12.0, 18.0]
        assert tuple(sub["at_risk"].iloc[1:]) == alive
        pct = 100 * np.array(alive) / N[arm]
        np.testing.assert_allclose(np.round(pct, 1), OS_RATES[arm])
        last = sub.iloc[-1]
        assert last["censored"] == N[arm] - DEATHS[arm]  # 11 and 0 alive at the cut-off


def test_os_follow_up_window_from_study_dates(study):
    last = study.os.frame.dropna(subset=["censor_from"])
    # 2018-12-18 -> 2021-05-01 is 865 days; 2016-04-21 -> 2021-05-01 is 1836 days
    np.testing.assert_allclose(last["censor_from"], 865 / 30.4375)
    np.testing.assert_allclose(last["censor_to"], 1836 / 30.4375)
    assert (last["censor_from"] > 28.4).all() and (last["censor_to"] < 60.4).all()


def test_os_published_figures(study):
    r = study.published_figure("OS", "median", "FOLFOX-HAIC")
    assert (r.estimate, r.lower, r.upper) == (17.1, 13.4, 20.8)
    r = study.published_figure("OS", "median", "Sorafenib")
    assert (r.estimate, r.lower, r.upper) == (9.1, 7.5, 10.6)
    hr = study.published[
        (study.published.endpoint == "OS") & (study.published.quantity == "hazard ratio")
    ]
    got = {
        (m.split(" (")[0], c): (e, lo, hi)
        for m, c, e, lo, hi in hr[
            ["model", "arm_or_contrast", "estimate", "lower", "upper"]
        ].itertuples(index=False)
    }
    assert got[("univariable", "FOLFOX-HAIC vs Sorafenib")] == (0.35, 0.23, 0.53)
    assert got[("Cox multivariable", "FOLFOX-HAIC vs Sorafenib")] == (0.29, 0.19, 0.44)
    assert got[("Cox multivariable", "PVTT: absence vs presence")] == (0.49, 0.31, 0.77)
    assert got[("Cox multivariable", "AFP, ng/mL: <=1000 vs >1000")] == (0.71, 0.47, 1.07)
    lm = study.published[study.published.quantity == "survival"]
    for arm, rates in OS_RATES.items():
        assert lm[lm.arm_or_contrast == arm].sort_values("time")["estimate"].tolist() == list(rates)


def test_table2_univariable_medians_point_the_same_way_as_the_hazard_ratios(study):
    # PVTT absence 12.4 vs presence 8.53 months with HR(absence vs presence) 0.49 < 1
    assert study.published_figure("OS", "median", "PVTT: absence").estimate == 12.4
    assert study.published_figure("OS", "median", "PVTT: presence").estimate == 8.53
    assert study.published_figure("OS", "median", "Group: Sorafenib").estimate == 9.07
    p = study.published
    levels = p[(p.quantity == "median") & p.arm_or_contrast.str.contains(": ")]
    # eleven factors; mALBI has three levels
    assert levels.arm_or_contrast.str.split(": ").str[0].nunique() == 11
    assert len(levels) == 23


def test_pfs_summary(study):
    pfs = study.pfs
    assert isinstance(pfs, bh.SurvivalSummary)
    m = pfs.medians.set_index("arm")
    assert tuple(m.loc["FOLFOX-HAIC"]) == (7.6, 5.6, 9.6)
    assert tuple(m.loc["Sorafenib"]) == (3.9, 2.3, 5.4)
    hr = pfs.hazard_ratios.iloc[0]
    assert (hr.treatment, hr.control) == ("FOLFOX-HAIC", "Sorafenib")
    assert (hr.estimate, hr.lower, hr.upper) == (0.49, 0.33, 0.72)
    assert hr.p_value <= 0.001


@pytest.mark.parametrize(
    ("criterion", "responders", "orr_pct"),
    [("RECIST", (18, 1), (32.7, 1.7)), ("mRECIST", (22, 2), (40.0, 3.4))],
)
def test_objective_response(study, criterion, responders, orr_pct):
    b = study.response[criterion]
    assert b.criterion == criterion
    assert b.responders == dict(zip(N, responders, strict=True))
    assert b.n == N
    pub = study.published
    rates = pub[
        (pub.endpoint == f"best response ({criterion})") & (pub.quantity == "response rate")
    ]
    assert rates.set_index("arm_or_contrast")["estimate"].to_dict() == dict(
        zip(N, orr_pct, strict=True)
    )
    for arm, pct in zip(N, orr_pct, strict=True):
        assert round(100 * b.responders[arm] / N[arm], 1) == pct


def test_response_table_sums_and_percentages(study):
    t = study.response_table
    assert set(t.criterion) == {"RECIST", "mRECIST"}
    sums = t.groupby(["criterion", "arm"])["count"].sum()
    for crit in ("RECIST", "mRECIST"):
        for arm, n in N.items():
            assert sums[(crit, arm)] == n
    # Table 3 as printed, typed from the paper
    expected = {
        ("RECIST", "FOLFOX-HAIC"): (0, 18, 26, 11),
        ("RECIST", "Sorafenib"): (0, 1, 36, 22),
        ("mRECIST", "FOLFOX-HAIC"): (3, 19, 22, 11),
        ("mRECIST", "Sorafenib"): (0, 2, 35, 22),
    }
    for (crit, arm), counts in expected.items():
        sub = t[(t.criterion == crit) & (t.arm == arm)].set_index("category")["count"]
        assert tuple(sub.loc[["CR", "PR", "SD", "PD"]]) == counts
    raw = bh.datasets._registry.read_csv("huang2022", "response.csv")
    np.testing.assert_allclose(np.round(100 * raw["count"] / raw["arm"].map(N), 1), raw["percent"])


def test_adverse_event_table(study):
    ae = study.adverse_events
    assert isinstance(ae, bh.AETable)
    assert ae.n == N
    f = ae.frame
    assert f[["system", "event"]].drop_duplicates().shape[0] == 19
    assert f["system"].nunique() == 7
    assert (f["count"] <= f["arm"].map(N)).all()
    wide = f.pivot_table(index=["event", "arm"], columns="grade", values="count")
    assert (wide["3-4"] <= wide["any"]).all()
    # footnote b: listed events occurred in at least 10% of patients in either group
    anyg = f[f.grade == "any"].assign(rate=lambda d: d["count"] / d["n"])
    assert (anyg.groupby("event")["rate"].max() >= 0.10).all()
    # spot checks typed from Table 4
    cell = f.set_index(["event", "arm", "grade"])["count"]
    assert cell[("Hand-foot skin reaction", "Sorafenib", "3-4")] == 9
    assert cell[("Sensory neuropathy", "FOLFOX-HAIC", "any")] == 21
    assert cell[("Hypoalbuminemia", "FOLFOX-HAIC", "any")] == 40
    assert cell[("Elevated AST", "Sorafenib", "any")] == 43


def test_overall_adverse_events_agree_with_the_text(study):
    # Results para 4: any grade 52 (94.5%) vs 51 (86.4%); grade 3/4 18 (32.7%) vs 23 (39.0%);
    # serious 6 (10.9%) vs 8 (13.6%)
    stated = {
        ("AE (any treatment-related)", "any grade"): ((52, 51), (94.5, 86.4)),
        ("AE (any treatment-related)", "grade 3-4"): ((18, 23), (32.7, 39.0)),
    }
    for (endpoint, grade), (counts, pcts) in stated.items():
        for arm, k, pct in zip(N, counts, pcts, strict=True):
            assert study.published_figure(endpoint, f"patients with event ({grade})", arm).estimate == k
            assert study.published_figure(endpoint, f"percent with event ({grade})", arm).estimate == pct
            assert round(100 * k / N[arm], 1) == pct
    for arm, k, pct in zip(N, (6, 8), (10.9, 13.6), strict=True):
        assert study.published_figure("AE (serious)", "patients with event", arm).estimate == k
        assert study.published_figure("AE (serious)", "percent with event", arm).estimate == pct
        assert round(100 * k / N[arm], 1) == pct
    # Results para 4: 3 FOLFOX-HAIC patients were recatheterized
    recath = study.published[study.published.endpoint == "procedure"]
    assert recath[["arm_or_contrast", "estimate"]].values.tolist() == [["FOLFOX-HAIC", 3.0]]
    # no single event can affect more patients than had any treatment-related AE
    f = study.adverse_events.frame
    worst = f[f.grade == "any"].groupby("arm")["count"].max()
    assert worst["FOLFOX-HAIC"] <= 52 and worst["Sorafenib"] <= 51


def test_baseline_categories_sum_to_arm_sizes(study):
    t1 = study.baseline["table1"]
    sums = t1.groupby(["characteristic", "arm"])["count"].sum()
    assert t1["characteristic"].nunique() == 11
    for (_, arm), total in sums.items():
        assert total == N[arm]


def test_baseline_agrees_with_the_text(study):
    t1 = study.baseline["table1"]
    both = t1.groupby(["characteristic", "category"])["count"].sum()
    # Results para 1: 106 males and 8 females; HBV 82.5%; multiple lesions 78.1%;
    # absence of PVTT 69.3%. Discussion: AFP > 1000 ng/mL in 61.4%.
    assert both[("Sex", "Male")] == 106 and both[("Sex", "Female")] == 8
    assert round(100 * both[("HBV infection", "Yes")] / 114, 1) == 82.5
    assert round(100 * both[("Tumor number", "Multiple")] / 114, 1) == 78.1
    assert round(100 * both[("Portal vein tumor thrombus", "Absence")] / 114, 1) == 69.3
    assert round(100 * both[("AFP, ng/mL", ">1000")] / 114, 1) == 61.4
    cohort = study.baseline["cohort_summary"].set_index(["characteristic", "statistic"])["value"]
    assert cohort[("Age", "mean")] == 49.1 and cohort[("Age", "sd")] == 11.5


def test_cohort_summary_typed_from_the_text(study):
    cohort = study.baseline["cohort_summary"].set_index(["characteristic", "statistic"])["value"]
    # Results para 1 and Discussion para 4, typed
    stated = {
        (
            "Patients screened (TACE failure/refractoriness treated with HAIC or sorafenib)",
            "count",
        ): 193,
        ("Patients", "count"): 114,
        ("Sex: male", "count"): 106,
        ("Sex: female", "count"): 8,
        ("Age", "mean"): 49.1,
        ("Age", "sd"): 11.5,
        ("HBV infection", "percent"): 82.5,
        ("Multiple lesions", "percent"): 78.1,
        ("Absence of portal vein tumor thrombus", "percent"): 69.3,
        ("Maximum tumor size (RECIST)", "mean"): 10.3,
        ("Maximum tumor size (RECIST)", "sd"): 3.6,
        ("Maximum tumor size (RECIST)", "median"): 10.3,
        ("Maximum tumor size (RECIST)", "q1"): 8.2,
        ("Maximum tumor size (RECIST)", "q3"): 12.9,
        ("AFP >1000 ng/mL", "percent"): 61.4,
        ("Subsequent therapy after progression: FOLFOX-HAIC arm", "count"): 17,
        ("Subsequent therapy after progression: Sorafenib arm", "count"): 25,
    }
    assert cohort.to_dict() == stated
    # and they agree with Table 1 and the subsequent-therapy table
    t1 = study.baseline["table1"].groupby(["characteristic", "category"])["count"].sum()
    assert t1[("Sex", "Male")] == cohort[("Sex: male", "count")]
    pct = 100 * t1[("Portal vein tumor thrombus", "Absence")] / cohort[("Patients", "count")]
    assert round(pct, 1) == cohort[("Absence of portal vein tumor thrombus", "percent")]
    st = study.baseline["subsequent_therapy"].groupby("arm")["count"].sum()
    assert (
        st["FOLFOX-HAIC"]
        == cohort[("Subsequent therapy after progression: FOLFOX-HAIC arm", "count")]
    )


def test_subsequent_therapy_totals(study):
    st = study.baseline["subsequent_therapy"]
    # Results para 1: 17 patients (FOLFOX-HAIC) and 25 (sorafenib) received subsequent treatment
    assert st.groupby("arm")["count"].sum().to_dict() == {"FOLFOX-HAIC": 17, "Sorafenib": 25}
    cell = st.set_index(["therapy", "arm"])["count"]
    assert cell[("Sorafenib", "FOLFOX-HAIC")] == 7 and cell[("Regorafenib", "Sorafenib")] == 8


def test_landmarks_are_exact_only_because_follow_up_is_long():
    # the same landmarks with follow-up starting before 18 months are not exact counts
    lm = pd.DataFrame(
        {"arm": ["A"] * 3, "time": [6.0, 12.0, 18.0], "survival": [0.927, 0.618, 0.418]}
    )
    with pytest.raises(bh.DataError, match="follow_up"):
        bh.IntervalData.from_landmarks(lm, n={"A": 55}, events={"A": 44}, follow_up=(12.0, 60.0))


def test_published_figure_needs_exactly_one_row(study):
    with pytest.raises(bh.DataError, match="0 rows for endpoint='OS'"):
        study.published_figure("OS", "median", "Placebo")
