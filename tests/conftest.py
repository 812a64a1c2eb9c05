import os

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
os.environ.setdefault("BAYESHCC_QUICK", "1")


@pytest.fixture
def ipd_frame() -> pd.DataFrame:
    """A small two-arm patient-level frame with exponential times and censoring."""
    rng = np.random.default_rng(20261121)
    n = 80
    arm = np.where(np.arange(n) % 2 == 0, "A", "B")
    rate = np.where(arm == "A", 0.10, 0.05)
    t = rng.exponential(1 / rate)
    c = rng.uniform(5, 30, n)
    return pd.DataFrame(
        {"time": np.minimum(t, c).round(2), "event": (t <= c).astype(int), "arm": arm,
         "age": rng.normal(60, 8, n).round(0)}
    )


@pytest.fixture
def mock_sampler(monkeypatch):
    """Install a stand-in for ``bayeshcc.sampling.sample``: ``mock_sampler(fn)`` -> the stand-in.

    ``fn(model, prepared, chains, draws, rng)`` returns the posterior arrays; nothing compiles.
    """
    from bayeshcc.testing import mock_sample

    def install(draw_posterior):
        fake = mock_sample(draw_posterior)
        monkeypatch.setattr("bayeshcc.sampling.sample", fake)
        return fake

    return install
