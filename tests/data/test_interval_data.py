import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh

N = {"FOLFOX-HAIC": 55, "Sorafenib": 59}
EVENTS = {"FOLFOX-HAIC": 44, "Sorafenib": 59}


def landmarks(**overrides):
    s = {"FOLFOX-HAIC": [0.927, 0.618, 0.418], "Sorafenib": [0.712, 0.254, 0.102]}
    s.update(overrides)
    return pd.DataFrame(
        [(a, t, v) for a, vals in s.items() for t, v in zip([6, 12, 18], vals, strict=True)],
        columns=["arm", "time", "survival"],
    )


def test_from_landmarks_gives_exact_counts():
    d = bh.IntervalData.from_landmarks(landmarks(), n=N, events=EVENTS, follow_up=(28.4, 60.4))
    f = d.frame.set_index(["arm", "start"])
    # 92.7% of 55 = 51 alive at 6 months, so 4 deaths in [0, 6); 61.8% -> 34; 41.8% -> 23
    assert f.loc[("FOLFOX-HAIC", 0.0), "events"] == 4
    assert f.loc[("FOLFOX-HAIC", 6.0), "at_risk"] == 51
    assert f.loc[("FOLFOX-HAIC", 18.0), ["at_risk", "events", "censored"]].tolist() == [23, 12, 11]
    assert f.loc[("Sorafenib", 18.0), ["at_risk", "events", "censored"]].tolist() == [6, 6, 0]
    assert d.events_by_arm == EVENTS and d.n_by_arm == N
    lt = d.life_table()
    np.testing.assert_allclose(lt.survival, landmarks().survival, atol=0.0005)
    assert d.horizon == {"FOLFOX-HAIC": 60.4, "Sorafenib": 60.4}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lm": landmarks(Sorafenib=[0.712, 0.754, 0.102])}, "increases over time"),
        ({"lm": landmarks(Sorafenib=[71.2, 25.4, 10.2])}, r"proportions in \[0, 1\]"),
        ({"lm": landmarks(Sorafenib=[0.5, 0.254, 0.102])}, r"not k/59"),
        ({"follow_up": (12.0, 60.0)}, "Kaplan-Meier estimate"),
        ({"events": {"FOLFOX-HAIC": 20, "Sorafenib": 59}}, "only events"),
        ({"events": {"FOLFOX-HAIC": 60, "Sorafenib": 59}}, "exceeds n"),
        ({"n": {"FOLFOX-HAIC": 55}}, r"no entry for arm\(s\) \['Sorafenib'\]"),
        ({"follow_up": (30, 20)}, "follow_up must satisfy"),
    ],
)
def test_from_landmarks_errors(kwargs, message):
    args = {"lm": landmarks(), "n": N, "events": EVENTS, "follow_up": (28.4, 60.4)} | kwargs
    with pytest.raises(bh.DataError, match=message):
        bh.IntervalData.from_landmarks(args.pop("lm"), **args)


def table(**changes):
    df = pd.DataFrame(
        {
            "arm": ["A", "A", "A"],
            "start": [0.0, 6.0, 12.0],
            "end": [6.0, 12.0, 18.0],
            "at_risk": [50, 40, 30],
            "events": [8, 7, 5],
            "censored": [2, 3, 1],
        }
    )
    for k, v in changes.items():
        df[k] = v
    return df


def test_from_frame_valid_and_not_mutated():
    df = table()
    before = df.copy()
    d = bh.IntervalData.from_frame(df)
    pd.testing.assert_frame_equal(df, before)
    assert d.n_by_arm == {"A": 50} and d.events_by_arm == {"A": 20}
    np.testing.assert_allclose(d.cutpoints, [0, 6, 12])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"at_risk": [50, 41, 30]}, r"at_risk does not add up in arm 'A': row 1 has 41"),
        ({"events": [8, 7, 35]}, r"events \+ censored exceed at_risk in row 2"),
        ({"start": [0.0, 7.0, 12.0], "end": [6.0, 12.0, 18.0]}, "not contiguous"),
        ({"events": [8, -7, 5]}, "negative"),
        ({"events": [8, 7.5, 5]}, "whole counts"),
        ({"end": [6.0, 12.0, np.inf]}, "open last row of arm 'A'"),
    ],
)
def test_from_frame_errors(changes, message):
    with pytest.raises(bh.DataError, match=message):
        bh.IntervalData.from_frame(table(**changes))


def test_window_row_must_account_for_everyone():
    df = table(censor_from=[np.nan, np.nan, 12.0], censor_to=[np.nan, np.nan, 18.0])
    with pytest.raises(bh.DataError, match="account for everyone"):
        bh.IntervalData.from_frame(df, censor_from="censor_from", censor_to="censor_to")


def test_from_survival_conserves_counts(ipd_frame):
    d = bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm")
    t = bh.IntervalData.from_survival(d, [0, 5, 10])
    assert t.n_by_arm == d.n_by_arm and t.events_by_arm == d.events_by_arm
    last = t.frame.groupby("arm").last()
    assert np.allclose(last["end"], [d.horizon[a] for a in last.index])
