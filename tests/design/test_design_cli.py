"""Design specs: every models/design_*.toml runs; bad specs raise SpecError naming the key; the
``bayeshcc simulate`` command maps unreadable specs to one line and exit status 2."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
import xarray as xr

from bayeshcc.cli import main
from bayeshcc.errors import SpecError
from bayeshcc.jobs.simulate import run_simulate
from bayeshcc.models import PiecewiseExponential
from bayeshcc.specs.design import load_design_spec

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
threshold = 0.975
[scenario]
median = 10
hazard_ratio = 0.7
"""


def test_there_are_design_specs():
    names = {p.name for p in SPECS}
    assert {"design_haic_vs_sorafenib_fixed.toml", "design_haic_delayed_effect.toml"} <= names


def test_delayed_effect_spec_is_a_conjugate_rmst_design():
    design, scenario, sim = load_design_spec(MODELS / "design_haic_delayed_effect.toml")
    # the default prior (the conjugate engine's Gamma(1/2, 1/(2r))), vague on the log-HR scale
    assert design.analysis == PiecewiseExponential(cutpoints=[0, 3], effect="per_arm")
    assert design.analysis.baseline_prior is None
    assert scenario.hazard_ratios == (1.0, 0.6)
    assert str(design.success[-1]) == "P(RMST_T(24) - RMST_C(24) > 0 | data) > 0.975"
    assert sim["engine"].name == "conjugate" and sim["engine"].mc_draws == 2000


