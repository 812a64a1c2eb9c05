"""OrdinalData: categories must add up to each arm's reported n (issue 10's bad-input list)."""

import pandas as pd
import pytest

import bayeshcc as bh

ROWS = [("H", "CR", 3), ("H", "PR", 19), ("H", "SD", 22), ("H", "PD", 11),
        ("S", "CR", 0), ("S", "PR", 2), ("S", "SD", 35), ("S", "PD", 22)]


def frame(rows=ROWS):
    return pd.DataFrame(rows, columns=["arm", "category", "count"])


def test_totals_that_match_n_are_accepted_and_reported():
    data = bh.OrdinalData.from_frame(frame(), criterion="mRECIST", n={"H": 55, "S": 59})
    assert data.n == {"H": 55, "S": 59}
    assert data.to_binary().n == {"H": 55, "S": 59}


def test_categories_not_adding_to_n_name_the_arm_criterion_counts_sum_and_n():
    rows = [*ROWS[:3], ("H", "PD", 10), *ROWS[4:]]
    with pytest.raises(bh.DataError) as e:
        bh.OrdinalData.from_frame(frame(rows), criterion="mRECIST", n={"H": 55, "S": 59})
    msg = str(e.value)
    assert "arm 'H' (mRECIST)" in msg
    assert "CR 3 + PR 19 + SD 22 + PD 10" in msg and "add up to 54" in msg and "n = 55" in msg
    with pytest.raises(bh.DataError, match=r"arm 'S' \(RECIST\): the categories add up to 59 .* not n = 58"):
        bh.OrdinalData.from_frame(frame(), criterion="RECIST", n={"H": 55, "S": 58})


@pytest.mark.parametrize(("n", "message"), [
    ({"H": 55}, r"n has no entry for arm\(s\) \['S'\]"),
    ({"H": 55, "S": 59, "X": 3}, r"n has key\(s\) \['X'\] that are not arms"),
    ({"H": 55.0, "S": 59}, r"n\['H'\] must be a whole number"),
    ({"H": True, "S": 59}, r"n\['H'\] must be a whole number"),
    ([55, 59], "n must be a mapping of arm"),
])
def test_bad_n(n, message):
    with pytest.raises(bh.DataError, match=message):
        bh.OrdinalData.from_frame(frame(), n=n)


def test_bundled_tables_are_checked_against_the_arm_sizes():
    """Huang 2022 Table 3 against its n per arm (55, 59); the cisplatin cohort's five categories
    (NE included) against its 67 patients."""
    huang = bh.datasets.load_huang2022()
    for crit, data in huang.ordinal_response.items():
        assert data.n == dict(huang.n), crit
    cohort = bh.datasets.load_haic_cisplatin()
    assert cohort.ordinal_response["RECIST"].n == {"All patients": cohort.n_patients}
