"""plot_stopping draws what the OC table says."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bayeshcc.design import Accrual, Analysis, PosteriorProbability, Scenario, TrialDesign, simulate
from bayeshcc.plots.design import plot_stopping


@pytest.fixture(scope="module")
def result():
    design = TrialDesign(
        control="C",
        treatment="T",
        n_patients=100,
        accrual=Accrual(duration=12),
        analyses=[Analysis(events=30), Analysis(events=60), Analysis(events=80)],
        success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.99),
        futility=PosteriorProbability("hazard_ratio", ">", 1, threshold=0.6),
    )
    return simulate(
        design, Scenario.fixed(median=10, hazard_ratio=0.7), n_trials=300, seed=1, progress=False
    )


def test_bars_are_the_stopping_probabilities(result):
    oc = result.operating_characteristics()
    ax = plot_stopping(result)
    bars = [p for p in ax.patches]
    assert len(bars) == 9
    heights = np.array([b.get_height() for b in bars])
    assert heights[:3] == pytest.approx(oc.loc[[1, 2, 3], "p_success"].to_numpy(float))
    assert heights[3:6] == pytest.approx(oc.loc[[1, 2, 3], "p_futility"].to_numpy(float))
    assert heights[6:] == pytest.approx(oc.loc[[1, 2, 3], "p_no_success_final"].to_numpy(float))
    assert heights[8] > 0 and heights[6:8].sum() == 0 and heights[5] == 0  # no futility stop at the final
    bottoms = np.array([b.get_y() for b in bars[3:6]])
    assert bottoms == pytest.approx(heights[:3])
    # looks are labelled with their triggers; the title names the scenario
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1\n30 events", "2\n60 events", "3\n80 events"]
    assert f"{oc.loc['overall', 'p_success']:.3f}" in ax.get_title() and "HR 0.7" in ax.get_title()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["stop for success", "stop for futility", "no success at final"]
    plt.close(ax.figure)


def test_accepts_a_table_and_an_axes(result):
    fig, ax = plt.subplots()
    out = plot_stopping(result.operating_characteristics(), ax=ax, errorbars=False)
    assert out is ax and len(ax.patches) == 9
    plt.close(fig)
