"""Cutpoints from event-time quantiles (quantile_cutpoints) and from specs (parse_cutpoints)."""

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_rossi

import bayeshcc as bh
from bayeshcc.data import parse_cutpoints, quantile_cutpoints


@pytest.fixture(scope="module")
def rossi():
    return bh.SurvivalData.from_frame(load_rossi(), time="week", event="arrest", arm="fin",
                                      time_unit="weeks")


def patients(times, events, arm=None):
    df = pd.DataFrame({"t": times, "d": events})
    if arm is None:
        return bh.SurvivalData.from_frame(df, time="t", event="d")
    return bh.SurvivalData.from_frame(df.assign(arm=arm), time="t", event="d", arm="arm")


# rossi: 114 arrests (both arms together) among 432; sorted arrest weeks, ranks 1-based:
# 29th = 17, 57th = 28, 86th = 42 (ranks ceil(114 j / 4) = 29, 57, 86).
@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, (0.0,)),
        (2, (0.0, 28.0)),  # rank 57
        (3, (0.0, 20.0, 37.0)),  # ranks 38, 76
        (4, (0.0, 17.0, 28.0, 42.0)),
        (10, (0.0, 8.0, 14.0, 19.0, 24.0, 28.0, 35.0, 39.0, 44.0, 49.0)),
    ],
)
def test_rossi_quantile_cutpoints_by_hand(rossi, n, expected):
    assert quantile_cutpoints(rossi, n) == expected
    assert all(type(c) is float for c in quantile_cutpoints(rossi, n))


def test_rossi_cutpoints_pool_the_arms_and_use_event_times_only(rossi):
    weeks = np.sort(load_rossi().query("arrest == 1")["week"].to_numpy())
    assert weeks.size == 114 and sum(rossi.events_by_arm.values()) == 114
    assert quantile_cutpoints(rossi, 4)[1:] == (weeks[28], weeks[56], weeks[85])
    q = np.quantile(weeks, [0.25, 0.5, 0.75], method="inverted_cdf")
    assert quantile_cutpoints(rossi, 4)[1:] == tuple(q)


def test_rossi_intervals_hold_about_equal_shares_of_events(rossi):
    # a time at a cutpoint ends in the interval before it, so interval j holds the events up to and
    # including its cutpoint: <= 17 are ranks 1-30 (17 at ranks 28-30), <= 28 ranks 1-58,
    # <= 42 ranks 1-87; so 30, 28, 29 and the remaining 27 (not 28.5 each, because of ties)
    events, _ = rossi.exposure_table(quantile_cutpoints(rossi, 4))
    assert events.sum(axis=0).tolist() == [30.0, 28.0, 29.0, 27.0]


def test_tied_event_times_collapse_cutpoints():
    # events at 1, 1, 1, 1, 2, 3, 3, 3 (8 events) and censored at 0.5, 4; n = 4 -> ranks 2, 4, 6:
    # event times 1, 1, 3. The two 1s collapse; 3 is the last event time and is dropped.
    d = patients([1, 1, 1, 1, 2, 3, 3, 3, 0.5, 4], [1] * 8 + [0, 0])
    assert quantile_cutpoints(d, 4) == (0.0, 1.0)
    # n = 2 -> rank 4 -> 1.0; n = 8 -> ranks 1..7 -> 1, 2, 3 -> (0, 1, 2)
    assert quantile_cutpoints(d, 2) == (0.0, 1.0)
    assert quantile_cutpoints(d, 8) == (0.0, 1.0, 2.0)


def test_all_events_at_one_time_or_at_zero_give_one_interval():
    assert quantile_cutpoints(patients([5.0] * 4 + [7.0], [1, 1, 1, 1, 0]), 3) == (0.0,)
    # events at time 0 are not a cutpoint beyond the origin
    assert quantile_cutpoints(patients([0.0, 0.0, 0.0, 2.0, 4.0], [1] * 5), 5) == (0.0, 2.0)


def test_no_cutpoint_at_or_beyond_the_last_event_time():
    # censorings beyond the last event do not move the cutpoints
    d = patients([1.0, 2.0, 3.0, 10.0, 20.0], [1, 1, 1, 0, 0])
    assert quantile_cutpoints(d, 3) == (0.0, 1.0, 2.0)


def test_ranks_are_exact_where_floating_point_would_step_past_them():
    # 42 events at 1..42, 14 intervals: 9/14 * 42 = 27 exactly, but in floating point
    # 27.000000000000004, which numpy's inverted_cdf rounds up to the 28th
    d = patients(np.arange(1.0, 43.0), [1] * 42)
    cuts = quantile_cutpoints(d, 14)
    assert cuts == (0.0, *(3.0 * j for j in range(1, 14)))
    assert cuts[9] == 27.0 and np.quantile(np.arange(1.0, 43.0), 9 / 14, method="inverted_cdf") == 28.0


