"""Every bad input to the data containers is refused with a DataError naming field, rows and values."""

import io

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh


def ipd(**cols):
    base = {"time": [5.0, 7.5, 3.0, 9.0], "event": [1, 0, 1, 0], "arm": ["A", "B", "A", "B"]}
    base.update(cols)
    return pd.DataFrame(base)


def survival(df, **kw):
    return bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", **kw)


def binary(**cols):
    base = {"arm": ["A", "B"], "responders": [3, 1], "n": [10, 12]}
    base.update(cols)
    return pd.DataFrame(base)


def ordinal(**cols):
    base = {"arm": ["A"] * 4, "category": ["CR", "PR", "SD", "PD"], "count": [1, 2, 3, 4]}
    base.update(cols)
    return pd.DataFrame(base)


def ae(**cols):
    base = {"system": ["GI", "GI"], "event": ["Nausea", "Nausea"], "arm": ["A", "B"],
            "grade": ["1-2", "1-2"], "count": [3, 4], "n": [10, 12]}
    base.update(cols)
    return pd.DataFrame(base)


LANDMARKS = pd.DataFrame({"arm": ["A", "A"], "time": [6.0, 12.0], "survival": [0.5, 0.25]})


def from_landmarks(lm=LANDMARKS, **kw):
    args = {"n": {"A": 4}, "events": {"A": 4}, "follow_up": (12.0, 20.0)} | kw
    return bh.IntervalData.from_landmarks(lm, **args)


def medians(estimate, lower=(3.0, 4.0), upper=(7.0, np.nan)):
    return pd.DataFrame({"arm": ["A", "B"], "estimate": estimate, "lower": lower, "upper": upper})


# -- 1. one bad cell: that row and that value only -------------------------------------------
@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("time,event,arm\n5,1,A\n1O,0,B\n3,1,A\n", r"^SurvivalData: column 'time' must be numeric; "
         r"non-numeric value\(s\) '1O' in row 1$"),
        ("time,event,arm\n5,1,A\n2,yes,B\n3,0,A\n", r"column 'event' must be 0/1 or True/False; "
         r"found 'yes' in row 1$"),
    ],
)
def test_one_bad_csv_cell_names_that_row_and_value_only(csv, message):
    with pytest.raises(bh.DataError, match=message):
        survival(pd.read_csv(io.StringIO(csv)))


def test_bad_cell_example_is_the_bad_value_even_with_repeated_index_labels():
    df = ipd(time=[5.0, "x", 3.0, 9.0]).set_axis([0, 0, 1, 2])
    with pytest.raises(bh.DataError, match=r"non-numeric value\(s\) 'x' in row 0$"):
        survival(df)


def test_numbers_stored_as_text_are_refused_not_coerced():
    with pytest.raises(bh.DataError, match=r"'time' must be numeric; it holds numbers stored as text"):
        survival(ipd(time=["5", "7.5", "3", "9"]))
    with pytest.raises(bh.DataError, match=r"'event'.*found '1', '0' in rows 0, 1, 2, 3; these are text"):
        survival(ipd(event=["1", "0", "1", "0"]))


def test_object_column_of_real_numbers_is_accepted():
    d = survival(ipd(time=pd.Series([5, 7.5, 3, 9], dtype=object)))
    assert d.frame["time"].tolist() == [5.0, 7.5, 3.0, 9.0]


def test_bad_count_cell_is_named_alone():
    df = binary(responders=pd.Series([3, "l"], dtype=object))
    with pytest.raises(bh.DataError, match=r"'responders' must be numeric; non-numeric value\(s\) 'l' in row 1$"):
        bh.BinaryData.from_frame(df)


# -- 2. duplicate columns and names ------------------------------------------------------------
def test_duplicate_time_column_is_refused():
    df = pd.concat([ipd(), ipd()[["time"]]], axis=1)
    with pytest.raises(bh.DataError, match=r"duplicate column\(s\) 'time' x2"):
        survival(df)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: bh.BinaryData.from_frame(pd.concat([binary(), binary()[["n"]]], axis=1)), "'n' x2"),
        (lambda: bh.AETable.from_frame(pd.concat([ae(), ae()[["arm"]]], axis=1)), "'arm' x2"),
        (lambda: bh.OrdinalData.from_frame(pd.concat([ordinal(), ordinal()[["count"]]], axis=1)),
         "'count' x2"),
        (lambda: from_landmarks(pd.concat([LANDMARKS, LANDMARKS[["survival"]]], axis=1)),
         "'survival' x2"),
    ],
)
def test_duplicate_columns_refused_everywhere(build, message):
    with pytest.raises(bh.DataError, match=f"duplicate column.*{message}"):
        build()


