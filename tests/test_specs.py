"""Every fit spec in models/ runs end to end with small draws (design specs: tests/design)."""

from pathlib import Path

import numpy as np
import pytest

from bayeshcc.jobs import run_fit_spec
from bayeshcc.spec import load_fit_spec

SPECS = sorted(p for p in (Path(__file__).resolve().parents[1] / "models").glob("*.toml")
               if not p.name.startswith("design_"))


def test_there_are_fit_specs():
    assert SPECS


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_spec_runs(path, tmp_path):
    spec = load_fit_spec(path)
    job = run_fit_spec(path, out=tmp_path, draws=200, tune=300, chains=2)
    assert job.fit.idata.posterior.sizes["draw"] == 200
    s = job.comparison.summary()
    assert np.isfinite(s.loc[s.quantity == "rmst_difference", "median"]).all()
    assert set(job.files) == {"idata", "summary", "diagnostics", "plot"}
    assert spec.compare.get("treatment", job.comparison.treatment) == job.comparison.treatment
