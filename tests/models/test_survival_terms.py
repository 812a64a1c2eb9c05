"""Survival likelihood terms: invariants of delayed entry, interval censoring and cutpoints.

* Delayed entry at 0 is no entry at all (same arrays, same log-likelihood).
* Interval censoring with ``L = U - eps`` tends to the exact-time likelihood:
  ``log(S(L) - S(U)) - log(eps) -> log f(U)``.
* Adding a cutpoint with equal hazards either side leaves each patient's log-likelihood unchanged.
* The model's likelihood and the per-patient (LOO) log-likelihood differ by a constant that does
  not depend on the hazards (the Poisson form's ``sum d log E - log d!``), with entry and interval
  censoring present.
"""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import bayeshcc as bh
from bayeshcc.models.base import Prepared
from bayeshcc.testing import random_patients as patients


def loglik(model: bh.PiecewiseExponential, data, hazard: np.ndarray) -> np.ndarray:
    """Per-patient log-likelihood at one hazard array (arm, interval)."""
    prepared = model.prepare(data)
    post = xr.Dataset({"hazard": (("chain", "draw", "arm", "interval"), hazard[None, None])},
                      coords={"chain": [0], "draw": [0]})
    return model.pointwise_log_likelihood(prepared, post)["patients"].values[0, 0]


def test_entry_at_zero_is_no_entry():
    plain = patients(1)
    zero = bh.SurvivalData.from_frame(plain.frame.assign(entry=0.0), time="time", event="event", arm="arm",
                                      entry="entry")
    model = bh.PiecewiseExponential(cutpoints=[0, 4, 9], effect="per_arm")
    a, b = model.prepare(plain), model.prepare(zero)
    assert a.structure == b.structure
    for k in a.arrays:
        np.testing.assert_array_equal(a.arrays[k], b.arrays[k])
    h = np.array([[0.1, 0.2, 0.15], [0.05, 0.1, 0.3]])
    np.testing.assert_allclose(loglik(model, plain, h), loglik(model, zero, h), rtol=0, atol=1e-14)


def test_delayed_entry_removes_the_exposure_before_entry():
    data = patients(2, entry=True)
    model = bh.PiecewiseExponential(cutpoints=[0], effect="per_arm")
    h = np.array([[0.1], [0.2]])
    f = data.frame
    rate = np.where(f["arm"] == "A", 0.1, 0.2)
    expected = f["event"] * np.log(rate) - rate * (f["time"] - f["entry"])
    np.testing.assert_allclose(loglik(model, data, h), expected, rtol=1e-12)
    _, exposure = data.exposure_table([0])
    np.testing.assert_allclose(exposure.sum(), (f["time"] - f["entry"]).sum())


@pytest.mark.parametrize("eps", [1e-4, 1e-6])
def test_interval_censoring_tends_to_the_exact_time_likelihood(eps):
    base = pd.DataFrame({"time": [5.0, 2.0, 7.0], "event": [1, 0, 0], "arm": ["A", "A", "A"]})
    exact = bh.SurvivalData.from_frame(base, time="time", event="event")
    narrow = bh.SurvivalData.from_frame(base.assign(time=[5.0 - eps, 2.0, 7.0], upper=[5.0, np.nan, np.nan]),
                                        time="time", event="event", upper="upper")
    model = bh.PiecewiseExponential(cutpoints=[0, 3, 6], effect="per_arm")
    h = np.array([[0.1, 0.25, 0.4]])
    a, b = loglik(model, exact, h), loglik(model, narrow, h)
    assert b[0] - np.log(eps) == pytest.approx(a[0], abs=5 * 0.25 * eps)
    assert b[1:].tolist() == a[1:].tolist()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.floats(0.5, 6.0), rate=st.floats(0.01, 1.0))
def test_a_cutpoint_with_equal_hazards_either_side_changes_nothing(seed, cut, rate):
    data = patients(seed, entry=True, interval=True)
    coarse = bh.PiecewiseExponential(cutpoints=[0, 7], effect="per_arm")
    fine = bh.PiecewiseExponential(cutpoints=[0, cut, 7], effect="per_arm")
    if max(data.horizon.values()) <= 7:
        return
    h2 = np.array([[rate, 2 * rate], [0.5 * rate, rate]])
    h3 = np.array([[rate, rate, 2 * rate], [0.5 * rate, 0.5 * rate, rate]])
    np.testing.assert_allclose(loglik(coarse, data, h2), loglik(fine, data, h3), rtol=1e-10, atol=1e-12)


def test_model_likelihood_and_patient_terms_differ_by_a_constant():
    data = patients(3, n=60, entry=True, interval=True)
    model = bh.PiecewiseExponential(cutpoints=[0, 3, 8], effect="per_arm")
    m = model.build_model(data)
    obs_logp = m.compile_logp(vars=m.observed_RVs)
    rng = np.random.default_rng(0)
    diffs = []
    for _ in range(4):
        h = np.exp(rng.normal(-2, 0.5, (2, 3)))
        point = {"hazard_log__": np.log(h)}
        diffs.append(obs_logp(point) - loglik(model, data, h).sum())
    assert np.ptp(diffs) < 1e-8


