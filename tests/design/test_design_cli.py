"""Design specs: every models/design_*.toml runs; bad specs raise SpecError naming the key."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
import xarray as xr

from bayeshcc.design.cli import load_design_spec, run_simulate_spec
from bayeshcc.errors import SpecError

MODELS = Path(__file__).resolve().parents[2] / "models"
SPECS = sorted(MODELS.glob("design_*.toml"))

MINIMAL = """
[design]
control = "C"
treatment = "T"
n_patients = 100
[design.accrual]
duration = 12
[[design.analyses]]
events = 40
[[design.analyses]]
events = 80
[design.success]
quantity = "hazard_ratio"
direction = "<"
value = 1
prob = 0.975
[scenario]
median = 10
hazard_ratio = 0.7
"""


def test_there_are_design_specs():
    names = {p.name for p in SPECS}
    assert {"design_haic_vs_sorafenib_fixed.toml", "design_haic_delayed_effect.toml"} <= names


def test_delayed_effect_spec_is_a_conjugate_rmst_design():
    design, scenario, sim = load_design_spec(MODELS / "design_haic_delayed_effect.toml")
    assert design.cutpoints == (0.0, 3.0) and scenario.hazard_ratios == (1.0, 0.6)
    assert str(design.success[-1]) == "P(RMST_T(24) - RMST_C(24) > 0 | data) > 0.975"
    assert sim["engine"].name == "conjugate" and sim["engine"].mc_draws == 2000


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_every_design_spec_runs(spec, tmp_path, capsys):
    result = run_simulate_spec(spec, out=tmp_path, n_trials=60, seed=3, progress=False)
    assert result.n_trials == 60
    printed = capsys.readouterr().out
    assert "p_success" in printed and "overall" in printed
    oc = pd.read_csv(tmp_path / "operating_characteristics.csv", index_col=0)
    assert list(oc.index) == ["1", "2", "overall"] or "overall" in oc.index
    with xr.open_dataset(tmp_path / "trials.nc", engine="h5netcdf") as trials:
        assert trials.sizes["trial"] == 60
    assert (tmp_path / "stopping.png").stat().st_size > 1000


def test_minimal_spec_and_defaults(tmp_path):
    path = tmp_path / "design_min.toml"
    path.write_text(MINIMAL)
    design, scenario, sim = load_design_spec(path)
    assert design.n_patients == 100 and design.allocation == (1, 1) and sim == {}
    assert str(design.success[-1]) == "P(HR < 1 | data) > 0.975"
    assert scenario.hazard_ratios == (0.7,)


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("n_patients = 100", "n_patients = 100\nsample_size = 3", "design.sample_size"),
        ("n_patients = 100", 'n_patients = "100"', "design.n_patients"),
        ("n_patients = 100", "n_patients = 100.0", "design.n_patients"),
        ("duration = 12", "duration = 12\nspeed = 1", "design.accrual.speed"),
        ("duration = 12", 'duration = "long"', "design.accrual.duration"),
        ("events = 40", "events = 40\nwhen = 1", r"design.analyses\[0\].when"),
        ("events = 80", "events = 800", r"design.*analyses\[1\].events"),
        ('direction = "<"', 'direction = "below"', "design.success"),
        ("prob = 0.975", "prob = 0.975\nthreshold = 1", "design.success.threshold"),
        ("median = 10", "median = -10", "scenario"),
        ("median = 10", "median = 10\nmedian_t = 20", "scenario.median_t"),
        ("hazard_ratio = 0.7", "hazard_ratio = [0.7, true]", r"scenario.hazard_ratio\[1\]"),
        ("[scenario]", "[simulation]\nn_trial = 3\n[scenario]", "simulation.n_trial"),
    ],
)
def test_bad_specs_name_the_key(tmp_path, old, new, key):
    path = tmp_path / "design_bad.toml"
    assert old in MINIMAL
    path.write_text(MINIMAL.replace(old, new, 1))
    with pytest.raises(SpecError, match=key):
        load_design_spec(path)


def test_not_toml_is_a_spec_error(tmp_path):
    path = tmp_path / "design_broken.toml"
    path.write_text("[design\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_design_spec(path)


@pytest.mark.parametrize(
    ("rule", "printed"),
    [
        (
            'tau = 24\nquantity = "rmst_difference"',
            "P(RMST_T(24) - RMST_C(24) < 0.5 | data) > 0.975",
        ),
        (
            'time = 6.5\nquantity = "survival_difference"',
            "P(S_T(6.5) - S_C(6.5) < 0.5 | data) > 0.975",
        ),
        ('interval = 1\nquantity = "hazard_ratio"', "P(HR[3, inf) < 0.5 | data) > 0.975"),
    ],
)
def test_rule_selectors_in_specs(tmp_path, rule, printed):
    text = MINIMAL.replace('quantity = "hazard_ratio"', rule).replace(
        "[design.accrual]", "cutpoints = [0, 3]\n[design.accrual]"
    )
    text = text.replace('direction = "<"\nvalue = 1', 'direction = "<"\nvalue = 0.5')
    path = tmp_path / "design_sel.toml"
    path.write_text(text + '[simulation]\nengine = "conjugate"\nmc_draws = 100\n')
    design, _, sim = load_design_spec(path)
    assert str(design.success[-1]) == printed
    assert sim["engine"].mc_draws == 100


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("prob = 0.975", 'prob = 0.975\ntau = "long"', "design.success.tau"),
        ("prob = 0.975", "prob = 0.975\ninterval = 0.5", "design.success.interval"),
        (
            "prob = 0.975",
            "prob = 0.975\ntime = 12",
            r"design.success: PosteriorProbability.time: only used with survival_difference",
        ),
        (
            'quantity = "hazard_ratio"',
            'quantity = "rmst_difference"',
            r"design.success: PosteriorProbability.tau: rmst_difference needs tau=",
        ),
        (
            "[scenario]",
            "[simulation]\nmc_draws = 100\n[scenario]",
            "simulation.mc_draws: only used with engine",
        ),
        (
            "[scenario]",
            '[simulation]\nengine = "conjugate"\nmc_draws = 1\n[scenario]',
            "simulation.mc_draws: ConjugateEngine.mc_draws",
        ),
    ],
)
def test_bad_rule_selectors_name_the_key(tmp_path, old, new, key):
    path = tmp_path / "design_bad.toml"
    path.write_text(MINIMAL.replace(old, new, 1))
    with pytest.raises(SpecError, match=key):
        load_design_spec(path)


def test_combined_and_per_look_rules(tmp_path):
    text = MINIMAL.replace(
        "[[design.analyses]]\nevents = 40",
        """[[design.analyses]]
events = 40
success = { all = [ { quantity = "hazard_ratio", direction = "<", value = 1, prob = 0.999 },
                    { quantity = "hazard_ratio", direction = "<", value = 0.8, prob = 0.5 } ] }
futility = { type = "predictive", direction = "<", prob = 0.05, draws = 20 }""",
    )
    path = tmp_path / "design_rules.toml"
    path.write_text(text)
    design, _, _ = load_design_spec(path)
    assert str(design.success[0]) == "P(HR < 1 | data) > 0.999 and P(HR < 0.8 | data) > 0.5"
    assert str(design.futility[0]) == "P(success at final | data) < 0.05"
    assert design.futility[1] is None
    assert str(design.success[1]) == "P(HR < 1 | data) > 0.975"
