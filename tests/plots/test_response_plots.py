"""Response plots draw what the results say (Agg backend; assertions on the artists)."""

import numpy as np
import pytest

import bayeshcc as bh
from bayeshcc.plots import figure_name, plot_fit


def test_ordinal_plot_stacks_posterior_means(mock_sampler):
    p = np.array([[0.01, 0.04, 0.55, 0.40], [0.05, 0.35, 0.40, 0.20]])
    mock_sampler(lambda model, prepared, chains, draws, rng: {
        "probs": np.broadcast_to(p, (chains, draws, 2, 4)),
        "log_odds_ratio": np.zeros((chains, draws, 1))})
    data = bh.datasets.load_huang2022().ordinal_response["mRECIST"]
    fit = bh.OrdinalResponse().fit(data, draws=4, chains=1, seed=1)
    fig = plot_fit(fit, fit.compare(), title="t")
    ax = fig.axes[0]
    widths = sorted(round(b.get_width(), 6) for b in ax.patches)
    assert widths == sorted(np.round(p.ravel(), 6).tolist())
    assert figure_name(fit) == "best_response"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Sorafenib", "FOLFOX-HAIC"]
    # observed cumulative proportions of FOLFOX-HAIC (3, 19, 22, 11 of 55) are marked
    offsets = np.vstack([c.get_offsets() for c in ax.collections if c.get_offsets().shape[0] == 3])
    assert np.any(np.isclose(offsets[:, 0], 22 / 55))
    import matplotlib.pyplot as plt

    plt.close(fig)


@pytest.mark.parametrize("prior", [bh.Beta(1, 1), bh.robust(bh.Beta(3, 57))])
def test_response_plot_for_exact_fits(prior):
    fit = bh.BinomialResponse(prior=prior).fit(bh.datasets.load_huang2022().response["RECIST"], seed=1, draws=200)
    fig = plot_fit(fit, fit.compare())
    assert len(fig.axes) == 2 and fig.axes[1].get_title().startswith("P(p_T - p_C > 0 | data)")
    import matplotlib.pyplot as plt

    plt.close(fig)
