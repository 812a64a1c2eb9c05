"""AETable refuses the bad adverse-event rows the hierarchical model must never see."""

import pandas as pd
import pytest

import bayeshcc as bh


def ae(**cols):
    base = {"system": ["GI"] * 4, "event": ["Nausea"] * 4, "arm": ["A", "B", "A", "B"],
            "grade": ["any", "any", "3-4", "3-4"], "count": [5, 3, 1, 0], "n": [20, 22, 20, 22]}
    base.update(cols)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (ae(count=[5, 30, 1, 0]), r"count exceeds n in row 1"),
        (ae(count=[5, -3, 1, 0]), r"'count' .*negative"),
        (ae(arm=["A", None, "A", "B"]), r"column 'arm' has missing arm labels .* row 1;"),
        (ae(system=["GI", "GI", "", "GI"]), r"column 'system' has missing system labels .* row 2;"),
        (ae(count=[5, 3, 6, 0]),
         r"grade '3-4' count exceeds the 'any' grade count in row 2 \('Nausea', arm 'A': 6 > 5\)"),
    ],
)
def test_bad_ae_rows_are_refused_naming_the_row(frame, message):
    with pytest.raises(bh.DataError, match=message):
        bh.AETable.from_frame(frame)


def test_grade_bands_other_than_any_and_3_4_are_kept_by_the_table_but_refused_by_the_model():
    table = bh.AETable.from_frame(ae(grade=["any", "any", "3", "3"]))
    with pytest.raises(bh.DataError, match=r"grade bands \['3'\] in rows 2, 3 are not analysed"):
        bh.HierarchicalAE().prepare(table)


def test_control_is_named_and_checked():
    table = bh.AETable.from_frame(ae()).with_control("B")
    assert table.control == "B" and bh.HierarchicalAE().prepare(table).arms == ("B", "A")
    with pytest.raises(bh.DataError, match="control: unknown arm 'Z'"):
        bh.AETable.from_frame(ae()).with_control("Z")
    assert bh.datasets.load_huang2022().adverse_events.control == "Sorafenib"
