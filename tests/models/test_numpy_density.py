"""``sampler="numpy"``: the piecewise-exponential log density written in numpy.

* Value and gradient equal PyMC's (the same model built by ``PiecewiseExponential.build``, its
  compiled ``logp``/``dlogp`` with the log-Jacobians) at random points, for every row kind
  (patient Poisson cells, interval-censored patients, closed, actuarial and follow-up-window rows,
  a window over several intervals and one of zero width), every effect, every prior with a numpy
  form and a power-prior weight.
* Sampled with nutpie, patient data with per-arm Gamma priors reproduce the exact conjugate
  posterior ``Gamma(alpha + d, beta + E)`` (means and sds within 4 Monte Carlo errors).
* Published evidence among several sources (hazard ratios, medians, landmarks) likewise.
* Settings without a numpy form (random walks, mixture priors) give a SpecError before any sampling.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeshcc as bh
from bayeshcc.data.evidence import HazardRatioEvidence
from bayeshcc.models._survival_numpy import survival_terms
from bayeshcc.testing import life_table, random_patients

ROOT = Path(__file__).resolve().parents[2]


def _three_arms():
    rng = np.random.default_rng(9)
    n = 90
    df = pd.DataFrame({"time": np.round(rng.exponential(7, n), 3) + 0.01, "event": rng.integers(0, 2, n),
                       "arm": np.repeat(["A", "B", "C"], n // 3)})
    return bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm")


def _spec_data(name):
    from bayeshcc.specs.fit import load_fit_spec

    return load_fit_spec(f"{ROOT}/models/{name}.toml").runs[0].data


def _point(pm_model, density, x):
    """PyMC's value-variable point for the unconstrained vector ``x`` of ``density``."""
    values = {v.name: v for v in pm_model.value_vars}
    out, start = {}, 0
    for name, shape in density.blocks.items():
        size = int(np.prod(shape))
        key = name if name in values else f"{name}_log__"
        out[key] = x[start:start + size].reshape(shape)
        start += size
    assert set(out) == set(values)
    return out


