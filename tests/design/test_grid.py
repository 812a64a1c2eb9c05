"""Scenario grids and power curves: dims and coords, per-cell seeds, refusals, resume, plots."""

import dataclasses

import numpy as np
import pytest
import xarray as xr

import bayeshcc as bh
import bayeshcc.design.grid as grid_module
from bayeshcc.design.grid import cell_seed
from bayeshcc.design.oc import OC_COLUMNS

DESIGN = bh.TrialDesign(
    control="C", treatment="T", n_patients=120, accrual=bh.Accrual(duration=12),
    analyses=[bh.Analysis(events=40), bh.Analysis(events=80)],
    success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
    futility=bh.PosteriorProbability("hazard_ratio", ">", 1, threshold=0.5),
)
BASE = {"median": 10}
GRID = {"hazard_ratio": [0.6, 1.0], "n_patients": [100, 120]}


@pytest.fixture(scope="module")
def grid() -> xr.Dataset:
    return bh.simulate_grid(DESIGN, grid=GRID, base_scenario=BASE, n_trials=300, seed=5, progress=False)


def test_grid_dims_coords_variables_and_attrs(grid):
    assert grid["p_success"].dims == ("hazard_ratio", "n_patients")
    np.testing.assert_array_equal(grid["hazard_ratio"].values, [0.6, 1.0])
    assert grid["n_patients"].dtype == np.int64
    for name in OC_COLUMNS + ("duration_q50", "duration_q90"):
        assert name in grid and f"{name}_mcse" in grid
    p = grid["p_success"].values
    assert np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(grid["p_success"] + grid["p_futility"] + grid["p_no_success_final"], 1)
    # more patients, same events: the looks come sooner
    assert np.all(grid["expected_duration_months"].sel(n_patients=120)
                  < grid["expected_duration_months"].sel(n_patients=100))
    assert grid.attrs["engine"] == "laplace" and grid.attrs["seed"] == "5"
    assert grid.attrs["n_trials"] == 300 and grid.attrs["design"] == str(DESIGN)


def test_each_cell_is_a_reproducible_simulate_call(grid):
    cell = {"hazard_ratio": 0.6, "n_patients": 100}
    seed = int(grid["cell_seed"].sel(cell))
    assert seed == cell_seed(5, cell) == cell_seed(np.random.SeedSequence(5), {"n_patients": 100.0,
                                                                               "hazard_ratio": 0.6})
    result = bh.simulate(dataclasses.replace(DESIGN, n_patients=100),
                         bh.Scenario.fixed(median=10, hazard_ratio=0.6), n_trials=300, seed=seed,
                         progress=False)
    oc = result.operating_characteristics().loc["overall"]
    for name in OC_COLUMNS:
        assert float(grid[name].sel(cell)) == oc[name] or np.isnan(oc[name])
    q90 = bh.duration_quantiles(result, q=[0.9]).loc[0.9, "duration_months"]
    assert float(grid["duration_q90"].sel(cell)) == q90


def test_adding_a_cell_changes_no_other_cell(grid):
    more = bh.simulate_grid(DESIGN, grid={"hazard_ratio": [0.6, 0.8, 1.0], "n_patients": [100, 120]},
                            base_scenario=bh.Scenario.fixed(median=10), n_trials=300, seed=5,
                            progress=False)
    kept = more.sel(hazard_ratio=[0.6, 1.0])
    for name in grid.data_vars:
        np.testing.assert_array_equal(kept[name].values, grid[name].values, err_msg=name)
    assert len(np.unique(more["cell_seed"].values)) == 6


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"grid": {"hazard_rato": [1.0]}}, r"grid.hazard_rato: unknown grid key; expected .*median.*n_patients"),
        ({"grid": {"median": 9}}, r"grid.median: expected a non-empty list of values, got 9"),
        ({"grid": {"median": []}}, r"grid.median: expected a non-empty list"),
        ({"grid": {"median": [9, 9.0]}}, r"grid.median: values repeat \(9\)"),
        ({"grid": {}}, r"grid: expected a non-empty mapping"),
        ({"grid": {"n_patients": [60, 100]}},
         r"grid cell \(n_patients=60\): TrialDesign.analyses\[1\].events: 80 events cannot be reached"),
        ({"grid": {"hazard_ratio": [0.7, -1]}}, r"grid cell \(hazard_ratio=-1\): Scenario.hazard_ratio"),
        ({"base_scenario": {"medain": 9}}, r"base_scenario.medain: unknown keyword"),
        ({"base_scenario": None}, r"grid cell \(hazard_ratio=0.7\): Scenario: give the control median"),
        ({"seed": np.random.default_rng(1)}, r"seed: a grid needs an integer seed"),
        ({"backend": "nowhere"}, r"backend: expected"),
        ({"n_trials": 0}, r"^n_trials: expected a positive integer, got 0"),
        ({"chunk_size": 2.5}, r"^chunk_size: expected a positive integer, got 2.5"),
    ],
)
def test_bad_grids_are_refused_naming_the_key_or_cell(kwargs, match, monkeypatch):
    monkeypatch.setattr(grid_module, "_run_cell", lambda *a: pytest.fail("a cell ran"))
    args = {"grid": {"hazard_ratio": [0.7]}, "base_scenario": BASE, "n_trials": 100, "seed": 1} | kwargs
    with pytest.raises(bh.SpecError, match=match):
        bh.simulate_grid(DESIGN, progress=False, **args)