def test_two_arms_are_pooled():
    d = patients([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1] * 6, arm=["A", "B", "A", "B", "A", "B"])
    assert quantile_cutpoints(d, 3) == (0.0, 2.0, 4.0)


@pytest.mark.parametrize(
    ("n", "message"),
    [
        (0, r"^quantile_cutpoints: n \(the number of intervals\) must be a whole number >= 1, got 0$"),
        (-2, r"got -2$"),
        (2.0, r"got 2\.0$"),
        ("2", r"got '2'$"),
        (True, r"got True$"),
        (None, r"got None$"),
    ],
)
def test_bad_n_is_refused(rossi, n, message):
    with pytest.raises(bh.DataError, match=message):
        quantile_cutpoints(rossi, n)


def test_numpy_integer_n_is_accepted(rossi):
    assert quantile_cutpoints(rossi, np.int64(2)) == (0.0, 28.0)


def test_fewer_events_than_intervals_is_refused():
    d = patients([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0], arm=["A", "A", "B", "B"])
    with pytest.raises(bh.DataError, match=r"3 intervals need at least 3 events, but the data have 2 "
                                           r"\(\{'A': 1, 'B': 1\}\); ask for at most 2 intervals"):
        quantile_cutpoints(d, 3)
    with pytest.raises(bh.DataError, match="1 intervals need at least 1 events, but the data have 0"):
        quantile_cutpoints(patients([1.0, 2.0], [0, 0]), 1)


def test_life_tables_and_other_inputs_are_refused():
    table = pd.DataFrame({"arm": ["A", "A"], "start": [0.0, 6.0], "end": [6.0, 12.0],
                          "at_risk": [10, 8], "events": [2, 3], "censored": [0, 5]})
    with pytest.raises(bh.DataError, match=r"IntervalData is a life table .* give cutpoints explicitly, "
                                           r"e\.g\. the table's own interval starts \[0\.0, 6\.0\]"):
        quantile_cutpoints(bh.IntervalData.from_frame(table), 2)
    with pytest.raises(bh.DataError, match="needs patient-level SurvivalData .*got DataFrame"):
        quantile_cutpoints(table, 2)


# -- parse_cutpoints --------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [[0, 6, 12], (0.0, 6.5, 12), np.array([0, 6, 12]), [np.int64(0), 6.0]])
def test_lists_of_numbers_are_returned_as_floats_unchanged(spec):
    out = parse_cutpoints(spec)
    assert out == tuple(float(c) for c in spec) and all(type(c) is float for c in out)


def test_quantiles_spec_calls_quantile_cutpoints(rossi):
    assert parse_cutpoints("quantiles:4", rossi) == (0.0, 17.0, 28.0, 42.0)
    assert parse_cutpoints("quantiles:1", rossi) == (0.0,)


@pytest.mark.parametrize(
    "spec", ["quantiles", "quantiles:", "quantile:4", "Quantiles:4", "quantiles: 4", " quantiles:4",
             "quantiles:4.0", "quantiles:-1", "quantiles:four", "0, 6, 12", ""],
)
def test_other_strings_are_spec_errors_naming_the_value_and_forms(rossi, spec):
    with pytest.raises(bh.SpecError, match=rf"^cutpoints: {spec!r} is not a form cutpoints take; "
                                           r"expected a list of interval starts such as \[0, 6, 12\], "
                                           r"or 'quantiles:N' with N a whole number >= 1$"):
        parse_cutpoints(spec, rossi)


def test_quantiles_zero_is_a_spec_error(rossi):
    with pytest.raises(bh.SpecError, match=r"^cutpoints: 'quantiles:0' asks for 0 intervals; expected"):
        parse_cutpoints("quantiles:0", rossi)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (4, r"cutpoints: expected a list of interval starts .*; got 4$"),
        ({"a": 0}, r"cutpoints: expected .*; got \{'a': 0\}$"),
        (None, r"cutpoints: expected .*; got None$"),
        (["0", "6"], r"cutpoints must be a list of numbers; '0', '6' in"),
        ([0, True], r"cutpoints must be a list of numbers; True in"),
        ([6, 12], r"cutpoints must start at 0"),
        ([0, 12, 6], r"cutpoints must be strictly increasing"),
        ([], r"cutpoints must be a non-empty"),
    ],
)
def test_bad_lists_are_spec_errors(spec, message):
    with pytest.raises(bh.SpecError, match=message):
        parse_cutpoints(spec)


def test_quantiles_spec_passes_data_errors_through():
    with pytest.raises(bh.DataError, match="needs patient-level SurvivalData .*got NoneType"):
        parse_cutpoints("quantiles:3")
    with pytest.raises(bh.DataError, match="3 intervals need at least 3 events, but the data have 2"):
        parse_cutpoints("quantiles:3", patients([1.0, 2.0, 3.0], [1, 1, 0]))
