"""The survival plot: pointwise bands, cutpoints, extrapolation span, landmarks with binomial CIs."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeshcc as bh
from bayeshcc.plots.survival import (
    EXTRAPOLATION_LABEL,
    landmark_intervals,
    plot_survival_bands,
    plot_survival_fit,
)
from bayeshcc.testing import fake_survival_fit


@pytest.fixture
def huang_os() -> bh.IntervalData:
    return bh.datasets.load("huang2022").os


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def survival_fit(data, cutpoints=(0, 6, 12)):
    """A fake fit with fixed gamma hazard draws, one interval per cutpoint."""
    rng = np.random.default_rng(20260101)
    h = rng.gamma(50, 0.08 / 50, size=(2, 100, len(data.arms), len(cutpoints)))
    return fake_survival_fit(h, cutpoints=cutpoints, data=data)


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def extrapolation_span(ax):
    spans = [p for p in ax.patches if p.get_label() == EXTRAPOLATION_LABEL]
    assert len(spans) <= 1
    if not spans:
        return None
    p = spans[0]
    if hasattr(p, "get_width"):  # Rectangle (matplotlib >= 3.9)
        return p.get_x(), p.get_x() + p.get_width()
    xs = p.get_xy()[:, 0]  # Polygon (older matplotlib)
    return xs.min(), xs.max()


def cutpoint_lines(ax) -> list[float]:
    return sorted(line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() == ":")


# -- the interval calculation ---------------------------------------------------------------------
@pytest.mark.parametrize("prob", [0.95, 0.8])
def test_landmark_intervals_are_clopper_pearson_from_scipy(huang_os, prob):
    lm = landmark_intervals(huang_os, prob=prob)
    assert len(lm) == 6 and (lm["prob"] == prob).all()
    assert lm["n"].tolist() == [55] * 3 + [59] * 3
    assert lm["alive"].tolist() == [51, 34, 23, 42, 15, 6]  # published 92.7/61.8/41.8, 71.2/25.4/10.2%
    pd.testing.assert_frame_equal(lm[["arm", "time", "survival"]], huang_os.life_table())
    for r in lm.itertuples():
        ci = stats.binomtest(r.alive, r.n).proportion_ci(confidence_level=prob, method="exact")
        np.testing.assert_allclose([r.lower, r.upper], [ci.low, ci.high], rtol=1e-10)


def test_landmark_intervals_at_zero_and_all_alive():
    table = pd.DataFrame({"arm": "A", "start": [0.0, 6.0], "end": [6.0, 12.0], "at_risk": [10, 10],
                          "events": [0, 10], "censored": [0, 0]})
    lm = landmark_intervals(bh.IntervalData.from_frame(table), prob=0.9)
    # k = n: (0.05^(1/n), 1); k = 0: (0, 1 - 0.05^(1/n))
    np.testing.assert_allclose(lm["lower"], [0.05 ** (1 / 10), 0.0])
    np.testing.assert_allclose(lm["upper"], [1.0, 1 - 0.05 ** (1 / 10)])
    assert lm["survival"].tolist() == [1.0, 0.0]


def test_landmarks_after_censoring_are_not_binomial():
    table = pd.DataFrame({"arm": "A", "start": [0.0, 6.0, 12.0], "end": [6.0, 12.0, 18.0],
                          "at_risk": [20, 15, 8], "events": [5, 4, 3], "censored": [0, 3, 0]})
    lm = landmark_intervals(bh.IntervalData.from_frame(table))
    assert lm["time"].tolist() == [6.0] and lm["alive"].tolist() == [15]


def test_landmark_intervals_refuse_a_bad_mass(huang_os):
    with pytest.raises(bh.SpecError, match="prob must be strictly between 0 and 1"):
        landmark_intervals(huang_os, prob=95)


# -- what is drawn --------------------------------------------------------------------------------
def test_life_table_fit_draws_landmarks_with_their_binomial_intervals(huang_os):
    fit = survival_fit(huang_os)
    ax = plot_survival_fit(fit, prob=0.9)
    lm = landmark_intervals(huang_os, prob=0.9)
    bars = [c for c in ax.containers if isinstance(c, plt.matplotlib.container.ErrorbarContainer)]
    assert len(bars) == 2
    for arm, bar in zip(huang_os.arms, bars, strict=True):
        expected = lm[lm["arm"] == arm]
        assert bar.get_label() == f"{arm} (published landmark, 90% Clopper-Pearson binomial CI)"
        data_line, _, (segments,) = bar.lines
        np.testing.assert_allclose(data_line.get_ydata(), expected["survival"])
        seg = np.array(segments.get_segments())  # (landmark, [low end, high end], [x, y])
        np.testing.assert_allclose(seg[:, 0, 0], expected["time"])
        np.testing.assert_allclose(seg[:, 0, 1], expected["lower"])
        np.testing.assert_allclose(seg[:, 1, 1], expected["upper"])
    texts = legend_texts(ax)
    assert "FOLFOX-HAIC (90% pointwise band)" in texts
    assert "pointwise, not simultaneous" in ax.get_legend().get_title().get_text()
    assert not any("life-table estimate" in t for t in texts)  # every point is an exact landmark
    assert ax.get_xlabel() == "time (months)"


def test_cutpoints_are_marked_once_in_the_legend(huang_os):
    ax = plot_survival_fit(survival_fit(huang_os))
    assert cutpoint_lines(ax) == [6.0, 12.0]  # not at 0
    assert legend_texts(ax).count("cutpoints") == 1


def test_the_stretch_beyond_the_horizon_is_shaded(huang_os):
    horizon = min(huang_os.horizon.values())
    ax = plot_survival_fit(survival_fit(huang_os), times=np.linspace(0, 80, 81))
    x0, x1 = extrapolation_span(ax)
    assert x0 == pytest.approx(horizon) and x1 == pytest.approx(80)
    assert EXTRAPOLATION_LABEL in legend_texts(ax)


def test_no_span_when_the_bands_stay_within_the_data(huang_os):
    ax = plot_survival_fit(survival_fit(huang_os))
    assert extrapolation_span(ax) is None
    assert EXTRAPOLATION_LABEL not in legend_texts(ax)


def test_patient_level_fit_shows_kaplan_meier_in_the_data_unit(ipd_frame):
    data = bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm",
                                      time_unit="weeks")
    ax = plot_survival_fit(survival_fit(data, cutpoints=(0, 5, 10)), times=np.linspace(0, 40, 41))
    assert ax.get_xlabel() == "time (weeks)"
    assert not ax.containers  # no landmarks
    assert {"A (Kaplan-Meier)", "B (Kaplan-Meier)"} <= set(legend_texts(ax))
    assert cutpoint_lines(ax) == [5.0, 10.0]
    x0, x1 = extrapolation_span(ax)
    assert x0 == pytest.approx(min(data.horizon.values())) and x1 == pytest.approx(40)


def test_censored_life_table_rows_are_plain_estimates():
    table = pd.DataFrame({"arm": "A", "start": [0.0, 6.0, 12.0], "end": [6.0, 12.0, 18.0],
                          "at_risk": [20, 15, 8], "events": [5, 4, 3], "censored": [0, 3, 0]})
    data = bh.IntervalData.from_frame(table)
    ax = plot_survival_fit(survival_fit(data))
    (bar,) = ax.containers
    np.testing.assert_allclose(bar.lines[0].get_xdata(), [6.0])
    (plain,) = [ln for ln in ax.get_lines() if ln.get_label() == "A (life-table estimate)"]
    np.testing.assert_allclose(plain.get_xdata(), [12.0, 18.0])
    np.testing.assert_allclose(plain.get_ydata(), data.life_table()["survival"].to_numpy()[1:])


def test_bands_without_a_unit_do_not_assume_months():
    bands = pd.DataFrame({"arm": "A", "time": [0.0, 1.0], "median": [1.0, 0.9], "lower": [1.0, 0.8],
                          "upper": [1.0, 0.95], "prob": 0.95})
    ax = plot_survival_bands(bands)
    assert ax.get_xlabel() == "time (time units)"
    assert extrapolation_span(ax) is None and cutpoint_lines(ax) == []
    assert plot_survival_bands(bands, time_unit="days").get_xlabel() == "time (days)"