def test_one_column_for_two_roles_is_refused():
    with pytest.raises(bh.DataError, match="column 'n' is given for both responders= and n="):
        bh.BinaryData.from_frame(binary(), responders="n")
    with pytest.raises(bh.DataError, match="column 'time' is given for both time= and event="):
        bh.SurvivalData.from_frame(ipd(), time="time", event="time")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: bh.OrdinalData.from_frame(ordinal(), categories=["CR", "PR", "PR", "SD", "PD"]),
         r"categories repeats \['PR'\]"),
        (lambda: survival(ipd(), arms=["A", "B", "A"]), r"arms repeats \['A'\]"),
        (lambda: bh.BinaryData.from_frame(binary(arm=["A", "A"])), r"repeats arm\(s\) \['A'\]"),
        (lambda: bh.BinaryData.from_frame(binary(arm=[1, "1"])), r"labels 1, '1' that all read as '1'"),
        (lambda: bh.AETable.from_frame(pd.concat([ae(), ae().iloc[[0]]], ignore_index=True)),
         r"system/event/arm/grade repeated in row 2"),
    ],
)
def test_duplicate_arm_and_category_names_are_refused(build, message):
    with pytest.raises(bh.DataError, match=message):
        build()


# -- 3. a single name is one name ------------------------------------------------------------
def test_single_string_covariate_is_one_name():
    d = survival(ipd(age=[50, 60, 70, 80]), covariates="age")
    assert d.covariates == ("age",)
    assert d.frame["age"].tolist() == [50.0, 60.0, 70.0, 80.0]


def test_single_string_arm_and_responder_names_are_one_name():
    with pytest.raises(bh.DataError, match=r"arm\(s\) \['B'\] not in arms=\['A'\]"):
        survival(ipd(), arms="A")
    o = bh.OrdinalData.from_frame(ordinal())
    assert o.to_binary(responders="CR").responders == {"A": 1}


def test_covariates_that_are_not_names_are_refused():
    with pytest.raises(bh.DataError, match="covariates must be a name or a list of names, got 3"):
        survival(ipd(), covariates=3)


# -- 4. complex values -------------------------------------------------------------------------
def test_complex_times_are_refused():
    with pytest.raises(bh.DataError, match=r"'time' holds complex numbers.*\(1\+1j\) in row 0"):
        survival(ipd(time=[1 + 1j, 7.5, 3.0, 9.0]))


def test_complex_covariate_and_complex_cell_are_refused():
    with pytest.raises(bh.DataError, match="'age' holds complex numbers"):
        survival(ipd(age=[1 + 0j, 2, 3, 4]), covariates=["age"])
    with pytest.raises(bh.DataError, match=r"'n' must be numeric; non-numeric value\(s\) \(2\+0j\) in row 1$"):
        bh.BinaryData.from_frame(binary(n=pd.Series([10, 2 + 0j], dtype=object)))


# -- 5, 6. empty frames and empty arms -----------------------------------------------------
@pytest.mark.parametrize(
    "build",
    [
        lambda: bh.BinaryData.from_frame(binary().iloc[:0]),
        lambda: bh.OrdinalData.from_frame(ordinal().iloc[:0]),
        lambda: bh.AETable.from_frame(ae().iloc[:0]),
        lambda: from_landmarks(LANDMARKS.iloc[:0]),
    ],
)
def test_empty_frames_are_refused(build):
    with pytest.raises(bh.DataError, match="no rows"):
        build()


def test_ae_arm_with_no_patients_is_refused():
    with pytest.raises(bh.DataError, match=r"'n' \(patients in the arm\) must be > 0; arm\(s\) \['B'\] have n = 0 \(row 1\)"):
        bh.AETable.from_frame(ae(count=[3, 0], n=[10, 0]))


