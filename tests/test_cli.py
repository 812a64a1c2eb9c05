import re
from pathlib import Path

import pandas as pd
import pytest

from bayeshcc.cli import main

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "models" / "huang2022_os.toml"
QUICK = ["--draws", "300", "--tune", "300", "--chains", "2"]


@pytest.mark.slow
def test_fit_writes_outputs_and_prints_table(tmp_path, capsys):
    status = main(["fit", str(SPEC), "--out", str(tmp_path), *QUICK])
    out = capsys.readouterr().out
    assert status in (0, 1)  # 1 only if the short run fails diagnostics, which it then says
    assert ("all checks passed" in out) == (status == 0)
    assert "hazard_ratio" in out and "eti95_lower" in out
    for name in ("idata.nc", "summary.csv", "diagnostics.csv", "survival.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    summary = pd.read_csv(tmp_path / "summary.csv")
    hr = summary.loc[summary.quantity == "hazard_ratio", "median"].item()
    assert 0.2 < hr < 0.6
    import arviz as az

    idata = az.from_netcdf(tmp_path / "idata.nc")
    assert idata.posterior.sizes["chain"] == 2 and idata.posterior.sizes["draw"] == 300
    assert set(idata.posterior["hazard"].dims) == {"chain", "draw", "arm", "interval"}


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.toml"
    p.write_text(text)
    return p


GOOD = SPEC.read_text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("[fit]", "[fit]\nthin = 2"), r"unknown key 'fit.thin'"),
        (GOOD.replace("draws = 1000", 'draws = "many"'), r"'fit.draws' must be integer"),
        (GOOD.replace('dataset = "huang2022"', 'dataset = "huang2099"'), r"unknown dataset 'huang2099'"),
        (GOOD.replace('treatment = "FOLFOX-HAIC"', 'treatment = "HAIC"'), r"'compare.treatment': unknown arm\(s\) \['HAIC'\]"),
        (GOOD.replace('control = "Sorafenib"\n# Why', 'control = "Placebo"\n# Why'), r"'model.control': unknown arm\(s\) \['Placebo'\]"),
        (GOOD.replace("cutpoints = [0, 6, 12, 18]", "cutpoints = [0, 12, 6]"), r"strictly increasing"),
        (GOOD.replace('dist = "normal"', 'dist = "student"'), r"model.log_hr_prior: unknown dist"),
        (GOOD.replace('sampler = "numpy"', 'sampler = "gibbs"'), r"'fit.sampler' must be"),
        ("[data\n", r"not valid TOML"),
        (GOOD.replace('family = "piecewise_exponential"', 'family = "weibull"'), r"'model.family' must be one of"),
        (GOOD.replace('effect = "proportional"', 'effect = "proportional"\nshape = 2'), r"unknown key 'model.shape'"),
        (GOOD.replace("draws = 1000", "draws = 100000000000000000000"), r"exceeds the limit"),
    ],
)
def test_malformed_spec_is_one_line_exit_2(tmp_path, capsys, text, message):
    status = main(["fit", str(write(tmp_path, text))])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("error: SpecError")
    assert re.search(message, err), err