def test_laplace_specs_keep_the_old_vague_priors():
    from bayeshcc.models import LogNormal, Normal

    for name in ("design_haic_vs_sorafenib_fixed.toml", "design_haic_vs_sorafenib_null.toml"):
        design, _, sim = load_design_spec(MODELS / name)
        assert sim["engine"] == "laplace"
        assert design.analysis == PiecewiseExponential(
            cutpoints=[0], baseline_prior=LogNormal(-3.0, 10.0), log_hr_prior=Normal(0.0, 10.0)
        )


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_every_design_spec_runs(spec, tmp_path, capsys):
    job = run_simulate(spec, out=tmp_path, n_trials=60, seed=3, progress=False)
    assert all(r.n_trials == 60 for r in job.results.values())
    assert capsys.readouterr() == ("", "")  # library code does not print
    printed = repr(job)
    assert "p_success" in printed and "overall" in printed
    oc = pd.read_csv(tmp_path / "operating_characteristics.csv", keep_default_na=False)
    assert set(oc["scenario"]) == set(job.results) and set(oc["analysis"].astype(str)) >= {"1", "overall"}
    assert (oc["n_trials"] == 60).all() and (oc["seed"].astype(str) == "3").all()
    single = len(job.results) == 1
    for name in job.results:
        suffix = "" if single else f"_{name}"
        with xr.open_dataset(tmp_path / f"trials{suffix}.nc", engine="h5netcdf") as trials:
            assert trials.sizes["trial"] == 60
        assert (tmp_path / f"stopping{suffix}.png").stat().st_size > 1000
    for table in ("stopping.csv", "duration.csv"):
        assert set(pd.read_csv(tmp_path / table, keep_default_na=False)["scenario"]) == set(job.results)


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
        ("threshold = 0.975", "threshold = 0.975\nprob = 1", "design.success.prob"),
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
        "[design.accrual]",
        '[design.analysis]\nfamily = "piecewise_exponential"\ncutpoints = [0, 3]\n'
        'effect = "per_arm"\nbaseline_prior = { dist = "gamma", alpha = 0.001, beta = 0.001 }\n'
        "[design.accrual]",
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
        ("threshold = 0.975", 'threshold = 0.975\ntau = "long"', "design.success.tau"),
        ("threshold = 0.975", "threshold = 0.975\ninterval = 0.5", "design.success.interval"),
        (
            "threshold = 0.975",
            "threshold = 0.975\ntime = 12",
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
success = { all = [ { quantity = "hazard_ratio", direction = "<", value = 1, threshold = 0.999 },
                    { quantity = "hazard_ratio", direction = "<", value = 0.8, threshold = 0.5 } ] }
futility = { type = "predictive", direction = "<", threshold = 0.05, draws = 20 }""",
    )
    path = tmp_path / "design_rules.toml"
    path.write_text(text)
    design, _, _ = load_design_spec(path)
    assert str(design.success[0]) == "P(HR < 1 | data) > 0.999 and P(HR < 0.8 | data) > 0.5"
    assert str(design.futility[0]) == "P(success at final | data) < 0.05"
    assert design.futility[1] is None
    assert str(design.success[1]) == "P(HR < 1 | data) > 0.975"


ANALYSIS = '[design.analysis]\nfamily = "piecewise_exponential"\ncutpoints = [0, 3]\n'


@pytest.mark.parametrize(
    ("analysis", "simulation", "key"),
    [
        (ANALYSIS + "shape = 2\n", "", r"design\.analysis\.shape.*baseline_prior"),
        ('[design.analysis]\nfamily = "cox"\n', "", r"design\.analysis\.family"),
        ('[design.analysis]\ncutpoints = [0]\n', "", r"design\.analysis\.family"),
        (ANALYSIS + 'baseline_prior = { dist = "gamma", alpha = -1 }\n', "", r"design\.analysis\.baseline_prior"),
        (ANALYSIS + 'effect = "per_arm"\nbaseline_prior = { dist = "gamma", alpha = 1, beta = 1 }\n'
         'log_hr_prior = { dist = "normal", mu = 0, sigma = 1 }\n', "", r"design.*analysis\.log_hr_prior"),
        ('[design.analysis]\nfamily = "binomial_response"\nprior = { dist = "beta", alpha = 1, beta = 1 }\n',
         "", r"design: TrialDesign\.analyses\[0\]\.events: the response endpoint has no events"),
        (ANALYSIS + 'control = "T"\n', "", r"design.*analysis\.control"),
        # The engine is checked against the analysis model when the spec is read.
        (ANALYSIS, '[simulation]\nengine = "conjugate"\n', r"simulation\.engine: TrialDesign\.analysis\.effect"),
        (ANALYSIS + 'effect = "per_arm"\nbaseline_prior = { dist = "gamma", alpha = 1, beta = 1 }\n',
         "", r"simulation\.engine: TrialDesign\.analysis\.effect: the laplace engine"),
    ],
)
def test_bad_analysis_tables_name_the_key(tmp_path, analysis, simulation, key):
    path = tmp_path / "design_bad.toml"
    path.write_text(MINIMAL.replace("[design.accrual]", analysis + "[design.accrual]") + simulation)
    with pytest.raises(SpecError, match=key):
        load_design_spec(path)


def test_a_response_spec(tmp_path):
    text = """
[design]
control = "C"
treatment = "T"
n_patients = 60
[design.analysis]
family = "binomial_response"
prior = { dist = "beta", alpha = 0.5, beta = 0.5 }
[design.accrual]
duration = 12
[[design.analyses]]
patients = 60
min_follow_up = 2
[design.success]
quantity = "risk_difference"
direction = ">"
value = 0
threshold = 0.9
[scenario]
response_rates = { control = 0.2, treatment = 0.4 }
[simulation]
engine = "conjugate"
n_trials = 40
"""
    path = tmp_path / "design_response.toml"
    path.write_text(text)
    result = run_simulate(path, progress=False).result
    assert result.n_trials == 40 and str(result.design.endpoint) == "response"
    assert str(result.design.success[0]) == "P(p_T - p_C > 0 | data) > 0.9"


def test_the_simulate_command_prints_the_result_and_writes_files(tmp_path, capsys):
    spec = MODELS / "design_haic_vs_sorafenib_null.toml"
    code = main(["simulate", str(spec), "--out", str(tmp_path), "--n-trials", "30", "--seed", "2",
                 "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "30 trials, engine 'laplace', seed 2" in out and "p_success" in out
    assert {p.name for p in tmp_path.iterdir()} == {
        "operating_characteristics.csv", "stopping.csv", "duration.csv", "trials.nc", "stopping.png", "campaign"
    }


def _unreadable(tmp_path: Path, kind: str) -> Path:
    if kind == "missing":
        return Path("no/such.toml")
    if kind == "directory":
        return tmp_path
    path = tmp_path / f"{kind}.toml"
    if kind == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    else:  # not UTF-8: Latin-1 text
        path.write_bytes('title = "Sorafenib \xe9tude"\n'.encode("latin-1"))
    return path


@pytest.mark.parametrize("kind", ["missing", "directory", "binary", "non_utf8"])
def test_simulate_command_on_an_unreadable_spec_is_one_line_and_exit_2(tmp_path, capsys, kind):
    code = main(["simulate", str(_unreadable(tmp_path, kind)), "--no-progress"])
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: SpecError")
    assert "Traceback" not in err