# -- 7. landmarks --------------------------------------------------------------------------
def test_landmark_with_missing_arm_label_is_refused():
    lm = pd.DataFrame({"arm": ["A", "A", None], "time": [6.0, 12.0, 6.0], "survival": [0.5, 0.25, 0.5]})
    with pytest.raises(bh.DataError, match=r"column 'arm' has missing arm labels .* row 2;"):
        from_landmarks(lm, n={"A": 4, "nan": 4}, events={"A": 4, "nan": 4})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"events": None}, "events must be a mapping of arm -> number"),
        ({"n": [4]}, r"n must be a mapping of arm -> number .*got \[4\]"),
        ({"rounding": "0.001"}, r"rounding must be a number in \(0, 1\).*got '0.001'"),
        ({"rounding": 0}, r"rounding must be a number in \(0, 1\)"),
        ({"rounding": True}, r"rounding must be a number in \(0, 1\)"),
    ],
)
def test_landmark_arguments_are_checked(kwargs, message):
    with pytest.raises(bh.DataError, match=message):
        from_landmarks(**kwargs)


def test_landmark_counts_keyed_by_numeric_arm_codes():
    lm = LANDMARKS.assign(arm=[1, 1])
    d = from_landmarks(lm, n={1: 4}, events={1: 4})
    assert d.arms == ("1",) and d.n_by_arm == {"1": 4}


# -- 8. a median not reached ---------------------------------------------------------------
@pytest.mark.parametrize("nr", ["NR", "nr", " Not reached ", np.inf])
def test_median_not_reached_is_stored_as_inf(nr):
    s = bh.SurvivalSummary("OS", medians([5.0, nr]))
    assert s.medians["estimate"].tolist() == [5.0, np.inf]
    assert "B median NR" in repr(s)


def test_medians_read_from_csv_with_nr():
    text = "arm,estimate,lower,upper\nA,7.8,5.1,10.2\nB,NR,12.5,NR\n"
    s = bh.SurvivalSummary("OS", pd.read_csv(io.StringIO(text)))
    assert s.medians["estimate"].tolist() == [7.8, np.inf]
    assert s.medians["upper"].tolist() == [10.2, np.inf]


@pytest.mark.parametrize(
    ("estimate", "message"),
    [
        ([5.0, "NE"], r"column 'estimate' must hold times >= 0.*found 'NE' in row 1$"),
        ([5.0, -2.0], r"found -2.0 in row 1$"),
        ([True, 6.0], r"found True in row 0$"),
    ],
)
def test_other_non_numeric_medians_are_refused(estimate, message):
    with pytest.raises(bh.DataError, match=message):
        bh.SurvivalSummary("OS", medians(estimate, lower=(np.nan, np.nan), upper=(np.nan, np.nan)))


def test_non_numeric_hazard_ratio_and_landmark_are_refused():
    hr = pd.DataFrame({"treatment": ["B"], "control": ["A"], "estimate": ["0.5x"], "lower": [0.3],
                       "upper": [0.8], "p_value": [0.01], "model": ["Cox"]})
    with pytest.raises(bh.DataError, match=r"hazard_ratios: column 'estimate' must be numeric.*'0.5x' in row 0"):
        bh.SurvivalSummary("OS", medians([5.0, 6.0]), hazard_ratios=hr)
    lm = pd.DataFrame({"arm": ["A"], "time": [12.0], "survival": ["50%"]})
    with pytest.raises(bh.DataError, match=r"landmarks: column 'survival' must be numeric.*'50%'"):
        bh.SurvivalSummary("OS", medians([5.0, 6.0]), landmarks=lm)


# -- more of the same kinds ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("df", "message"),
    [
        (ipd(arm=["A", np.nan, "A", "B"]), r"column 'arm' has missing arm labels .* row 1;"),
        (ipd(arm=["A", " ", "A", "B"]), r"column 'arm' has missing arm labels .* row 1;"),
        (ipd(time=[5.0, np.inf, 3.0, 9.0]), r"'time' has 1 infinite value\(s\) \(row 1\)"),
        (ipd(time=pd.array([5, None, 3, 9], dtype="Int64")), r"'time' has 1 missing \(NaN\) value\(s\) \(row 1\)"),
        (ipd(event=[1, 0, 2, 0]), r"found 2 in row 2$"),
        (ipd(age=[50, np.inf, 70, 80]), r"'age' has 1 missing or infinite value\(s\) \(row 1\)"),
    ],
)
def test_more_bad_patient_data(df, message):
    cov = ["age"] if "age" in df else []
    with pytest.raises(bh.DataError, match=message):
        survival(df, covariates=cov)


