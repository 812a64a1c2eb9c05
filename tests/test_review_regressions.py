"""Regression tests for defects found in the independent review of the fitting core."""

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeshcc as bh
from bayeshcc.cli import main
from bayeshcc.diagnostics import diagnose
from bayeshcc.results.comparison import Comparison
from bayeshcc.specs.fit import load_fit_spec


def two_arm_table(last_a, window=None):
    rows = [("A", 0.0, 3.0, 40, 10, 0), ("A", 3.0, *last_a), ("B", 0.0, 3.0, 40, 5, 0), ("B", 3.0, np.inf, 35, 35, 0)]
    df = pd.DataFrame(rows, columns=["arm", "start", "end", "at_risk", "events", "censored"])
    if window is None:
        return bh.IntervalData.from_frame(df)
    df["censor_from"], df["censor_to"] = window
    return bh.IntervalData.from_frame(df, censor_from="censor_from", censor_to="censor_to")


def finite_logp_and_grad(data):
    # one interval: a cutpoint at 3, the table's last finite time, would be refused as prior-only
    model = bh.PiecewiseExponential(cutpoints=[0], effect="per_arm").build_model(data)
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    assert np.all(np.isfinite(model.compile_dlogp()(point)))


def test_open_last_row_where_everyone_died_is_uninformative_not_fatal():
    finite_logp_and_grad(two_arm_table((np.inf, 30, 30, 0)))


def test_zero_width_window_at_row_start():
    w = ([np.nan, 3.0, np.nan, np.nan], [np.nan, 3.0, np.nan, np.nan])
    finite_logp_and_grad(two_arm_table((np.inf, 30, 0, 30), window=w))
    with pytest.raises(bh.DataError, match="leaves no time for events"):
        two_arm_table((np.inf, 30, 5, 25), window=w)


def test_non_numeric_window_is_an_error():
    df = pd.DataFrame({"arm": ["A"], "start": [0.0], "end": [np.inf], "at_risk": [5], "events": [3],
                       "censored": [2], "censor_from": ["1 mo"], "censor_to": [9.0]})
    with pytest.raises(bh.DataError, match=r"'censor_from' must be numeric .*row 0 \(e.g. '1 mo'\)"):
        bh.IntervalData.from_frame(df, censor_from="censor_from", censor_to="censor_to")


def test_tables_start_at_zero_and_arm_order_can_be_given():
    df = pd.DataFrame({"arm": ["B", "A"], "start": [0.0, 0.0], "end": [6.0, 6.0], "at_risk": [10, 10],
                       "events": [2, 3], "censored": [0, 0]})
    assert bh.IntervalData.from_frame(df).arms == ("B", "A")
    assert bh.IntervalData.from_frame(df, arms=["A", "B"]).arms == ("A", "B")
    with pytest.raises(bh.DataError, match="must list exactly the arms"):
        bh.IntervalData.from_frame(df, arms=["A"])
    with pytest.raises(bh.DataError, match="starts at 6.0"):
        bh.IntervalData.from_frame(df.assign(start=6.0, end=9.0))


def test_ambiguous_landmark_counts_are_refused():
    lm = pd.DataFrame({"arm": ["A"], "time": [6.0], "survival": [0.35]})
    with pytest.raises(bh.DataError, match=r"ambiguous: \[52, 53\] of 150"):
        bh.IntervalData.from_landmarks(lm, n={"A": 150}, events={"A": 150}, follow_up=(12, 12), rounding=0.01)


def test_from_survival_ends_at_last_follow_up():
    df = pd.DataFrame({"time": [2.0, 9.0, 4.0], "event": [1, 0, 1], "arm": ["T", "T", "C"]})
    d = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm")
    table = bh.IntervalData.from_survival(d, [0, 3, 6, 10])
    assert table.horizon == {"T": 9.0, "C": 4.0}


@pytest.mark.parametrize("name", ["event", "arm", "time", "age"])
def test_covariates_cannot_shadow_core_columns(ipd_frame, name):
    covs = [name] if name != "age" else ["age", "age"]
    with pytest.raises(bh.DataError, match="covariates"):
        bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm", covariates=covs)


