"""Planning specs: lists of scenarios, design priors, [calibrate] / [search] / [grid] / [logrank], --set."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from bayeshcc.cli import main
from bayeshcc.design import LogRank, Scenario
from bayeshcc.errors import SpecError
from bayeshcc.jobs.simulate import run_simulate
from bayeshcc.specs.plan import FitScenario, load_plan, logrank_design

MODELS = Path(__file__).resolve().parents[2] / "models"

HEAD = """
[design]
control = "C"
treatment = "T"
n_patients = 200
[design.accrual]
rate = [20.0]
[[design.analyses]]
events = 60
[[design.analyses]]
events = 120
[design.success]
quantity = "hazard_ratio"
direction = "<"
value = 1.0
threshold = 0.975
[simulation]
n_trials = 300
seed = 5
"""

SCENARIOS = """
[[scenarios]]
name = "null"
median = 10.0
hazard_ratio = 1.0
[[scenarios]]
name = "alt"
median = 10.0
hazard_ratio = 0.7
[[scenarios]]
name = "prior"
median = 10.0
log_hr = { dist = "normal", mu = -0.3, sigma = 0.2 }
draws = 2000
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "design_plan.toml"
    path.write_text(HEAD + text)
    return path


def test_scenario_kinds_are_read_in_order_without_fitting_anything(tmp_path):
    fit_scenario = """
[[scenarios]]
name = "from_study"
from_fit = "{}"
arms = {{ control = "Sorafenib", treatment = "FOLFOX-HAIC" }}
discount = {{ method = "power", a0 = 0.5 }}
""".format((MODELS / "huang2022_os.toml").as_posix())
    plan = load_plan(_write(tmp_path, SCENARIOS + fit_scenario))
    assert list(plan.scenarios) == ["null", "alt", "prior", "from_study"]
    assert plan.scenarios["alt"].hazard_ratios == (0.7,) and plan.scenarios["alt"].prior is None
    assert plan.scenarios["prior"].prior is not None
    s = plan.scenarios["from_study"]
    assert isinstance(s, FitScenario) and s.discount.a0 == 0.5 and s.arms == {"control": "Sorafenib", "treatment": "FOLFOX-HAIC"}


def test_set_overrides_every_scenario_or_a_named_one(tmp_path):
    path = _write(tmp_path, SCENARIOS)
    plan = load_plan(path, sets=["scenarios.alt.hazard_ratio=0.6", "design.n_patients=240"])
    assert plan.scenarios["alt"].hazard_ratios == (0.6,) and plan.design.n_patients == 240
    plan = load_plan(path, sets=["scenario.median=12"])
    assert all(np.isclose(s.control_hazards[0], np.log(2) / 12) for s in plan.scenarios.values())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[scenario]\nmedian = 10.0\n[[scenarios]]\nname = "a"\nmedian = 10.0\n', "not both"),
        ('[[scenarios]]\nmedian = 10.0\n', r"scenarios\[0\].name"),
        ('[[scenarios]]\nname = "a b"\nmedian = 10.0\n', r"scenarios\[0\].name"),
        ('[[scenarios]]\nname = "a"\nmedian = 10.0\n[[scenarios]]\nname = "a"\nmedian = 9.0\n', "used twice"),
        ('[[scenarios]]\nname = "a"\nmedian = 10.0\nlog_hr = { dist = "normal", mu = 0, sigma = 1 }\nhazard_ratio = 0.7\n',
         r"scenarios\[0\].hazard_ratio"),
        ('[[scenarios]]\nname = "a"\nmedian = 10.0\nlog_hr = { dist = "nope" }\n', r"scenarios\[0\].log_hr"),
        ('[[scenarios]]\nname = "a"\nfrom_fit = "huang2022_os.toml"\n', r"scenarios\[0\].discount"),
        ('[[scenarios]]\nname = "a"\nfrom_fit = "no_such.toml"\ndiscount = { method = "power", a0 = 0.5 }\n',
         r"scenarios\[0\].from_fit"),
        ('[[scenarios]]\nname = "a"\nfrom_fit = "{}"\ndiscount = {{ method = "power", a0 = 1.5 }}\n'.format((MODELS / "huang2022_os.toml").as_posix()), r"scenarios\[0\].discount.a0"),
        ('[[scenarios]]\nname = "a"\nfrom_fit = "{}"\ndiscount = {{ method = "power", a0 = 0.5 }}\n'.format((MODELS / "huang2022_response.toml").as_posix()), r"scenarios\[0\].run"),
        (SCENARIOS + "[calibrate]\nnull_scenario = \"nope\"\n", "calibrate.null_scenario"),
        (SCENARIOS + "[calibrate]\nnull_scenario = \"prior\"\n", "calibrate.null_scenario"),
        (SCENARIOS + "[calibrate]\nalpha = 0.025\n", "calibrate.null_scenario"),
        (SCENARIOS + "[search]\nlower = 50\nupper = 150\ntarget = [\"power\"]\nscenario = \"alt\"\n", "search.target"),
        (SCENARIOS + "[search]\nlower = 50\nupper = 150\nscenario = \"nope\"\n", "search.scenario"),
        (SCENARIOS + "[grid]\nscenario = \"prior\"\nhazard_ratio = [0.7, 1.0]\n", "grid.scenario"),
        (SCENARIOS + "[grid]\nscenario = \"alt\"\nhazard_ratio = 0.7\n", "grid.hazard_ratio"),
        (SCENARIOS + "[logrank]\nalpha = 0.7\n", "logrank"),
        (SCENARIOS + "[logrank]\nalfa = 0.025\n", "logrank.alfa"),
    ],
)
def test_bad_planning_specs_name_the_key(tmp_path, text, message):
    with pytest.raises(SpecError, match=message):
        load_plan(_write(tmp_path, text))


