"""AE plots draw what the comparison says (Agg); the safety spec loads and checks before sampling."""

from pathlib import Path

import matplotlib
import numpy as np
import pytest

import bayeshcc as bh
from bayeshcc.plots import figure_name, plot_fit
from bayeshcc.plots.ae import plot_ae_forest, plot_ae_volcano
from bayeshcc.testing import fake_fit

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def comparison():
    table = bh.datasets.load_huang2022().adverse_events
    rng = np.random.default_rng(4)
    post = {"baseline_logit": -1 + 0.05 * rng.standard_normal((2, 200, 38)),
            "log_or": np.linspace(-2, 2, 38) + 0.3 * rng.standard_normal((2, 200, 38))}
    fit = fake_fit(bh.HierarchicalAE(), table, post)
    return fit, fit.compare()


def test_forest_plot_shows_posterior_beside_raw(comparison):
    import matplotlib.pyplot as plt

    _, cmp = comparison
    ax = plot_ae_forest(cmp, grade="any")
    t = cmp.summary().query("quantity == 'ae_risk_difference' and grade == 'any'")
    assert [lab.get_text() for lab in ax.get_yticklabels()] == t["event"].tolist()
    raw = [line for line in ax.get_lines() if line.get_label() == "raw difference"][0]
    np.testing.assert_allclose(raw.get_xdata(), t["observed"])
    systems = [a.get_text() for a in ax.texts]
    assert systems == list(dict.fromkeys(t["system"]))
    plt.close("all")


def test_volcano_labels_the_flagged_events(comparison):
    import matplotlib.pyplot as plt

    _, cmp = comparison
    ax = plot_ae_volcano(cmp, grade="3-4", threshold=0.9)
    t = cmp.summary().query("quantity == 'ae_risk_difference' and grade == '3-4'")
    labelled = {a.get_text() for a in ax.texts}
    assert labelled == set(t.loc[(t["p_higher"] > 0.9) | (t["p_higher"] < 0.1), "event"])
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 1], t["p_higher"])
    with pytest.raises(bh.SpecError, match="grade: '1-2' is not in this comparison"):
        plot_ae_volcano(cmp, grade="1-2")
    plt.close("all")


def test_standard_figure_has_forest_and_volcano_per_band(comparison):
    import matplotlib.pyplot as plt

    fit, cmp = comparison
    fig = plot_fit(fit, cmp, title="AE")
    assert figure_name(fit) == "adverse_events" and len(fig.axes) == 4
    plt.close("all")


def test_safety_spec_loads_table4():
    from bayeshcc.specs.fit import load_fit_spec

    spec = load_fit_spec(ROOT / "models" / "huang2022_safety.toml")
    assert isinstance(spec.model, bh.HierarchicalAE) and spec.model.grades == ("any", "3-4")
    assert isinstance(spec.data[""], bh.AETable)