def test_directory_keeps_cells_and_reuses_them(tmp_path, grid, monkeypatch):
    first = bh.simulate_grid(DESIGN, grid=GRID, base_scenario=BASE, n_trials=300, seed=5,
                             directory=tmp_path, progress=False)
    xr.testing.assert_identical(first, grid)
    assert len(list(tmp_path.glob("cell-*.json"))) == 4
    ran = []
    real = grid_module._run_cell
    monkeypatch.setattr(grid_module, "_run_cell", lambda *a: ran.append(a[0].n_patients) or real(*a))
    more = bh.simulate_grid(DESIGN, grid={**GRID, "n_patients": [100, 110, 120]}, base_scenario=BASE,
                            n_trials=300, seed=5, directory=tmp_path, progress=False)
    assert ran == [110, 110]  # only the new cells ran
    xr.testing.assert_equal(more.sel(n_patients=[100, 120]), grid)
    with pytest.raises(bh.SpecError, match=r"holds another grid.*differs in seed"):
        bh.simulate_grid(DESIGN, grid=GRID, base_scenario=BASE, n_trials=300, seed=6,
                         directory=tmp_path, progress=False)


def test_warnings_of_a_cell_name_the_cell():
    design = dataclasses.replace(DESIGN, dropout=bh.Dropout(proportion=0.3, by=6),
                                 analyses=[bh.Analysis(events=40), bh.Analysis(events=58)])
    with pytest.warns(UserWarning, match=r"grid cell \(hazard_ratio=0.7\): looks did not happen as planned"):
        bh.simulate_grid(design, grid={"hazard_ratio": [0.7]}, base_scenario=BASE, n_trials=250,
                         seed=1, progress=False)


def test_power_curve_is_a_grid_over_the_hazard_ratio():
    curve = bh.power_curve(DESIGN, bh.Scenario.fixed(median=10), hazard_ratios=[0.5, 1.0],
                           n_trials=500, seed=2, progress=False)
    same = bh.simulate_grid(DESIGN, grid={"hazard_ratio": [0.5, 1.0]},
                            base_scenario=bh.Scenario.fixed(median=10), n_trials=500, seed=2,
                            progress=False)
    xr.testing.assert_identical(curve, same)
    # power at HR 0.5 with 80 events is high; type I error at HR 1 is small (4 MCSE margins)
    p = curve["p_success"]
    assert float(p.sel(hazard_ratio=0.5)) > 0.6
    assert float(p.sel(hazard_ratio=1.0)) < 0.025 + 4 * float(curve["p_success_mcse"].sel(hazard_ratio=1.0))


@pytest.mark.slow
def test_grid_on_processes_equals_in_process(grid):
    again = bh.simulate_grid(DESIGN, grid=GRID, base_scenario=BASE, n_trials=300, seed=5, workers=2,
                             progress=False)
    xr.testing.assert_identical(again, grid)


def test_plots_draw_the_grid_with_error_bars(grid):
    from matplotlib.container import ErrorbarContainer

    from bayeshcc.plots.campaign import plot_grid, plot_grid_heatmap, plot_power_curve

    ax = plot_power_curve(grid.sel(n_patients=120))
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    np.testing.assert_allclose(bars.lines[0].get_ydata(), grid["p_success"].sel(n_patients=120))
    ax = plot_grid(grid, variable="expected_events", x="n_patients")
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 2
    ax = plot_grid_heatmap(grid)
    np.testing.assert_array_equal(ax.images[0].get_array(), grid["p_success"].values)
    assert len(ax.texts) == 4
    with pytest.raises(bh.SpecError, match=r"variable: 'power' is not in the grid"):
        plot_grid(grid, variable="power")
    with pytest.raises(bh.SpecError, match=r"grid: 1 dimensions"):
        plot_grid_heatmap(grid.sel(n_patients=120))
    import matplotlib.pyplot as plt

    plt.close("all")
