"""CoxPH input checks (review): non-finite design values and row labels, refused before any model."""

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh


def test_non_finite_design_values_are_refused_naming_column_and_rows(mock_sampler):
    cohort = bh.datasets.synthetic_huang2022(seed=1)
    zero = np.flatnonzero(cohort.frame["pvtt"].to_numpy() == 0)
    model = bh.CoxPH("arm + np.log(pvtt)", cutpoints=[0, 6, 12])
    fake = mock_sampler(lambda *a: {})
    rows = ", ".join(str(r) for r in zero[:8])
    with pytest.raises(bh.DataError, match=rf"'np.log\(pvtt\)' is -inf in rows {rows} and {zero.size - 8} more"):
        model.fit(cohort, seed=1, draws=5, chains=1)
    assert not fake.calls
    with pytest.raises(bh.DataError, match=r"np.log1p"):
        model.prepare(cohort)
    # NaN from a transform (log of a negative number) is named too, by the caller's row labels
    df = cohort.frame.assign(shift=cohort.frame["pvtt"] - 0.5).set_axis(range(500, 500 + len(cohort.frame)))
    data = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", covariates=["shift"])
    with pytest.raises(bh.DataError, match=rf"'np.log\(shift\)' is NaN in rows {zero[0] + 500}, "):
        bh.CoxPH("arm + np.log(shift)", cutpoints=[0, 6]).prepare(data)


def test_strata_rows_are_named_by_label():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"t": rng.exponential(8, 30) + 0.1, "d": 1, "arm": np.repeat(["A", "B"], 15),
                       "site": np.r_[np.arange(29) % 3, 1.5]}, index=[f"p{i}" for i in range(30)])
    data = bh.SurvivalData.from_frame(df, time="t", event="d", arm="arm", covariates=["site"])
    with pytest.raises(bh.DataError, match=r"strata: column 'site' has non-integer values \(1.5 in row p29\)"):
        bh.CoxPH("arm", cutpoints=[0, 4], strata="site").prepare(data)
