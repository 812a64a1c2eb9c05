import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bayeshcc as bh


def test_from_frame_keeps_clean_copy_and_does_not_mutate(ipd_frame):
    before = ipd_frame.copy(deep=True)
    d = bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm", covariates=["age"])
    pd.testing.assert_frame_equal(ipd_frame, before)
    assert d.arms == ("A", "B")
    assert d.n_by_arm == {"A": 40, "B": 40}
    assert d.events_by_arm["A"] == int(ipd_frame.loc[ipd_frame.arm == "A", "event"].sum())
    d.frame.loc[0, "time"] = -1.0  # the container's copy is its own
    assert ipd_frame.loc[0, "time"] == before.loc[0, "time"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns="time"), "missing column"),
        (lambda df: df.assign(time=df.time.where(df.index != 3, np.nan)), r"'time' has 1 missing .*row 3"),
        (lambda df: df.assign(time=df.time.where(~df.index.isin([4, 17]), -1.0)), r"2 negative value\(s\) \(rows 4, 17\)"),
        (lambda df: df.assign(time=df.time.where(df.index != 5, np.inf)), "infinite"),
        (lambda df: df.assign(event=df.event.where(df.index != 6, 2)), r"0/1 or True/False; found 2 in row 6"),
        (lambda df: df.assign(arm=df.arm.where(df.index != 7, None)), "missing arm labels"),
        (lambda df: df.assign(time=df.time.astype(str)), "must be numeric"),
    ],
)
def test_bad_input_is_named(ipd_frame, change, message):
    with pytest.raises(bh.DataError, match=message):
        bh.SurvivalData.from_frame(change(ipd_frame), time="time", event="event", arm="arm")


def test_arm_listing_errors(ipd_frame):
    with pytest.raises(bh.DataError, match=r"arm\(s\) \['C'\] have no patients"):
        bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm", arms=["A", "B", "C"])
    with pytest.raises(bh.DataError, match=r"\['B'\] not in arms"):
        bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm", arms=["A"])
    single = bh.SurvivalData.from_frame(ipd_frame, time="time", event="event")
    assert single.arms == ("all",)
    with pytest.raises(bh.DataError, match="2 arms are needed"):
        single.require_arms(2)


def test_dataerror_is_valueerror():
    assert issubclass(bh.DataError, ValueError) and issubclass(bh.SpecError, ValueError)


def test_split_known_case():
    df = pd.DataFrame({"time": [3.0, 6.0, 14.0], "event": [1, 1, 0], "arm": ["A", "A", "B"]})
    d = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm")
    s = d.split([0, 6, 12])
    # an event exactly at a cutpoint belongs to the interval it closes
    assert s.groupby("patient").size().tolist() == [1, 1, 3]
    assert s.loc[s.patient == 1, "event"].tolist() == [1]
    assert s.loc[s.patient == 2, "exposure"].tolist() == [6.0, 6.0, 2.0]
    ev, ex = d.exposure_table([0, 6, 12])
    np.testing.assert_allclose(ex, [[9.0, 0.0, 0.0], [6.0, 6.0, 2.0]])
    np.testing.assert_allclose(ev, [[2, 0, 0], [0, 0, 0]])


@st.composite
def survival_frames(draw):
    n = draw(st.integers(1, 40))
    times = draw(st.lists(st.floats(0, 50, allow_nan=False), min_size=n, max_size=n))
    events = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    arms = draw(st.lists(st.sampled_from(["A", "B"]), min_size=n, max_size=n))
    cuts = sorted(set(draw(st.lists(st.floats(0.1, 60, allow_nan=False), max_size=5))))
    return pd.DataFrame({"time": times, "event": events, "arm": arms}), [0.0, *cuts]


@settings(max_examples=60, deadline=None)
@given(survival_frames())
def test_split_conserves_exposure_and_events(frame_and_cuts):
    df, cuts = frame_and_cuts
    d = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm")
    s = d.split(cuts)
    np.testing.assert_allclose(s.groupby("patient")["exposure"].sum().to_numpy(), df["time"].to_numpy())
    assert s.groupby("patient")["event"].sum().tolist() == df["event"].astype(int).tolist()
    ev, ex = d.exposure_table(cuts)
    assert ev.sum() == df["event"].sum()
    np.testing.assert_allclose(ex.sum(), df["time"].sum())


@settings(max_examples=60, deadline=None)
@given(survival_frames())
def test_grouping_then_summing_recovers_totals(frame_and_cuts):
    df, cuts = frame_and_cuts
    if (df["time"] <= 0).all():
        return
    d = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm")
    try:
        table = bh.IntervalData.from_survival(d, cuts)
    except bh.DataError as e:  # follow-up not beyond the last cutpoint entered: explained, not silent
        assert "drop that cutpoint" in str(e)
        return
    assert table.n_by_arm == d.n_by_arm
    assert table.events_by_arm == d.events_by_arm
    f = table.frame
    # everyone leaves by an event, censoring, or alive at the end of the arm's last row (those
    # censored exactly at the last follow-up time are that row's survivors, not censored)
    left = f.groupby("arm").apply(
        lambda g: (g.events + g.censored).sum() + (g.at_risk - g.events - g.censored).iloc[-1],
        include_groups=False)
    assert left.to_dict() == d.n_by_arm


def test_kaplan_meier_matches_lifelines(ipd_frame):
    from lifelines import KaplanMeierFitter

    df = ipd_frame.assign(time=ipd_frame.time.round(0))  # whole months: many ties
    km = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm").kaplan_meier()
    for arm, sub in df.groupby("arm"):
        ref = KaplanMeierFitter().fit(sub.time, sub.event).survival_function_.iloc[:, 0]
        mine = km[km.arm == arm].set_index("time")["survival"]
        np.testing.assert_allclose(mine.to_numpy(), ref.reindex(mine.index).to_numpy(), rtol=1e-12)
        assert mine.index.is_unique and (np.diff(mine.to_numpy()) <= 0).all()


def test_patients_censored_at_the_last_follow_up_survive_the_last_row():
    """Administrative censoring at the end of follow-up is not half at risk: the last row is closed."""
    df = pd.DataFrame({"time": [2.0, 5.0, 7.0, 10.0, 10.0, 10.0], "event": [1, 0, 1, 0, 0, 0],
                       "arm": ["A"] * 6})
    table = bh.IntervalData.from_survival(bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm"),
                                          [0, 6])
    rows = table.frame[["start", "end", "at_risk", "events", "censored"]].to_numpy().tolist()
    # [0, 6): 6 at risk, 1 death, 1 censored at 5 (half at risk); [6, 10]: 4 at risk, 1 death, and
    # the 3 censored at 10 were followed through the whole row
    assert rows == [[0.0, 6.0, 6, 1, 1], [6.0, 10.0, 4, 1, 0]]
    assert table.life_table()["survival"].tolist() == pytest.approx([1 - 1 / 5.5, (1 - 1 / 5.5) * 3 / 4])