def test_missing_spec_file(capsys):
    assert main(["fit", "no/such/spec.toml"]) == 2
    assert "spec file not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "is a directory"), (b"\x00\x01\x02binary", "binary file"), ("title = 'caf\xe9'".encode("latin-1"), "not UTF-8")],
    ids=["directory", "binary", "latin-1"],
)
def test_unreadable_spec_is_one_line_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "spec.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    assert main(["fit", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    ("csv", "message"),
    [(b"", "is empty"), (b"\x00\x00", "binary file"), ("time,event,arm\n1,1,caf\xe9\n".encode("latin-1"), "not UTF-8"),
     (b"time,event,arm\n1,1,A,9,9\n", "not a well-formed CSV")],
    ids=["empty", "binary", "latin-1", "ragged"],
)
def test_bad_data_file_is_one_line_exit_2(tmp_path, capsys, csv, message):
    (tmp_path / "ipd.csv").write_bytes(csv)
    spec = write(tmp_path, '[data]\nfile = "ipd.csv"\n[model]\nfamily = "piecewise_exponential"\ncutpoints = [0, 6]\n')
    assert main(["fit", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.slow
def test_response_spec_fits_both_criteria_with_both_models(tmp_path, capsys):
    """One spec, one table: the exact binary and the ordinal model of RECIST and mRECIST."""
    spec = ROOT / "models" / "huang2022_response.toml"
    assert main(["fit", str(spec), "--out", str(tmp_path), "--draws", "2000"]) == 0
    out = capsys.readouterr().out
    for key in ("RECIST/binomial_response", "mRECIST/binomial_response", "RECIST/ordinal_response",
                "mRECIST/ordinal_response"):
        assert f"== {key} ==" in out, key
    assert "sampler=exact" in out and "sampler=pymc" in out
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(zip(summary["model"], summary["not_evaluated"], strict=True)) == {
        ("binomial_response", "counted as non-responders"), ("ordinal_response", "excluded")}
    assert set(zip(summary["dataset"], summary["model"], strict=True)) == {
        (c, m) for c in ("RECIST", "mRECIST") for m in ("binomial_response", "ordinal_response")}
    rd = summary[summary.quantity == "risk_difference"].set_index("dataset")["mean"]
    # exact posterior means: RECIST 19/57 - 2/61, mRECIST 23/57 - 3/61; sd of a mean of 8000 draws < 0.001
    assert rd["RECIST"] == pytest.approx(19 / 57 - 2 / 61, abs=0.004)
    assert rd["mRECIST"] == pytest.approx(23 / 57 - 3 / 61, abs=0.004)
    # per-arm Dirichlet(1, 1, 1, 1): the ORR difference is a difference of Betas, mRECIST
    # 24/59 - 4/63 (posterior sd 0.070); the run passed its diagnostics (ESS >= 100 per chain,
    # 400 in all), so 4 Monte Carlo SEs are at most 4 * 0.070 / sqrt(400) = 0.014
    orr = summary[(summary.quantity == "objective_response_difference")].set_index("dataset")["mean"]
    assert orr["mRECIST"] == pytest.approx(24 / 59 - 4 / 63, abs=0.014)
    for name in ("response_RECIST_binomial_response.png", "best_response_mRECIST_ordinal_response.png",
                 "idata_RECIST_ordinal_response.nc", "diagnostics.csv"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_datasets_lists_both(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "huang2022" in out and "haic_cisplatin" in out


@pytest.mark.slow
def test_failed_diagnostics_are_reported_with_exit_1(capsys):
    # 2 chains x 20 draws cannot reach the ESS threshold of 200: the failure is certain
    status = main(["fit", str(SPEC), "--draws", "20", "--tune", "50", "--chains", "2"])
    out = capsys.readouterr().out
    assert status == 1
    assert "Diagnostics: FAILED" in out and "ess_bulk" in out


def test_a_cox_spec_writes_and_prints_the_per_term_hazard_ratios(mock_sampler, tmp_path, capsys):
    import warnings

    import numpy as np

    import bayeshcc as bh

    log_hr = np.log([0.3, 0.5, 0.7])

    def draw(model, prepared, chains, draws, rng):
        k, s = len(prepared.coords["interval"]), len(prepared.coords["stratum"])
        noise = rng.normal(0, 0.01, (chains, draws, len(log_hr)))
        return {"baseline_hazard": np.full((chains, draws, s, k), 0.1), "log_hr": log_hr + noise}

    mock_sampler(draw)
    spec = Path(__file__).resolve().parents[1] / "models" / "huang2022_os_adjusted.toml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bh.ConvergenceWarning)
        main(["fit", str(spec), "--out", str(tmp_path), "--draws", "50", "--chains", "2"])
    out = capsys.readouterr().out
    assert "Coefficients:" in out
    table = pd.read_csv(tmp_path / "coefficients.csv")
    assert table["data_note"].str.startswith("SYNTHETIC").all()
    assert {"term", "scale", "median", "p_hr_below_1"} <= set(table.columns)
    pvtt = table[table["term"].astype(str).str.contains("pvtt")].set_index("scale")["median"]
    assert pvtt["HR"] == pytest.approx(0.5, rel=0.05) and pvtt["log HR"] == pytest.approx(np.log(0.5), abs=0.03)


@pytest.mark.slow
def test_main_job_samples_with_numpy_and_never_loads_numba(tmp_path):
    """The main job compiles nothing: its spec's sampler is "numpy", and the command keeps numba
    (which ArviZ would compile a ufunc with on import) out of the process."""
    import subprocess
    import sys

    code = ("import sys; from bayeshcc.cli import main; status = main(); "
            "print('numba loaded:', sys.modules.get('numba') is not None); sys.exit(status)")
    proc = subprocess.run([sys.executable, "-c", code, "fit", str(SPEC), "--out", str(tmp_path), *QUICK],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    assert "sampler=numpy" in proc.stdout and "compile 0.0 s" in proc.stdout
    assert "numba loaded: False" in proc.stdout


def test_an_in_process_call_leaves_numba_alone(monkeypatch):
    """Hiding numba is for console runs only: modules imported meanwhile (nutpie) would keep their
    numba-less fallbacks, and a later sampler="nutpie" fit in the same process would fail."""
    import sys

    import bayeshcc.jobs.fit as jobs_fit
    from bayeshcc.errors import SpecError

    seen = []

    def spy(spec, **kw):
        seen.append(sys.modules.get("numba", "not imported"))
        raise SpecError("stop here")

    monkeypatch.setattr(jobs_fit, "run_fit", spy)
    assert main(["fit", str(SPEC)]) == 2
    assert seen and seen[0] is not None


def test_a_named_numpy_sampler_is_checked_against_every_run_before_any_sampling(tmp_path, capsys, monkeypatch):
    import bayeshcc as bh

    monkeypatch.setattr(bh.PiecewiseExponential, "fit", lambda *a, **k: pytest.fail("sampled"))
    text = GOOD.replace('baseline_prior = { dist = "lognormal", mu = -2.995732, sigma = 2.0 }',
                        'baseline_prior = { dist = "random_walk" }')
    assert main(["fit", str(write(tmp_path, text))]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "'fit.sampler' = 'numpy'" in err and "no numpy log density" in err and "RandomWalk" in err


def test_hidden_module_fails_to_import_inside_and_is_restored_after():
    import sys

    from bayeshcc.cli import _hidden

    name = "bayeshcc_no_such_module_for_test"
    with _hidden(name):
        assert sys.modules[name] is None
        with pytest.raises(ImportError):
            __import__(name)
    assert name not in sys.modules
    with _hidden("json"):  # already imported: left alone
        import json  # noqa: F401
    assert sys.modules["json"] is not None


@pytest.mark.parametrize(("text", "expected"), [
    (re.sub(r'(?m)^sampler = .*$', "", GOOD), "numpy"),  # no sampler named, life table: numpy
    (GOOD.replace('sampler = "numpy"', 'sampler = "pymc"'), "pymc"),  # named: kept
    ((ROOT / "models" / "haic_cisplatin_os.toml").read_text(), "numpy"),  # published summaries: numpy too
    (re.sub(r'(?m)^sampler = .*$', "", GOOD).replace(
        'baseline_prior = { dist = "lognormal", mu = -2.995732, sigma = 2.0 }',
        'baseline_prior = { dist = "random_walk" }'), "pymc"),  # a random walk: no numpy form
])
def test_a_spec_without_a_sampler_uses_numpy_where_the_family_has_a_numpy_density(tmp_path, monkeypatch, text,
                                                                                   expected):
    import bayeshcc as bh
    from bayeshcc.jobs.fit import run_fit

    class Stop(Exception):
        pass

    seen = []

    def spy(self, data, **kw):
        seen.append(kw["sampler"])
        raise Stop

    monkeypatch.setattr(bh.PiecewiseExponential, "fit", spy)
    with pytest.raises(Stop):
        run_fit(write(tmp_path, text))
    assert seen == [expected]