CASES = {
    "huang2022 life table, proportional": (
        lambda: bh.datasets.load_huang2022().os, dict(cutpoints=[0, 6, 12, 18], control="Sorafenib")),
    "table with all row kinds, proportional, Gamma baseline, Logistic log HR": (
        life_table, dict(cutpoints=[0, 6, 12, 18], baseline_prior=bh.Gamma(2.0, 30.0), log_hr_prior=bh.Logistic(0.1, 0.7))),
    "table, zero-width windows, per arm, HalfNormal": (
        lambda: life_table(point_window=True), dict(cutpoints=[0, 6, 12], effect="per_arm", baseline_prior=bh.HalfNormal(0.3))),
    "table, time-varying effect, power prior": (
        life_table, dict(cutpoints=[0, 6, 12], effect="time_varying", log_hr_prior=bh.Normal(0.0, 1.0),
                     likelihood_weight=0.4)),
    "patients with entry and interval censoring, proportional": (
        lambda: random_patients(3, n=60, entry=True, interval=True), dict(cutpoints=[0, 4, 9])),
    "patients, per arm, default prior": (lambda: random_patients(4, n=60), dict(cutpoints=[0, 5], effect="per_arm")),
    "patients, power prior (a source refitted with a0 = 0.5)": (
        lambda: random_patients(8, n=60, interval=True), dict(cutpoints=[0, 4, 9], likelihood_weight=0.5)),
    "three arms, per arm": (lambda: _three_arms(), dict(cutpoints=[0, 3, 8], effect="per_arm", control="B")),
    "published HR and medians (huang2022 PFS), HR named the other way round": (
        lambda: _spec_data("huang2022_pfs"), dict(cutpoints=[0, 6], control="FOLFOX-HAIC")),
    "published landmarks and median (HAIC-cisplatin OS cohort)": (
        lambda: _spec_data("haic_cisplatin_os"), dict(cutpoints=[0, 10, 20], effect="per_arm")),
    "patient data, a life table and a published HR": (
        lambda: [random_patients(6, n=60), life_table(arms=("A", "B")), HazardRatioEvidence("B", "A", 0.8, 0.5, 1.3)],
        dict(cutpoints=[0, 4, 9], control="A")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_value_and_gradient_equal_pymc(case):
    data_fn, settings = CASES[case]
    model = bh.PiecewiseExponential(**settings)
    data = model.coerce(data_fn())
    prepared = model.prepare(data)
    density = model.density(prepared)
    assert density is not None
    pm_model = model.build(prepared)
    logp = pm_model.compile_logp(mode="FAST_COMPILE")  # no C compilation: a few evaluations only
    dlogp = pm_model.compile_dlogp(mode="FAST_COMPILE")
    hazard_fn = pm_model.compile_fn(pm_model.replace_rvs_by_values([pm_model["hazard"]])[0],
                                    inputs=pm_model.value_vars, mode="FAST_COMPILE", on_unused_input="ignore")
    rng = np.random.default_rng(11)
    for _ in range(4):
        x = density.centre + rng.normal(0.0, 0.7, density.ndim)
        value, grad = density.logp_grad(x)
        point = _point(pm_model, density, x)
        # PyTensor keeps Python-float parameters that float32 holds exactly (2.0, 30.0) as float32
        # and computes log(sigma), gammaln(alpha) and 1/beta in float32: up to about 1e-6 apart
        # from the float64 values here (scipy agrees with these); an error in a term is of order 1
        assert value == pytest.approx(float(logp(point)), abs=1e-5)
        np.testing.assert_allclose(grad, dlogp(point), rtol=1e-6, atol=1e-6)
        # the posterior variables are PyMC's deterministics at that point
        hazard = density.expand(x)["hazard"]
        expected = hazard_fn(point)
        np.testing.assert_allclose(hazard, expected, rtol=1e-12)


def test_gradient_is_the_derivative_of_the_value_far_from_the_centre():
    """Central differences at extreme hazards (tiny and large cumulative hazards in the window)."""
    model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18])
    density = model.density(model.prepare(life_table()))
    for shift in (-9.0, 2.5):
        x = density.centre + shift
        _, grad = density.logp_grad(x)
        eps = 1e-4  # smaller steps meet the value's rounding (about 1e-9 here)
        numeric = [(density.logp_grad(x + eps * e)[0] - density.logp_grad(x - eps * e)[0]) / (2 * eps)
                   for e in np.eye(density.ndim)]
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


def test_terms_weight_scales_value_and_gradient():
    model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18])
    prepared = model.prepare(life_table())
    full = survival_terms(prepared.structure, prepared.arrays)
    half = survival_terms(prepared.structure, prepared.arrays, 0.5)
    h = np.linspace(0.02, 0.2, 8)
    (a, ga), (b, gb) = full(h), half(h)
    assert b == pytest.approx(a / 2, rel=1e-14)
    np.testing.assert_allclose(gb, ga / 2, rtol=1e-14)


def test_sampled_posterior_matches_the_exact_gamma_posterior():
    """Per-arm hazards, Gamma prior, patient data: the posterior is Gamma(alpha + d, beta + E)."""
    data = random_patients(5, n=80)
    prior = bh.Gamma(2.0, 10.0)
    model = bh.PiecewiseExponential(cutpoints=[0, 4, 10], effect="per_arm", baseline_prior=prior)
    prepared = model.prepare(data)
    fit = model.fit(data, sampler="numpy", draws=1500, tune=700, chains=4, seed=3)
    assert fit.sampler == "numpy"
    a = prior.alpha + prepared.arrays["events"]
    b = prior.beta + prepared.arrays["exposure"]
    post = fit.idata.posterior["hazard"]
    assert post.dims == ("chain", "draw", "arm", "interval")
    assert list(post.coords["arm"].values) == list(prepared.arms)
    draws = post.values.reshape(-1, *a.shape)
    import arviz as az

    ess = az.ess(fit.idata, var_names=["hazard"])["hazard"].values
    mcse_mean = np.sqrt(a / b**2) / np.sqrt(ess)
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - a / b), 4 * mcse_mean)
    # sd: its Monte Carlo error is about sd / sqrt(2 ESS) for a near-normal posterior
    sd = np.sqrt(a) / b
    np.testing.assert_array_less(np.abs(draws.std(axis=0) - sd), 4 * sd / np.sqrt(2 * ess) + 1e-12)
    assert fit.diagnostics().ok