def test_logrank_design_keeps_looks_and_drops_only_predictive_futility(tmp_path):
    text = SCENARIOS + '[logrank]\nalpha = 0.025\nspending = "obrien_fleming"\n'
    text = text.replace("[[scenarios]]", '[design.futility]\ntype = "predictive"\ndirection = "<"\nthreshold = 0.1\n\n[[scenarios]]', 1)
    plan = load_plan(_write(tmp_path, text))
    lr = logrank_design(plan)
    assert all(isinstance(r, LogRank) for r in lr.success) and lr.analyses == plan.design.analyses
    assert plan.design.futility[0] is not None and lr.futility[0] is None


def test_the_job_runs_every_section_and_writes_its_tables(tmp_path):
    text = SCENARIOS + """
[calibrate]
null_scenario = "null"
n_trials = 2000
[logrank]
alpha = 0.025
[search]
scenario = "alt"
lower = 60
upper = 160
n_trials = 300
grid = 3
rounds = 1
[grid]
scenario = "alt"
hazard_ratio = [0.7, 1.0]
n_trials = 200
"""
    out = tmp_path / "out"
    job = run_simulate(_write(tmp_path, text), out=out, progress=False)
    assert set(job.results) == set(job.logrank) == {"null", "alt", "prior"} and set(job.at_median) == {"prior"}
    # the calibrated thresholds replace the spec's in the simulated design
    assert [r.threshold for r in job.design.success] == pytest.approx(job.calibration.thresholds)
    oc = pd.read_csv(out / "operating_characteristics.csv", keep_default_na=False)
    assert set(zip(oc["scenario"], oc["method"], strict=True)) == {(s, m) for s in job.results for m in ("bayesian", "log_rank")}
    a = pd.read_csv(out / "assurance.csv")
    assert {"assurance", "power_at_median_truth", "prior_prob_benefit"} <= set(a["quantity"])
    assert (a["design_prior"].str.contains("log HR|log_hr|hazard", regex=True)).all()
    assert pd.read_csv(out / "sample_size.csv")["size"].between(60, 160).all()
    assert len(pd.read_csv(out / "calibration.csv")) == 2
    with xr.open_dataset(out / "grid.nc", engine="h5netcdf") as grid:
        assert dict(grid.sizes) == {"hazard_ratio": 2}
    for name in ("sample_size.png", "critical_hr.png", "grid.png", "stopping_prior.png"):
        assert (out / name).stat().st_size > 1000


