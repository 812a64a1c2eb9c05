"""Every fit spec in models/ runs end to end with small draws (design specs: tests/design)."""

from pathlib import Path

import numpy as np
import pytest

from bayeshcc.jobs.fit import run_fit
from bayeshcc.specs.fit import load_fit_spec

SPECS = sorted(p for p in (Path(__file__).resolve().parents[1] / "models").glob("*.toml")
               if not p.name.startswith("design_"))


def test_there_are_fit_specs():
    assert SPECS


@pytest.mark.slow
@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_spec_runs(path, tmp_path):
    spec = load_fit_spec(path)
    job = run_fit(path, out=tmp_path, draws=200, tune=300, chains=2)
    assert set(job.fits) == {r.key for r in spec.runs}  # every model on every dataset
    for key, fit in job.fits.items():
        assert fit.idata.posterior.sizes["draw"] == 200
        if len(fit.arms) < 2 and fit.model.endpoint == "survival":  # one cohort: its published figures
            assert key not in job.comparisons and (len(fit.evidence()) if hasattr(fit, "evidence") else True)
            continue
        cmp = job.comparisons[key]
        assert spec.compare.get("treatment", cmp.treatment) == cmp.treatment
        s = cmp.summary()
        assert np.isfinite(s["median"]).any()
        assert (tmp_path / f"idata{'_' + key.replace('/', '_') if len(job.fits) > 1 else ''}.nc").stat().st_size > 0
    assert {"summary", "diagnostics"} <= set(job.files)
    assert all(p.stat().st_size > 0 for p in job.files.values())