def test_interval_censored_rows_are_checked():
    df = pd.DataFrame({"time": [3.0, 4.0, 5.0], "event": [1, 0, 1], "upper": [2.0, np.nan, np.inf]})
    with pytest.raises(bh.DataError, match=r"upper 2 <= time 3 in row 0"):
        bh.SurvivalData.from_frame(df.iloc[:1], time="time", event="event", upper="upper")
    with pytest.raises(bh.DataError, match=r"is infinite in row 2"):
        bh.SurvivalData.from_frame(df, time="time", event="event", upper="upper")
    with pytest.raises(bh.DataError, match=r"its event must be 1; it is 0 in row 0"):
        bh.SurvivalData.from_frame(pd.DataFrame({"time": [1.0], "event": [0], "upper": [2.0]}),
                                   time="time", event="event", upper="upper")
    with pytest.raises(bh.DataError, match=r"entry 3 >= time 3 in row 0"):
        bh.SurvivalData.from_frame(pd.DataFrame({"time": [3.0], "event": [0], "e": [3.0]}),
                                   time="time", event="event", entry="e")
    with pytest.raises(bh.DataError, match="no Kaplan-Meier estimate"):
        bh.SurvivalData.from_frame(df.iloc[[1]].assign(upper=[6.0], event=1), time="time", event="event",
                                   upper="upper").kaplan_meier()


def test_prepared_carries_the_interval_term():
    data = patients(4, interval=True)
    p: Prepared = bh.PiecewiseExponential(cutpoints=[0, 5]).prepare(data)
    n_ic = int(data.interval_censored.sum())
    assert len(p.structure[3]) == n_ic and p.arrays["interval_overlap"].shape == (n_ic, 2)


@pytest.mark.slow
def test_fit_with_entry_and_interval_censoring_recovers_the_hazards():
    """Exponential times (hazards 0.10 and 0.05), entry uniform on [0, 3] (left truncation: only
    patients still event-free at entry are seen), events seen at the next 2-unit visit
    (interval-censored) for half the patients, administrative censoring at 20. The posterior mean
    log hazard ratio lies within 3 posterior sd of log 0.5 (a correct model fails this with
    probability about 0.003), and so does each arm's log hazard."""
    rng = np.random.default_rng(11)
    rows = []
    for arm, rate in (("A", 0.10), ("B", 0.05)):
        t = rng.exponential(1 / rate, 1500)
        e = rng.uniform(0, 3, 1500)
        keep = t > e
        t, e = t[keep][:400], e[keep][:400]
        visit = rng.random(400) < 0.5
        lower = np.where(visit, np.floor(t / 2) * 2, t)
        lower = np.maximum(lower, e + 1e-6)
        event = t <= 20
        upper = np.where(visit & event, np.minimum(np.floor(t / 2) * 2 + 2, 1e9), np.nan)
        time = np.where(event, np.where(visit, lower, t), 20.0)
        upper = np.where(event & visit & (upper > time), upper, np.nan)
        rows.append(pd.DataFrame({"time": time, "event": event.astype(int), "entry": e, "upper": upper,
                                  "arm": arm}))
    df = pd.concat(rows, ignore_index=True)
    data = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", entry="entry", upper="upper")
    assert 0.2 < data.interval_censored.mean() < 0.6
    fit = bh.PiecewiseExponential(cutpoints=[0], control="A").fit(data, draws=1000, chains=2, seed=5)
    lhr = fit.idata.posterior["log_hr"].values.ravel()
    assert abs(lhr.mean() - np.log(0.5)) < 3 * lhr.std()
    haz = np.log(fit.hazard.values.reshape(-1, 2))
    for j, rate in enumerate((0.10, 0.05)):
        assert abs(haz[:, j].mean() - np.log(rate)) < 3 * haz[:, j].std()


def test_patient_data_among_several_sources_keep_one_loo_term_per_patient(mock_sampler):
    """A list with patient data and a published HR: per-patient terms for the patients (whatever the
    cutpoints), PyMC's term for the HR; so fits with different cutpoints compare in LOO."""
    from bayeshcc.data.evidence import HazardRatioEvidence

    data = patients(6, n=60)
    hr = HazardRatioEvidence("B", "A", 0.8, 0.5, 1.3)

    def draws(model, prepared, chains, n, rng):
        k = len(prepared.coords["interval"])
        base = np.exp(rng.normal(-2, 0.1, (chains, n, k)))
        lhr = rng.normal(0, 0.1, (chains, n))
        hz = np.stack([base * np.exp(-lhr / 2)[..., None], base * np.exp(lhr / 2)[..., None]], axis=2)
        return {"baseline_hazard": base, "log_hr": lhr, "hazard": hz}

    mock_sampler(draws)
    fits = {f"{len(c)} intervals": bh.PiecewiseExponential(cutpoints=c, control="A").fit(
        [data, hr], draws=50, chains=2, log_likelihood=True) for c in ([0, 4], [0, 2, 6])}
    for f in fits.values():
        ll = f.idata.log_likelihood
        assert set(ll.data_vars) == {"s0_patients", "s1_hazard_ratio"}
        assert ll["s0_patients"].sizes["s0_patient"] == 60
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert len(bh.compare_models(fits)) == 2
    single = bh.PiecewiseExponential(cutpoints=[0, 4], control="A").fit(data, draws=50, chains=2, log_likelihood=True)
    with pytest.raises(bh.DataError, match="pointwise log-likelihoods differ"):
        bh.compare_models({"list": fits["2 intervals"], "patients only": single})