def test_boolean_counts_are_refused():
    with pytest.raises(bh.DataError, match=r"'responders' holds True/False values \(dtype bool\); expected numbers"):
        bh.BinaryData.from_frame(binary(responders=[True, False]))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: bh.OrdinalData.from_frame(ordinal(category=["CR", "PR", None, "PD"]),
                                           categories=["CR", "PR", "None", "PD"]),
         r"column 'category' has missing category labels .* row 2;"),
        (lambda: bh.AETable.from_frame(ae(grade=["1-2", ""])), r"'grade' has missing grade labels .* row 1;"),
        (lambda: bh.OrdinalData.from_frame(ordinal(category=["CR"] * 4), categories="CR"),
         r"at least two ordered categories"),
    ],
)
def test_missing_category_and_grade_labels_are_refused(build, message):
    with pytest.raises(bh.DataError, match=message):
        build()


def test_interval_data_duplicate_arms_argument_is_refused():
    frame = bh.IntervalData.from_landmarks(
        LANDMARKS, n={"A": 4}, events={"A": 4}, follow_up=(12.0, 20.0)
    ).frame
    with pytest.raises(bh.DataError, match=r"arms repeats \['A'\]"):
        bh.IntervalData.from_frame(frame, censor_from="censor_from", censor_to="censor_to",
                                   arms=["A", "A"])


def test_callers_frame_is_not_mutated_when_refused():
    df = ipd(time=[5.0, "1O", 3.0, 9.0])
    before = df.copy()
    with pytest.raises(bh.DataError):
        survival(df)
    pd.testing.assert_frame_equal(df, before)


# -- 9. follow-up window columns: the same rules as the other numeric columns ----------------
def window_table(censor_from, censor_to=(np.nan, np.nan, 18.0)):
    return pd.DataFrame({"arm": ["A"] * 3, "start": [0.0, 6.0, 12.0], "end": [6.0, 12.0, np.inf],
                         "at_risk": [50, 40, 30], "events": [8, 7, 5], "censored": [2, 3, 25],
                         "cf": censor_from, "ct": censor_to})


def intervals(df):
    return bh.IntervalData.from_frame(df, censor_from="cf", censor_to="ct")


@pytest.mark.parametrize(
    ("censor_from", "message"),
    [
        ([np.nan, np.nan, "12"], r"^IntervalData: column 'cf' must be numeric \(NaN where a row has "
         r"no follow-up window\); numbers stored as text in row 2 \(e\.g\. '12'\); convert the column"),
        ([None, None, " 12.0"], r"column 'cf' must be numeric .*; numbers stored as text in row 2 "
         r"\(e\.g\. ' 12\.0'\)"),
        ([np.nan, "", 12.0], r"column 'cf' must be numeric .*; non-numeric value\(s\) in row 1 "
         r"\(e\.g\. ''\)$"),
        ([np.nan, np.nan, "12 months"], r"non-numeric value\(s\) in row 2 \(e\.g\. '12 months'\)$"),
        ([np.nan, np.nan, True], r"column 'cf' must be numeric .*; non-numeric value\(s\) in row 2 "
         r"\(e\.g\. True\)$"),
        (pd.array([None, None, "12"], dtype="string"), r"column 'cf' must be numeric .*; numbers "
         r"stored as text in row 2 \(e\.g\. '12'\)"),
        ([False, False, True], r"column 'cf' holds True/False values \(dtype bool\)"),
        ([np.nan, np.nan, 12 + 0j], r"column 'cf' holds complex numbers"),
        ([np.nan, np.nan, -np.inf], r"column 'cf' must be finite and >= 0 \(NaN where a row has no "
         r"follow-up window\); found -inf in row 2$"),
    ],
)
def test_window_start_text_bool_complex_are_refused_not_converted(censor_from, message):
    with pytest.raises(bh.DataError, match=message):
        intervals(window_table(censor_from))


