import pandas as pd
import pytest

import bayeshcc as bh


def test_binary_data_and_errors():
    df = pd.DataFrame({"arm": ["H", "S"], "responders": [18, 1], "n": [55, 59]})
    b = bh.BinaryData.from_frame(df, criterion="RECIST")
    assert b.responders == {"H": 18, "S": 1} and b.n == {"H": 55, "S": 59}
    assert repr(b) == "BinaryData(RECIST: H 18/55, S 1/59)"
    with pytest.raises(bh.DataError, match=r"responders exceed n in row 1"):
        bh.BinaryData.from_frame(df.assign(responders=[18, 60]))
    with pytest.raises(bh.DataError, match=r"repeats arm"):
        bh.BinaryData.from_frame(df.assign(arm=["H", "H"]))
    with pytest.raises(bh.DataError, match=r"must be > 0"):
        bh.BinaryData.from_frame(df.assign(n=[55, 0], responders=[18, 0]))


def test_ordinal_to_binary():
    rows = [("H", "CR", 1), ("H", "PR", 17), ("H", "SD", 25), ("H", "PD", 12),
            ("S", "CR", 0), ("S", "PR", 1), ("S", "SD", 30), ("S", "PD", 28)]
    o = bh.OrdinalData.from_frame(pd.DataFrame(rows, columns=["arm", "category", "count"]))
    b = o.to_binary()
    assert b.responders == {"H": 18, "S": 1} and b.n == {"H": 55, "S": 59}
    with pytest.raises(bh.DataError, match=r"no row for categories \['PD'\]"):
        bh.OrdinalData.from_frame(pd.DataFrame(rows[:3] + rows[4:], columns=["arm", "category", "count"]))
    with pytest.raises(bh.DataError, match="not in categories"):
        bh.OrdinalData.from_frame(pd.DataFrame(rows + [("S", "XX", 1)], columns=["arm", "category", "count"]))


def test_ae_table_errors():
    df = pd.DataFrame({"system": ["Blood"], "event": ["Anemia"], "arm": ["H"], "grade": ["any"], "count": [60], "n": [55]})
    with pytest.raises(bh.DataError, match="count exceeds n in row 0"):
        bh.AETable.from_frame(df)
    ok = bh.AETable.from_frame(df.assign(count=[10]))
    assert ok.n == {"H": 55}
