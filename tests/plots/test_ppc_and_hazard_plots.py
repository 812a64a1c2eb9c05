"""PPC plot, hazard and hazard-ratio plots, the at-risk table and the comparison forest plot."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer

import bayeshcc as bh
from bayeshcc.plots.comparison import plot_comparison_forest, plot_hazard, plot_hazard_ratio
from bayeshcc.plots.survival import plot_ppc, plot_survival_fit
from bayeshcc.results.curves import hazard_bands, numbers_at_risk
from bayeshcc.results.ppc import posterior_predictive_check
from bayeshcc.testing import fake_survival_fit


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def huang_os() -> bh.IntervalData:
    return bh.datasets.load_huang2022().os


@pytest.fixture
def ipd(ipd_frame) -> bh.SurvivalData:
    return bh.SurvivalData.from_frame(ipd_frame, time="time", event="event", arm="arm", time_unit="weeks")


def fit_of(data, cutpoints=(0, 6, 12), scale=1.0):
    rng = np.random.default_rng(8)
    h = rng.gamma(100, 0.07 / 100, size=(2, 100, len(data.arms), len(cutpoints))) * scale
    return fake_survival_fit(h, cutpoints=cutpoints, data=data)


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# -- PPC ------------------------------------------------------------------------------------------
def test_ppc_plot_draws_observed_curves_bands_and_the_points_outside(ipd):
    table = posterior_predictive_check(fit_of(ipd, cutpoints=(0, 5, 10), scale=3.0), draws=50)
    ax = plot_ppc(table)
    for arm in ipd.arms:
        sub = table[table["arm"] == arm]
        (obs,) = [ln for ln in ax.get_lines() if ln.get_label() == f"{arm} (observed Kaplan-Meier)"]
        np.testing.assert_allclose(obs.get_ydata(), sub["observed"])
        (band,) = [c for c in ax.collections if c.get_label().startswith(f"{arm} (95% predictive band")]
        share = float(sub["share_outside"].iloc[0])
        assert f"observed outside at {share:.0%} of times" in band.get_label()
        (cross,) = [ln for ln in ax.get_lines() if ln.get_label() == f"{arm} (outside the band)"]
        assert len(cross.get_xdata()) == int(sub["outside"].sum()) > 0
    assert ax.get_xlabel() == "time (weeks)"


def test_ppc_plot_of_a_life_table_shows_rows_with_p_values(huang_os):
    table = posterior_predictive_check(fit_of(huang_os, cutpoints=(0, 6, 12, 18)), prob=0.9, draws=80)
    ax = plot_ppc(table)
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert bars.get_label() == "replicated events (median, 90% interval)"
    np.testing.assert_allclose(bars.lines[0].get_xdata(), table["median"])
    (obs,) = [ln for ln in ax.get_lines() if ln.get_label() == "observed events"]
    np.testing.assert_allclose(obs.get_xdata(), table["observed"])
    assert texts(ax) == [f"p = {p:.2f}" for p in table["p_value"]]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "FOLFOX-HAIC [0, 6) closed" and labels[-1] == "Sorafenib [18, inf) window"  # top down


# -- hazards --------------------------------------------------------------------------------------
def test_hazard_plot_draws_each_arms_steps_and_marks_prior_only_intervals(huang_os):
    fit = fit_of(huang_os, cutpoints=(0, 6, 70))
    ax = plot_hazard(fit, prob=0.8)
    bands = hazard_bands(fit, prob=0.8)
    for arm in huang_os.arms:
        (line,) = [ln for ln in ax.get_lines() if ln.get_label() == f"{arm} (posterior median)"]
        med = bands[bands["arm"] == arm]["median"].to_numpy()
        np.testing.assert_allclose(line.get_ydata(), [*med, med[-1]])
        np.testing.assert_allclose(line.get_xdata(), [0, 6, 70, 134])
    assert f"{huang_os.arms[0]} (80% interval)" in legend_texts(ax)
    assert "no patient at risk (prior only)" in legend_texts(ax)
    assert ax.get_ylabel() == "hazard (events per patient-month)"


def test_hazard_ratio_plot_has_a_reference_line_at_one_and_a_log_axis(huang_os):
    ax = plot_hazard_ratio(fit_of(huang_os), treatment="FOLFOX-HAIC", control="Sorafenib")
    (ref,) = [ln for ln in ax.get_lines() if ln.get_label() == "no difference (HR = 1)"]
    assert ref.get_ydata()[0] == 1.0
    assert ax.get_yscale() == "log"
    assert "FOLFOX-HAIC vs Sorafenib (posterior median)" in legend_texts(ax)


# -- at-risk table --------------------------------------------------------------------------------
def test_survival_plot_prints_numbers_at_risk_at_the_ticks(ipd):
    ax = plot_survival_fit(fit_of(ipd, cutpoints=(0, 5, 10)), at_risk=True)
    ticks = list(ax.get_xticks())
    expected = numbers_at_risk(ipd, ticks)
    t = texts(ax)
    assert t[0] == "Number at risk" and t[1] == "A"
    counts = [int(x) for x in t if x.isdigit()]
    assert counts == expected["at_risk"].tolist()
    assert counts[0] == ipd.n_by_arm["A"]  # everyone at time 0
    assert ax.get_legend().get_bbox_to_anchor() is not None


def test_survival_plot_without_at_risk_prints_no_table(ipd, huang_os):
    assert texts(plot_survival_fit(fit_of(ipd, cutpoints=(0, 5, 10)))) == []
    with pytest.raises(bh.SpecError, match="at_risk=True needs patient-level"):
        plot_survival_fit(fit_of(huang_os), at_risk=True)


# -- forest plot ----------------------------------------------------------------------------------
def test_forest_plot_one_panel_per_contrast_with_its_null_line(huang_os):
    cmp = fit_of(huang_os).compare(treatment="FOLFOX-HAIC", control="Sorafenib", times=[6, 12])
    axes = plot_comparison_forest(cmp, prob=0.9)
    summary = cmp.summary(0.9)
    names = [q for q in dict.fromkeys(summary["quantity"]) if q in bh.quantities.QUANTITIES]
    assert len(axes) == len(names)
    for ax, name in zip(axes, names, strict=True):
        rows = summary[summary["quantity"] == name]
        (ref,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("no difference")]
        assert ref.get_xdata()[0] == bh.quantities.QUANTITIES[name].null
        drawn = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        n_points = sum(len(c.lines[0].get_xdata()) for c in drawn)
        assert n_points + sum("not estimable" in t for t in texts(ax)) == len(rows)
    hr_ax = axes[names.index("hazard_ratio")]
    assert hr_ax.get_xscale() == "log"
    assert [t.get_text() for t in hr_ax.get_yticklabels()] == ["HR [0, 6)", "HR [6, 12)", "HR [12, inf)"]
    (bars,) = [c for c in hr_ax.containers if isinstance(c, ErrorbarContainer)]
    np.testing.assert_allclose(bars.lines[0].get_xdata(),
                               summary[summary["quantity"] == "hazard_ratio"]["median"])


def test_forest_plot_on_given_axes_and_refusals(huang_os):
    cmp = fit_of(huang_os).compare(times=[6, 12])
    _, ax = plt.subplots()
    (out,) = plot_comparison_forest(cmp, ["survival_difference"], ax=ax)
    assert out is ax and [t.get_text() for t in ax.get_yticklabels()] == [
        "S_T - S_C at 6 months", "S_T - S_C at 12 months"]
    with pytest.raises(bh.SpecError, match="not in this comparison"):
        plot_comparison_forest(cmp, ["odds_ratio"])
    with pytest.raises(bh.SpecError, match="1 Axes for 2 quantities"):
        plot_comparison_forest(cmp, ["hazard_ratio", "median"], ax=ax)


def test_forest_plot_marks_rows_without_a_finite_estimate():
    rows = pd.DataFrame({"arm": "A", "start": [0.0], "end": [np.inf], "at_risk": [10], "events": [1],
                         "censored": [9], "censor_from": [5.0], "censor_to": [10.0]})
    table = pd.concat([rows, rows.assign(arm="B")], ignore_index=True)
    data = bh.IntervalData.from_frame(table, censor_from="censor_from", censor_to="censor_to")
    fit = fake_survival_fit(np.full((1, 50, 2, 1), 0.01), cutpoints=[0], data=data)
    cmp = fit.compare(times=[5])
    (ax,) = plot_comparison_forest(cmp, ["median_difference"])
    assert texts(ax) == ["not estimable (median not reached)"]