def test_window_end_text_is_refused_naming_the_column_row_and_value():
    df = window_table([np.nan, np.nan, 12.0], censor_to=pd.Series([None, None, "18"], dtype=object))
    with pytest.raises(bh.DataError, match=r"column 'ct' must be numeric .* in row 2 \(e\.g\. '18'\)"):
        intervals(df)


def test_window_columns_of_numbers_are_accepted_from_csv_and_object_dtype():
    text = "arm,start,end,at_risk,events,censored,cf,ct\nA,0,6,50,8,2,,\nA,6,12,40,7,3,,\n" \
           "A,12,inf,30,5,25,12,18\n"
    d = intervals(pd.read_csv(io.StringIO(text)))
    assert d.frame["censor_from"].tolist()[2] == 12.0
    d = intervals(window_table(pd.Series([None, np.nan, 12], dtype=object)))
    assert d.frame["censor_to"].tolist()[2] == 18.0


@pytest.mark.parametrize(
    ("follow_up", "message"),
    [
        (("12", "20"), r"follow_up must be two numbers \(min, max\) in time units, got \('12', '20'\)"),
        ((12.0, True), r"follow_up must be two numbers .*got \(12\.0, True\)"),
        ((12.0, 20.0, 30.0), r"follow_up must be two numbers"),
        ("12-20", r"follow_up must be two numbers"),
    ],
)
def test_landmark_follow_up_text_is_refused_not_converted(follow_up, message):
    with pytest.raises(bh.DataError, match=message):
        from_landmarks(follow_up=follow_up)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": {"A": 4.0}}, r"n\['A'\] must be a whole number > 0 \(an int\), got 4\.0"),
        ({"n": {"A": 4, "B": 4}}, r"n has key\(s\) \['B'\] that are not arms of the data"),
        ({"events": {"A": 4, "A ": 4}}, r"events has key\(s\) \['A '\] that are not arms"),
    ],
)
def test_landmark_counts_must_be_ints_keyed_by_arms(kwargs, message):
    with pytest.raises(bh.DataError, match=message):
        from_landmarks(**kwargs)


# -- 10. SurvivalSummary n and events --------------------------------------------------------
def summary(**kw):
    return bh.SurvivalSummary("OS", medians([5.0, 6.0]), **kw)


def test_summary_counts_are_kept_as_a_new_dict():
    n = {"A": 55, "B": np.int64(59)}
    s = summary(n=n, events={"A": 44})
    n["A"] = 1
    assert s.n == {"A": 55, "B": 59} and s.events == {"A": 44}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": {"A": -3}}, r"^SurvivalSummary\(OS\): n\['A'\] must be a whole number > 0 \(an int\), got -3$"),
        ({"n": {"A": 0}}, r"n\['A'\] must be a whole number > 0 .*got 0$"),
        ({"n": {"A": 55.5}}, r"n\['A'\] must be a whole number > 0 .*got 55\.5$"),
        ({"n": {"A": 55.0}}, r"n\['A'\] must be a whole number > 0 .*got 55\.0$"),
        ({"n": {"A": np.nan}}, r"n\['A'\] must be a whole number > 0 .*got nan$"),
        ({"n": {"A": np.inf}}, r"n\['A'\] must be a whole number > 0 .*got inf$"),
        ({"n": {"A": "55"}}, r"n\['A'\] must be a whole number > 0 .*got '55'$"),
        ({"n": {"A": True}}, r"n\['A'\] must be a whole number > 0 .*got True$"),
        ({"events": {"B": -1}}, r"events\['B'\] must be a whole number >= 0 \(an int\), got -1$"),
        ({"events": {"B": "all"}}, r"events\['B'\] must be a whole number >= 0 .*got 'all'$"),
        ({"events": {"B": 3.0}}, r"events\['B'\] must be a whole number >= 0 .*got 3\.0$"),
        ({"n": {"A": 10, "B": 12}, "events": {"A": 11}},
         r"events\['A'\] = 11 exceeds n\['A'\] = 10; an arm cannot have more events than patients"),
        ({"n": [55, 59]}, r"n must be a mapping of arm -> whole number .*got \[55, 59\]"),
        ({"events": 44}, r"events must be a mapping of arm -> whole number .*got 44"),
        ({"n": {"C": 5}}, r"n has key 'C', which is not an arm of the summary \(arms: \['A', 'B'\]\)"),
        ({"n": {"A ": 5}}, r"n has key 'A ', which is not an arm of the summary"),
        ({"n": {1: 5, "1": 6}}, None),
    ],
)
def test_summary_n_and_events_are_checked(kwargs, message):
    if message is None:  # two keys that read the same: refused once the medians have arm 1
        df = medians([5.0, 6.0]).assign(arm=[1, 2])
        with pytest.raises(bh.DataError, match=r"n has two keys that read as '1'"):
            bh.SurvivalSummary("OS", df, **kwargs)
        return
    with pytest.raises(bh.DataError, match=message):
        summary(**kwargs)