def test_same_seed_same_draws_and_the_fit_reports_its_sampler():
    data = bh.datasets.load_huang2022().os
    model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18], control="Sorafenib")
    a = model.fit(data, sampler="numpy", draws=200, tune=200, chains=2, seed=7)
    b = model.fit(data, sampler="numpy", draws=200, tune=200, chains=2, seed=7)
    np.testing.assert_array_equal(a.idata.posterior["log_hr"].values, b.idata.posterior["log_hr"].values)
    assert set(a.idata.posterior.data_vars) == {"baseline_hazard", "log_hr", "hazard"}
    assert a.timings["compile"] < 0.5  # nothing to compile
    # the comparison and every summary work as with the other samplers
    c = a.compare(times=[12], tau=24)
    assert 0 < float(c.prob("hazard_ratio", "<", 1)) <= 1
    assert math.isfinite(float(c.summary().query("quantity == 'rmst_difference'")["mean"].iloc[0]))


@pytest.mark.parametrize("settings, data_fn, what", [
    (dict(cutpoints=[0, 6, 12, 18], baseline_prior=bh.RandomWalk()), life_table, "RandomWalk"),
    (dict(cutpoints=[0, 6, 12], effect="time_varying", log_hr_prior=bh.RandomWalk()), life_table, "RandomWalk"),
    (dict(cutpoints=[0, 6, 12, 18], baseline_prior=bh.Mixture([bh.Gamma(1, 10), bh.Gamma(5, 10)], weights=[0.5, 0.5])),
     life_table, "Mixture"),
    (dict(cutpoints=[0, 6, 12, 18], log_hr_prior=bh.Mixture([bh.Normal(0, 0.2), bh.Normal(0, 2)], weights=[0.5, 0.5])),
     life_table, "Mixture"),
])
def test_settings_without_a_numpy_form_are_refused_before_sampling(settings, data_fn, what, monkeypatch):
    from bayeshcc import sampling

    monkeypatch.setattr(sampling, "_sample_density", lambda *a, **k: pytest.fail("sampled"))
    model = bh.PiecewiseExponential(**settings)
    with pytest.raises(bh.SpecError, match=rf"sampler='numpy'.*{what}.*no numpy log density.*'nutpie' or 'pymc'"):
        model.fit(data_fn(), sampler="numpy")


def test_families_without_a_numpy_density_do_not_offer_the_sampler():
    assert "numpy" in bh.PiecewiseExponential.samplers
    assert "numpy" not in bh.CoxPH.samplers
    df = pd.DataFrame({"time": [1.0, 2.0, 3.0, 4.0], "event": [1, 0, 1, 1], "arm": ["A", "B", "A", "B"]})
    data = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm")
    with pytest.raises(bh.SpecError, match="sampler must be one of"):
        bh.CoxPH("arm", cutpoints=[0, 2]).fit(data, sampler="numpy")


def test_loo_of_a_numpy_fit_uses_one_term_per_patient():
    data = random_patients(10, n=60)
    model = bh.PiecewiseExponential(cutpoints=[0, 4, 9])
    fit = model.fit(data, sampler="numpy", draws=300, tune=300, chains=2, seed=4, log_likelihood=True,
                    check_convergence=False)
    ll = fit.idata.log_likelihood["patients"]
    assert ll.sizes["patient"] == 60 and bool(np.isfinite(ll).all())
    assert math.isfinite(float(fit.loo().elpd_loo))


def test_an_unreachable_point_is_a_rejection_not_an_error():
    """Far out in the tails the window survival underflows: nutpie's callback gets -inf and a zero
    gradient (a rejected point), without warnings (which pytest turns into errors here)."""
    from bayeshcc.sampling import _guarded

    model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18])
    density = model.density(model.prepare(life_table()))
    callback = _guarded(density)
    value, grad = callback(density.centre + 12.0)
    assert value == -math.inf and grad.shape == (density.ndim,) and not grad.any()
    value, grad = callback(density.centre)
    assert value == density.logp_grad(density.centre)[0] and bool(np.isfinite(grad).all())