def test_infinite_and_undefined_draws_are_summarised_honestly():
    x = np.array([[-np.inf, -np.inf, 1.0, 2.0, 3.0, np.nan, np.nan, 4.0]])
    cmp = Comparison(draws=xr.Dataset({"median_difference": (("chain", "draw"), x)}), treatment="T", control="C")
    row = cmp.summary(prob=0.5).iloc[0]
    assert row["mean"] == -np.inf
    assert row["eti50_lower"] == -np.inf  # between -inf and 1.0: never a made-up finite bound
    assert row["median"] == 1.5  # of the 6 defined draws
    with pytest.raises(bh.DataError, match=r"undefined in 25.0% of draws"):
        cmp.prob("median_difference", "<", 0)


def test_diagnostics_fail_on_undefined_values():
    rng = np.random.default_rng(0)
    post = xr.Dataset({"moving": (("chain", "draw"), rng.normal(size=(2, 500))),
                       "stuck": (("chain", "draw"), np.ones((2, 500)))})
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((2, 500), bool))})
    diag = diagnose(az.InferenceData(posterior=post, sample_stats=stats))
    assert not diag.ok
    assert any("stuck" in line for line in diag.failed)


@pytest.fixture
def spec_dir(tmp_path):
    pd.DataFrame({"arm": ["A", "A", "B", "B"], "start": [0.0, 6.0, 0.0, 6.0], "end": [6.0, np.inf, 6.0, np.inf],
                  "at_risk": [30, 20, 30, 25], "events": [10, 12, 5, 15], "censored": [0, 8, 0, 10],
                  "censor_from": [np.nan, 12.0, np.nan, 12.0], "censor_to": [np.nan, 24.0, np.nan, 24.0]}
                 ).to_csv(tmp_path / "table.csv", index=False)
    pd.DataFrame({"t": [1.0, 2.0], "d": [1, 0], "g": ["A", "A"]}).to_csv(tmp_path / "single.csv", index=False)
    return tmp_path


def write(dir_, body):
    p = dir_ / "spec.toml"
    p.write_text(body)
    return p


def test_spec_reads_follow_up_windows(spec_dir):
    spec = load_fit_spec(write(spec_dir, '[data]\nfile = "table.csv"\nformat = "intervals"\n[model]\nfamily = "piecewise_exponential"\ncutpoints = [0, 6]\n'))
    data = spec.data[""]
    assert data.frame["censor_to"].max() == 24.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[data]\nfile = "table.csv"\nformat = "intervals"\ntime = "t"\n[model]\nfamily = "piecewise_exponential"\ncutpoints = [0, 6]\n', r"\['time'\] do not apply"),
        ('[data]\nfile = "single.csv"\ntime = "t"\nevent = "d"\narm = "g"\n[model]\nfamily = "piecewise_exponential"\ncutpoints = [0]\neffect = "per_arm"\n[compare]\ntimes = [3]\n', "have one arm .* remove the \\[compare\\] table"),
        ('[data]\nfile = "table.csv"\nformat = "intervals"\n[model]\nfamily = "piecewise_exponential"\ncutpoints = [0, 6]\n[compare]\ntreatment = "B"\ncontrol = "A"\ntimes = [30]\n', "beyond the data horizon 24"),
        ('[data]\nfile = "table.csv"\nformat = "intervals"\n[model]\nfamily = "piecewise_exponential"\ncutpoints = [0, 6]\n[compare]\ntreatment = "B"\ncontrol = "A"\nprob = 1\n', "prob must be strictly between"),
    ],
)
def test_spec_problems_caught_before_sampling(spec_dir, capsys, body, message):
    assert main(["fit", str(write(spec_dir, body))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    import re

    assert re.search(message, err), err


def test_unused_covariates_are_announced(ipd_frame):
    d = bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm", covariates=["age"])
    with pytest.warns(UserWarning, match=r"covariates \['age'\] of the data are not used"):
        bh.PiecewiseExponential(cutpoints=[0, 6]).prepare(d)