def test_summary_counts_for_an_arm_named_only_in_the_landmarks_are_accepted():
    lm = pd.DataFrame({"arm": ["C"], "time": [12.0], "survival": [0.5]})
    assert summary(landmarks=lm, n={"C": 20}).n == {"C": 20}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: bh.SurvivalSummary("OS", medians([5.0, 6.0]).assign(arm=["A", "A"])),
         r"medians: \['A'\] repeated in rows 0, 1; expected one median per arm"),
        (lambda: bh.SurvivalSummary("OS", medians([5.0, 6.0]).assign(arm=["A", None])),
         r"medians: column 'arm' has missing arm labels .* row 1;"),
        (lambda: summary(landmarks=pd.DataFrame({"arm": ["A", "A"], "time": [6.0, 6.0],
                                                 "survival": [0.5, 0.4]})),
         r"landmarks: \[\('A', 6\.0\)\] repeated in rows 0, 1; expected one survival value"),
        (lambda: summary(landmarks=pd.DataFrame({"arm": ["A"], "time": [-6.0], "survival": [0.5]})),
         r"landmarks: column 'time' has 1 negative value\(s\) \(row 0\)"),
        (lambda: summary(landmarks=pd.DataFrame({"arm": ["A"], "time": [np.nan], "survival": [0.5]})),
         r"landmarks: column 'time' has 1 missing \(NaN\) value\(s\) \(row 0\)"),
        (lambda: summary(hazard_ratios=hazard_ratio(treatment="A")),
         r"treatment and control are the same arm in row 0"),
        (lambda: summary(hazard_ratios=hazard_ratio(estimate=np.nan)),
         r"hazard_ratios: column 'estimate' must be a finite number > 0; found nan in row 0$"),
    ],
)
def test_summary_tables_refuse_repeated_missing_and_impossible_entries(build, message):
    with pytest.raises(bh.DataError, match=message):
        build()


def hazard_ratio(**cols):
    base = {"treatment": ["B"], "control": ["A"], "estimate": [0.5], "lower": [0.3], "upper": [0.8],
            "p_value": [0.01], "model": ["Cox"]}
    base.update({k: [v] for k, v in cols.items()})
    return pd.DataFrame(base)


