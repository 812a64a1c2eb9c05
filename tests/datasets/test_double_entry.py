"""Double data entry: the papers' tables typed a second time, row by row in their printed form.

The strings below were re-typed from the seed texts (shared/seeds/) in the layout the papers
print, independently of the bundled CSV files, and are parsed here and compared cell by cell.
A transcription slip in either copy fails a test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import bayeshcc as bh

# --- seed 000 (huang2022) ----------------------------------------------------------------------

# Table 4: event, FOLFOX any, FOLFOX 3-4, sorafenib any, sorafenib 3-4, P any, P 3-4
HUANG_TABLE4 = """
Neutropenia 15 5 9 1 .12 .11
Thrombocytopenia 20 3 8 0 .005 .11
Anemia 22 3 18 2 .29 .67
Hypertension 2 0 13 2 .004 .5
Edema 7 1 4 0 .28 .48
Fatigue 30 1 23 4 .1 .37
Weight loss 13 0 19 2 .31 .5
Hand-foot skin reaction 1 0 27 9 <.001 .003
Alopecia 2 0 14 0 .002 -
Rash 2 0 16 2 .001 .5
Nausea 34 5 14 1 <.001 .11
Vomiting 32 7 12 1 <.001 .03
Diarrhea 20 1 24 3 .64 .62
Abdominal pain 22 2 2 0 <.001 .23
Sensory neuropathy 21 0 0 0 <.001 -
Elevated ALT 33 4 40 6 .82 .74
Elevated AST 38 3 43 7 .66 .32
Hyperbilirubinemia 31 3 25 2 .14 .67
Hypoalbuminemia 40 2 20 0 <.001 .23
"""

# Table 3: category, RECIST FOLFOX n (%), sorafenib n (%), P, mRECIST FOLFOX, sorafenib, P
HUANG_TABLE3 = """
CR 0 (0) 0 (0) - 3 (5.5%) 0 (0) .11
PR 18 (32.7%) 1 (1.7%) <.001 19 (34.5%) 2 (3.4%) <.001
SD 26 (47.3%) 36 (61.0%) .14 22 (40.0%) 35 (59.3%) .04
PD 11 (20.0%) 22 (37.3%) .04 11 (20.0%) 22 (37.3%) .04
ORR 18 (32.7%) 1 (1.7%) <.001 22 (40.0%) 2 (3.4%) <.001
"""

# Table 1: category rows under their headings: category, FOLFOX, sorafenib (P on the heading)
HUANG_TABLE1 = {
    ("Age, years", ".19"): "<=50 30 25 | >50 25 34",
    ("Sex", ".48"): "Male 50 56 | Female 5 3",
    ("ECOG performance status", ".20"): "0 16 24 | 1 39 35",
    ("HBV infection", ".51"): "Yes 44 50 | No 11 9",
    ("Maximum tumor diameter, cm", ".19"): "<=10 23 32 | >10 32 27",
    ("Tumor number", ".98"): "Single 12 13 | Multiple 43 46",
    ("Portal vein tumor thrombus", ".65"): "Absence 37 42 | Presence 18 17",
    ("BCLC stage", ".51"): "B 35 41 | C 20 18",
    ("AFP, ng/mL", ".93"): "<=1000 21 23 | >1000 34 36",
    ("Child-Pugh score", ".67"): "5 48 53 | 6 7 6",
    ("mALBI grade", ".52"): "1 32 34 | 2a 15 20 | 2b 8 5",
}

# Table 1, therapy after progression: therapy, FOLFOX, sorafenib, P
HUANG_THERAPY = """
Sorafenib 7 0 .005
FOLFOX-HAIC 0 3 .24
Lenvatinib 6 7 .87
Regorafenib 0 8 .006
PD-1 inhibitor treatment 1 5 .21
Radiotherapy 3 2 .67
"""

# Table 2, univariate: factor (levels) medians, log-rank P
HUANG_TABLE2 = """
Group (FOLFOX-HAIC/Sorafenib) 17.1 vs 9.07 <.001
Age, years (<=50/>50) 9.4 vs 10.63 .88
Sex (male/female) 10.17 vs 10.63 .56
ECOG-PS (0/1) 11.1 vs 9.47 .16
HBV infection (yes/no) 10.63 vs 7.83 .36
Tumor size, cm (<=10/>10) 10.93 vs 9.7 .67
Tumor number (single/multiple) 7.83 vs 10.93 .26
PVTT (absence/presence) 12.4 vs 8.53 .02
AFP, ng/mL (<=1000/>1000) 10.97 vs 9.4 .09
mALBI (1/2a/2b) 11.1 vs 9.7 vs 7.83 .27
Child-Pugh score (5/6) 10.73 vs 9.13 .12
"""

NUM = r"(<?\.?\d[\d.]*|-)"


def _p(text: str) -> float:
    return float("nan") if text == "-" else float(text.lstrip("<"))


@pytest.fixture(scope="module")
def huang():
    return bh.datasets.load_huang2022()


@pytest.fixture(scope="module")
def haic():
    return bh.datasets.load_haic_cisplatin()


def test_huang_table4(huang):
    cell = huang.adverse_events.frame.set_index(["event", "arm", "grade"])["count"]
    pub = huang.published
    rows = [r for r in HUANG_TABLE4.strip().splitlines()]
    assert len(rows) == 19 == huang.adverse_events.frame["event"].nunique()
    for row in rows:
        m = re.fullmatch(rf"(.+?) (\d+) (\d+) (\d+) (\d+) {NUM} {NUM}", row)
        event, fa, f34, sa, s34, pa, p34 = m.groups()
        got = [cell[(event, a, g)] for a in ("FOLFOX-HAIC", "Sorafenib") for g in ("any", "3-4")]
        assert got == [int(fa), int(f34), int(sa), int(s34)], event
        for grade, printed in (("any grade", pa), ("grade 3-4", p34)):
            r = pub[(pub.endpoint == f"AE: {event}") & (pub.quantity == f"p-value ({grade})")]
            assert r["p_value_text"].item() == printed, (event, grade)


def test_huang_table3(huang):
    t = huang.response_table.set_index(["criterion", "arm", "category"])["count"]
    pub = huang.published
    pat = rf"(\w+) (\d+) \((.+?)\) (\d+) \((.+?)\) {NUM} (\d+) \((.+?)\) (\d+) \((.+?)\) {NUM}"
    for row in HUANG_TABLE3.strip().splitlines():
        cat, *v = re.fullmatch(pat, row).groups()
        for crit, (a, _, b, _, p) in (("RECIST", v[:5]), ("mRECIST", v[5:])):
            if cat == "ORR":
                a_got = t[(crit, "FOLFOX-HAIC", "CR")] + t[(crit, "FOLFOX-HAIC", "PR")]
                b_got = t[(crit, "Sorafenib", "CR")] + t[(crit, "Sorafenib", "PR")]
            else:
                a_got, b_got = t[(crit, "FOLFOX-HAIC", cat)], t[(crit, "Sorafenib", cat)]
            assert (a_got, b_got) == (int(a), int(b)), (crit, cat)
            r = pub[
                (pub.endpoint == f"best response ({crit})") & (pub.quantity == f"p-value ({cat})")
            ]
            assert r["p_value_text"].item() == p, (crit, cat)


def test_huang_table1(huang):
    t1 = huang.baseline["table1"]
    cell = t1.set_index(["characteristic", "category", "arm"])["count"]
    assert len(t1) == 2 * sum(len(v.split("|")) for v in HUANG_TABLE1.values())
    for (char, p), rows in HUANG_TABLE1.items():
        assert np.isclose(t1.loc[t1.characteristic == char, "p_value"], float(p)).all(), char
        for row in rows.split("|"):
            cat, a, b = row.split()
            assert (cell[(char, cat, "FOLFOX-HAIC")], cell[(char, cat, "Sorafenib")]) == (
                int(a),
                int(b),
            ), (char, cat)
    st = huang.baseline["subsequent_therapy"].set_index(["therapy", "arm"])
    for row in HUANG_THERAPY.strip().splitlines():
        therapy, a, b, p = re.fullmatch(r"(.+) (\d+) (\d+) (\.\d+)", row).groups()
        assert st.loc[(therapy, "FOLFOX-HAIC"), "count"] == int(a)
        assert st.loc[(therapy, "Sorafenib"), "count"] == int(b)
        assert st.loc[(therapy, "Sorafenib"), "p_value"] == float(p)


def test_huang_table2_univariable(huang):
    pub = huang.published
    uni = pub[(pub.quantity == "median") & pub.arm_or_contrast.str.contains(": ")]
    rows = HUANG_TABLE2.strip().splitlines()
    got = uni.groupby(uni.arm_or_contrast.str.split(": ").str[0], sort=False)
    assert len(got) == len(rows)
    for (factor, sub), row in zip(got, rows, strict=True):
        m = re.fullmatch(r"(.+) \((.+)\) ([\d. vs]+) (<?\.\d+)", row)
        medians = [float(x) for x in m.group(3).split(" vs ")]
        assert sub["estimate"].tolist() == medians, factor
        assert (sub["p_value_text"] == m.group(4)).all(), factor
        assert len(m.group(2).split("/")) == len(sub)


# --- seed 003 (haic_cisplatin) -----------------------------------------------------------------

# Table 1, the n=67 column in printed order
HAIC_TABLE1 = {
    "Sex": "50/17",
    "Age": "70.4 (33-84)",
    "Etiology": "7/47/5/8",
    "TNM stage (LCSGJ 2008)": "3/22/39/3",
    "BCLC stage": "13/54",
    "Performance status": "45/22",
    "Initial treatment": "6/14/29/7/11",
    "Child-Pugh grade": "49/18",
    "ALT": "54 (16-332)",
    "Total bilirubin": "0.8 (0.2-2.0)",
    "Prothrombin activity ratio": "95 (65-137)",
    "Albumin": "3.7 (2.3-4.6)",
    "Platelet count": "12.0 (3.5-47.1)",
    "AFP": "690 (6-584820) | 37",
    "DCP": "1098 (12-75000) | 39",
    "Ascites": "19/48",
    "Portal vein thrombosis": "44/23",
    "Tumor distribution": "19/48",
    "Tumor number": "19/48",
    "Maximum tumor size": "40/27",
}

# Table 2: sorafenib (N=19) | other salvage (N=19) | P
HAIC_TABLE2 = {
    "Sex": "14/5 | 14/5 | 1.000",
    "Age": "75 (50-84) | 73 (56-79) | 0.403",
    "Performance status": "10/9 | 9/10 | 1.000",
    "Ascites": "6/13 | 8/11 | 0.737",
    "Portal vein thrombosis": "12/7 | 16/3 | 0.269",
    "Tumor distribution": "4/14 | 6/12 | 0.714",
    "Tumor number": "4/14 | 2/16 | 0.660",
    "Maximum tumor size": "11/7 | 9/10 | 0.515",
    "ALT": "44 (14-100) | 39 (9-302) | 0.156",
    "AST": "80 (35-142) | 95 (16-291) | 0.233",
    "Total bilirubin": "1.0 (0.7-2.3) | 1.0 (0.5-2.8) | 0.436",
    "Albumin": "3.9 (3.0-4.4) | 3.6 (2.4-4.7) | 0.273",
    "Prothrombin activity ratio": "97 (74-119) | 94 (76-140) | 0.759",
    "Platelet count": "13.0 (5.1-22.8) | 11.2 (4.0-44.6) | 0.403",
    "AFP": "2003 (11-275577) | 2277 (18-409606) | 0.369",
    "DCP": "1217 (27-221900) | 4110 (39-54356) | 0.988",
}

# Table 3, univariate P in printed order
HAIC_TABLE3_UNI = (
    "0.325 0.312 0.211 0.889 0.107 0.031 0.206 0.977 0.324 0.361 0.160 0.001 0.278 0.041"
)


def _printed(text: str) -> list[float]:
    """'50/17' -> [50, 17]; '70.4 (33-84)' -> [70.4, 33, 84]."""
    m = re.fullmatch(r"([\d.]+) \(([\d.]+)-([\d.]+)\)", text.strip())
    if m:
        return [float(x) for x in m.groups()]
    return [float(x) for x in text.strip().split("/")]


def _table_values(df, char, arm):
    sub = df[(df.characteristic == char) & (df.arm == arm)]
    order = {"count": 0, "mean": 0, "median": 0, "min": 1, "max": 2}
    if (sub.statistic == "count").all():
        return sub["value"].tolist()
    cont = sub[sub.category.isna()].sort_values("statistic", key=lambda s: s.map(order))
    return cont["value"].tolist()


def test_haic_table1(haic):
    t1 = haic.baseline["table1"]
    assert list(dict.fromkeys(t1.characteristic)) == list(HAIC_TABLE1)
    for char, printed in HAIC_TABLE1.items():
        main, *extra = printed.split(" | ")
        assert _table_values(t1, char, "All patients") == _printed(main), char
        if extra:
            above = t1[(t1.characteristic == char) & t1.category.notna()]
            assert above["value"].tolist() == [float(extra[0])], char


def test_haic_table2(haic):
    t2 = haic.baseline["table2"]
    assert set(t2.characteristic) == set(HAIC_TABLE2)
    for char, printed in HAIC_TABLE2.items():
        sor, oth, p = printed.split(" | ")
        assert _table_values(t2, char, "Sorafenib") == _printed(sor), char
        assert _table_values(t2, char, "Other salvage") == _printed(oth), char
        assert np.isclose(t2.loc[t2.characteristic == char, "p_value"], float(p)).all(), char


def test_haic_table3_univariate(haic):
    pub = haic.published
    uni = pub[(pub.endpoint == "SPP") & (pub.quantity == "p-value (univariable)")]
    assert uni["p_value_text"].tolist() == HAIC_TABLE3_UNI.split()
    np.testing.assert_allclose(uni["p_value"], [float(x) for x in HAIC_TABLE3_UNI.split()])