def test_cli_set_resume_and_refusals(tmp_path, capsys):
    spec = str(MODELS / "design_haic_vs_sorafenib_null.toml")
    out = str(tmp_path / "out")
    args = ["simulate", spec, "--out", out, "--n-trials", "500", "--seed", "4", "--no-progress"]
    assert main([*args, "--set", "scenario.hazard_ratio=0.7"]) == 0
    first = capsys.readouterr().out
    assert "HR 0.7" in first
    oc = pd.read_csv(Path(out) / "operating_characteristics.csv")
    # the same run again into the same folder: refused without --resume, identical with it
    assert main([*args, "--set", "scenario.hazard_ratio=0.7"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*args, "--set", "scenario.hazard_ratio=0.7", "--resume"]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(pd.read_csv(Path(out) / "operating_characteristics.csv"), oc)
    # a different campaign in that folder is refused, on one line
    assert main([*args, "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: SpecError") and len(err.strip().splitlines()) == 1
    assert main(["simulate", spec, "--resume", "--no-progress"]) == 2
    assert main(["simulate", spec, "--set", "design.n_patients", "--no-progress"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err


def test_a_fit_scenario_builds_a_design_prior_from_the_fitted_study(tmp_path, mock_sampler):
    text = """
[[scenarios]]
name = "from_study"
from_fit = "{}"
arms = {{ control = "Sorafenib", treatment = "FOLFOX-HAIC" }}
discount = {{ method = "mixture", weight = 0.5 }}
""".format((MODELS / "huang2022_os.toml").as_posix())
    def posterior(model, prepared, chains, draws, rng):
        base, log_hr = rng.gamma(50, 0.1 / 50, (chains, draws, 4)), rng.normal(-1.0, 0.2, (chains, draws))
        sign = np.array([-0.5, 0.5])[:, None]  # arm order of the data does not matter here
        hazard = base[:, :, None, :] * np.exp(sign * log_hr[:, :, None, None])
        return {"baseline_hazard": base, "log_hr": log_hr, "hazard": hazard}

    fake = mock_sampler(posterior)
    job = run_simulate(_write(tmp_path, text), progress=False)
    assert len(fake.calls) == 1  # the study is fitted once, with its own spec
    s = job.scenarios["from_study"]
    assert isinstance(s, Scenario) and s.prior is not None and "robust mixture" in str(s)
    assert "assurance" in repr(job).lower()


def test_scenario_key_skips_design_priors_and_the_issue_example_loads(tmp_path):
    plan = load_plan(MODELS / "design_haic_vs_sorafenib.toml", sets=["scenario.hazard_ratio=1.0"])
    assert plan.scenarios["alternative"].hazard_ratios == (1.0,)
    assert isinstance(plan.scenarios["design_prior"], FitScenario)
    # a hand-written prior keeps drawing the hazard ratio; its control median is set like the others'
    plan = load_plan(_write(tmp_path, SCENARIOS), sets=["scenario.hazard_ratio=0.9", "scenario.median=12"])
    assert plan.scenarios["null"].hazard_ratios == (0.9,) and plan.scenarios["prior"].prior is not None
    assert np.isclose(plan.scenarios["prior"].control_hazards[0], np.log(2) / 12)
    only_priors = '[[scenarios]]\nname = "p"\nmedian = 10.0\nlog_hr = { dist = "normal", mu = 0, sigma = 1 }\n'
    with pytest.raises(SpecError, match="no scenario of \\['p'\\] takes 'hazard_ratio'"):
        load_plan(_write(tmp_path, only_priors), sets=["scenario.hazard_ratio=1.0"])


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["scenarios.alt.response_rates=[0.1, 0.2]"], r"scenarios\[1\].response_rates"),
        (['search={scenario="alt", lower=60, upper=160, vary="patients"}'], "search.vary"),
        (['search={scenario="alt", lower=60, upper=160, target=["power", 1.5]}'], "search.target"),
        (['search={scenario="alt", lower=160, upper=60}'], "search.lower"),
        (["logrank={critical_values=[2.0, 2.0, 2.0]}"], "logrank"),
        (['grid={scenario="alt", hazard_ratios=[0.7, 1.0]}'], "grid.hazard_ratios"),
        (['grid={scenario="alt", n_patients=[20, 200]}'], r"grid.*n_patients=20"),
        (['calibrate={null_scenario="null", spending="nope"}'], "calibrate.spending"),
        (['calibrate={null_scenario="null", alpha=0.7}'], "calibrate.alpha"),
    ],
)
def test_sections_are_checked_when_the_spec_is_read(tmp_path, sets, message):
    # before anything is fitted or simulated: load_plan itself refuses them
    with pytest.raises(SpecError, match=message):
        load_plan(_write(tmp_path, SCENARIOS), sets=sets)


def test_a_fit_scenario_needs_positive_draws(tmp_path):
    text = SCENARIOS + """
[[scenarios]]
name = "s"
from_fit = "{}"
discount = {{ method = "power", a0 = 0.5 }}
draws = 0
""".format((MODELS / "huang2022_os.toml").as_posix())
    with pytest.raises(SpecError, match=r"scenarios\[3\].draws"):
        load_plan(_write(tmp_path, text))


def test_the_seed_option_draws_hand_written_priors_too(tmp_path):
    path = _write(tmp_path, SCENARIOS)
    a, b = load_plan(path), load_plan(path, seed=99)
    assert not np.array_equal(a.scenarios["prior"].prior.hazard_ratios, b.scenarios["prior"].prior.hazard_ratios)
    np.testing.assert_array_equal(load_plan(path, seed=99).scenarios["prior"].prior.hazard_ratios,
                                  b.scenarios["prior"].prior.hazard_ratios)