# -- 11. one arm spelt two ways (case, surrounding or repeated spaces) ------------------------
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: survival(ipd(arm=["HAIC", "Sorafenib", "HAIC ", "Sorafenib"])),
         r"^SurvivalData: column 'arm' has arm labels 'HAIC' \(row 0\) and 'HAIC ' \(row 2\) that "
         r"differ only in case or spacing; they would be taken as different arms"),
        (lambda: survival(ipd(arm=["haic", "HAIC", "HAIC", "B"])),
         r"arm labels 'haic' \(row 0\) and 'HAIC' \(rows 1, 2\) that differ only in case"),
        (lambda: survival(ipd(arm=["FOLFOX HAIC", "FOLFOX  HAIC", "B", "B"])),
         r"'FOLFOX HAIC' \(row 0\) and 'FOLFOX  HAIC' \(row 1\)"),
        (lambda: survival(ipd(arm=["A", "\u00a0A", "B", "B"])), r"'A' \(row 0\) and '\\xa0A' \(row 1\)"),
        (lambda: bh.IntervalData.from_frame(pd.concat([window_table([np.nan] * 3).iloc[:2],
                                                       window_table([np.nan] * 3).iloc[:2]
                                                       .assign(arm="a ")], ignore_index=True)),
         r"IntervalData: column 'arm' has arm labels 'A' \(rows 0, 1\) and 'a ' \(rows 2, 3\)"),
        (lambda: bh.BinaryData.from_frame(binary(arm=["HAIC", " HAIC"])),
         r"BinaryData: column 'arm' has arm labels 'HAIC' \(row 0\) and ' HAIC' \(row 1\)"),
        (lambda: bh.OrdinalData.from_frame(pd.concat([ordinal(), ordinal(arm=["a"] * 4)],
                                                     ignore_index=True)),
         r"OrdinalData: column 'arm' has arm labels 'A' \(rows 0, 1, 2, 3\) and 'a' \(rows 4, 5, 6, 7\)"),
        (lambda: bh.OrdinalData.from_frame(ordinal(category=["CR", "PR", "SD", "pr"])),
         r"column 'category' has category labels 'PR' \(row 1\) and 'pr' \(row 3\)"),
        (lambda: bh.AETable.from_frame(ae(arm=["A", "A "])),
         r"AETable: column 'arm' has arm labels 'A' \(row 0\) and 'A ' \(row 1\)"),
        (lambda: bh.AETable.from_frame(ae(event=["Nausea", "nausea"])),
         r"AETable: column 'event' has event labels 'Nausea' \(row 0\) and 'nausea' \(row 1\)"),
        (lambda: from_landmarks(pd.DataFrame({"arm": ["A", "A "], "time": [6.0, 12.0],
                                              "survival": [0.5, 0.25]})),
         r"from_landmarks: column 'arm' has arm labels 'A' \(row 0\) and 'A ' \(row 1\)"),
        (lambda: bh.SurvivalSummary("OS", medians([5.0, 6.0]).assign(arm=["HAIC", "haic"])),
         r"medians: column 'arm' has arm labels 'HAIC' \(row 0\) and 'haic' \(row 1\)"),
        (lambda: summary(hazard_ratios=hazard_ratio(treatment="B ")),
         r"SurvivalSummary\(OS\): arm labels 'B' \(in medians\) and 'B ' \(in hazard_ratios "
         r"'treatment'\) differ only in case or spacing"),
        (lambda: summary(landmarks=pd.DataFrame({"arm": ["a"], "time": [6.0], "survival": [0.5]})),
         r"arm labels 'A' \(in medians\) and 'a' \(in landmarks\)"),
    ],
)
def test_one_label_spelt_two_ways_is_refused(build, message):
    with pytest.raises(bh.DataError, match=message):
        build()


def test_labels_that_differ_in_more_than_spelling_are_kept_apart():
    d = survival(ipd(arm=["HAIC", "HAIC-2", "HAIC", "HAIC-2"]))
    assert d.arms == ("HAIC", "HAIC-2")


# -- 12. cutpoints given as text or True/False are refused, not converted ---------------------
@pytest.mark.parametrize(
    ("cutpoints", "message"),
    [
        (["0", "6"], r"cutpoints must be a list of numbers; '0', '6' in \['0', '6'\] are not"),
        ([0, True], r"cutpoints must be a list of numbers; True in \[0, True\] is not"),
        ("0, 6", r"cutpoints must be a list of numbers, got '0, 6'"),
        (np.array(["0", "6"]), r"cutpoints must be a list of numbers; np\.str_\('0'\), np\.str_\('6'\) in "),
    ],
)
def test_text_cutpoints_are_refused(ipd_frame, cutpoints, message):
    d = bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm")
    with pytest.raises(bh.DataError, match=message):
        d.split(cutpoints)
    # the model also takes the text form "quantiles:N"; any other text names both accepted forms
    model_message = r"'0, 6' is not a form cutpoints take; expected a list .* or 'quantiles:N'" \
        if isinstance(cutpoints, str) else r"cutpoints must be a list of numbers; .*'0'|True.* (is|are) not"
    with pytest.raises(bh.SpecError, match=model_message):
        bh.PiecewiseExponential(cutpoints=cutpoints)
