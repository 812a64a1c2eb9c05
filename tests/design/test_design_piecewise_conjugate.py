"""The conjugate engine with piecewise hazards: exact per-interval hazard ratios, Monte Carlo survival
and RMST differences, their rules, validation and reproducibility.

Monte Carlo tolerances: a proportion of N independent draws estimating p has standard deviation
sqrt(p (1 - p) / N); comparing two independent estimates, 4 times the combined sd fails a correct
implementation with probability about 6e-5 per comparison.
"""

import math

import numpy as np
import pytest
import xarray as xr
from scipy import integrate, stats

from bayeshcc._random import BlockRNG
from bayeshcc.conjugate import GammaPosterior, PiecewiseGammaPosterior
from bayeshcc.design import (
    Accrual,
    Analysis,
    PosteriorProbability,
    PredictiveProbability,
    Scenario,
    TrialDesign,
    simulate,
)
from bayeshcc.design.batch import LookData
from bayeshcc.design.engines import ConjugateEngine
from bayeshcc.design.generate import analysis_times, generate, look_data
from bayeshcc.errors import SpecError
from bayeshcc.models import BinomialResponse, Gamma, LogNormal, Normal, PiecewiseExponential

CUTS = (0.0, 3.0, 9.0)
# Hand-made sufficient statistics: 4 trials, (control, treatment), 3 intervals.
EVENTS = np.array(
    [
        [[10, 20, 8], [11, 15, 5]],
        [[4, 9, 3], [6, 5, 1]],
        [[25, 40, 12], [18, 41, 16]],
        [[2, 3, 1], [0, 1, 2]],  # few events: the posterior is far from normal
    ],
    dtype=float,
)
EXPOSURE = np.array(
    [
        [[280, 500, 150], [285, 540, 170]],
        [[100, 180, 60], [110, 200, 75]],
        [[700, 1200, 400], [690, 1150, 380]],
        [[40, 60, 20], [42, 70, 25]],
    ]
)
PRIOR = (0.001, 0.001)


def per_arm(cutpoints):
    """The conjugate engine's analysis model: each arm's own hazards, vague Gamma priors."""
    return PiecewiseExponential(cutpoints=cutpoints, effect="per_arm", baseline_prior=Gamma(*PRIOR))


def proportional(cutpoints):
    """The laplace engine's analysis model with the old vague defaults."""
    return PiecewiseExponential(
        cutpoints=cutpoints, baseline_prior=LogNormal(math.log(0.05), 10), log_hr_prior=Normal(0, 10)
    )


def rmst_rule(**kw):
    return PosteriorProbability("rmst_difference", ">", 0, threshold=0.95, tau=24, **kw)


def base_design(**kw):
    args = dict(
        control="C",
        treatment="T",
        n_patients=200,
        accrual=Accrual(duration=12),
        analyses=[Analysis(events=120)],
        success=rmst_rule(),
        analysis=per_arm([0, 3]),
    )
    args.update(kw)
    return TrialDesign(**args)


def test_per_interval_hazard_ratio_is_exact_against_brute_force_monte_carlo():
    post = PiecewiseGammaPosterior(PRIOR[0] + EVENTS, PRIOR[1] + EXPOSURE, CUTS)
    rng = np.random.default_rng(11)
    n = 400_000
    for k in range(3):
        lam = rng.gamma(post.shape[..., k, None], 1 / post.rate[..., k, None], size=(4, 2, n))
        ratio = lam[:, 1] / lam[:, 0]
        for c in (1.0, 0.7):
            exact = post.prob("hazard_ratio", "<", c, interval=k)
            mc = (ratio < c).mean(axis=1)
            sd = np.sqrt(exact * (1 - exact) / n)
            assert np.all(np.abs(mc - exact) < 4 * sd + 1e-12), (k, c, mc, exact)
            assert post.prob("hazard_ratio", ">", c, interval=k) == pytest.approx(1 - exact)
        # Exact log-HR moments (not for the last trial, whose empty cells keep the vague prior).
        log_ratio = np.log(ratio[:3])
        s = post.summary()
        sd = log_ratio.std(axis=1)
        assert np.all(
            np.abs(s["log_hr_mean"][:3, k] - log_ratio.mean(axis=1)) < 4 * sd / math.sqrt(n)
        )
        assert s["log_hr_sd"][:3, k] == pytest.approx(sd, rel=0.01)
        assert s["prob_benefit"][:, k] == pytest.approx(
            post.prob("hazard_ratio", "<", 1, interval=k)
        )
    # The intervals differ, so the test can tell them apart.
    p = [post.prob("hazard_ratio", "<", 1, interval=k)[0] for k in range(3)]
    assert max(p) - min(p) > 0.2


def _reference_draws(rng, n):
    """Independent survival at 12 and RMST to 24 from scipy gamma draws and Gauss-Legendre."""
    a, b = PRIOR[0] + EVENTS, PRIOR[1] + EXPOSURE
    lam = stats.gamma.rvs(
        a[..., None], scale=1 / b[..., None], size=(*a.shape, n), random_state=rng
    )
    l0, l1, l2 = (lam[:, :, k, :, None] for k in range(3))  # (trial, arm, draw, 1)

    def surv(t):
        h = l0 * np.minimum(t, 3) + l1 * np.clip(t - 3, 0, 6) + l2 * np.clip(t - 9, 0, None)
        return np.exp(-h)

    s12 = surv(np.array([12.0]))[..., 0]
    # exp(-H) is smooth on each piece: 20-point Gauss-Legendre per piece is exact to ~1e-15.
    rmst = sum(integrate.fixed_quad(surv, lo, hi, n=20)[0] for lo, hi in ((0, 3), (3, 9), (9, 24)))
    return s12[:, 1] - s12[:, 0], rmst[:, 1] - rmst[:, 0]


def test_survival_and_rmst_differences_match_an_independent_computation():
    design = base_design(analysis=per_arm(list(CUTS)))
    data_rng = np.random.default_rng(3)
    engine = ConjugateEngine(mc_draws=20_000)
    data = LookData(np.full(4, 200), events=EVENTS, exposure=EXPOSURE)
    post = engine.posterior(data, design, rng=data_rng)
    n_ref = 50_000
    ref_s, ref_r = [], []
    for seed in range(4):  # 4 x 50,000 reference draws, in pieces to bound memory
        s, r = _reference_draws(np.random.default_rng(100 + seed), n_ref)
        ref_s.append(s)
        ref_r.append(r)
    ref_s, ref_r = np.concatenate(ref_s, axis=1), np.concatenate(ref_r, axis=1)
    n_total = ref_s.shape[1]
    checks = [
        ("survival_difference", {"time": 12.0}, ref_s, (0.0, 0.05, -0.05)),
        ("rmst_difference", {"tau": 24.0}, ref_r, (0.0, 1.0, -1.0)),
    ]
    middling = 0
    for quantity, sel, ref, values in checks:
        for v in values:
            for direction in (">", "<"):
                got = post.prob(quantity, direction, v, **sel)
                want = (ref > v).mean(axis=1) if direction == ">" else (ref < v).mean(axis=1)
                sd = np.sqrt(want * (1 - want) * (1 / engine.mc_draws + 1 / n_total))
                assert np.all(np.abs(got - want) < 4 * sd + 1e-9), (quantity, v, got, want)
                middling += int(np.sum((want > 0.1) & (want < 0.9)))
    assert middling >= 10  # not only probabilities near 0 or 1
    # Draws are made once and shared by every rule on this posterior.
    h = post.hazard_draws()
    assert h.shape == (4, 20_000, 2, 3) and post.hazard_draws() is h


def test_one_interval_piecewise_machinery_equals_the_exponential_exact_engine():
    design = base_design(
        analysis=per_arm([0]), success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)
    )
    batch = generate(
        design,
        Scenario.fixed(median=10, hazard_ratio=0.8),
        BlockRNG([np.random.default_rng(5)], [300]),
    )
    cut = analysis_times(design, batch)[:, 0]
    data = look_data(design, batch, cut)
    post = ConjugateEngine().posterior(data, design)
    assert isinstance(post, PiecewiseGammaPosterior)
    old = GammaPosterior(PRIOR[0] + data.events[..., 0], PRIOR[1] + data.exposure[..., 0])
    for c in (1.0, 0.8):
        for d in ("<", ">"):
            got = post.prob("hazard_ratio", d, c)
            np.testing.assert_allclose(got, old.prob("hazard_ratio", d, c), rtol=0, atol=1e-13)
            np.testing.assert_array_equal(got, post.prob("hazard_ratio", d, c, interval=0))
    for key, value in old.summary().items():
        np.testing.assert_allclose(post.summary()[key], value, rtol=1e-13)
    np.testing.assert_array_equal(
        post.sample(np.random.default_rng(1), 50), old.sample(np.random.default_rng(1), 50)
    )
    assert 0.05 < old.prob("hazard_ratio", "<", 1.0).mean() < 0.95


def test_rules_print_what_they_mean():
    assert str(rmst_rule()) == "P(RMST_T(24) - RMST_C(24) > 0 | data) > 0.95"
    s = PosteriorProbability("survival_difference", ">", 0.1, threshold=0.9, time=12)
    assert str(s) == "P(S_T(12) - S_C(12) > 0.1 | data) > 0.9"
    hr = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975, interval=2)
    assert str(hr) == "P(HR[interval 2] < 1 | data) > 0.975"
    assert str(hr.bind(cutpoints=[0, 6, 12])) == "P(HR[12, inf) < 1 | data) > 0.975"
    assert str(hr) == "P(HR[interval 2] < 1 | data) > 0.975"  # the caller's rule is unchanged
    d = base_design(
        analysis=per_arm([0, 3]),
        success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975, interval=0) & rmst_rule(),
    )
    assert (
        str(d.success[0])
        == "P(HR[0, 3) < 1 | data) > 0.975 and P(RMST_T(24) - RMST_C(24) > 0 | data) > 0.95"
    )
    assert rmst_rule().selectors == {"tau": 24.0}


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda: PosteriorProbability("survival_difference", ">", 0, threshold=0.9),
            r"PosteriorProbability\.time: survival_difference needs time=",
        ),
        (
            lambda: PosteriorProbability("rmst_difference", ">", 0, threshold=0.9),
            r"PosteriorProbability\.tau: rmst_difference needs tau=",
        ),
        (
            lambda: PosteriorProbability("rmst_difference", ">", 0, threshold=0.9, tau=0),
            r"PosteriorProbability\.tau: expected months > 0",
        ),
        (
            lambda: PosteriorProbability("survival_difference", ">", 0, threshold=0.9, time=-3),
            r"PosteriorProbability\.time: expected months > 0",
        ),
        (
            lambda: PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9, tau=24),
            r"PosteriorProbability\.tau: only used with rmst_difference",
        ),
        (
            lambda: PosteriorProbability("rmst_difference", ">", 0, threshold=0.9, tau=24, interval=1),
            r"PosteriorProbability\.interval: only used with hazard_ratio",
        ),
        (
            lambda: PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9, interval=-1),
            r"PosteriorProbability\.interval: expected a 0-based",
        ),
        (
            lambda: PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9, interval=1.0),
            r"PosteriorProbability\.interval",
        ),
        (
            lambda: PosteriorProbability("rmst_difference", ">", 30, threshold=0.9, tau=24),
            r"PosteriorProbability\.value",
        ),
        (
            lambda: PosteriorProbability("survival_difference", ">", 1.5, threshold=0.9, time=6),
            r"PosteriorProbability\.value",
        ),
        # Design-dependent ranges.
        (
            lambda: base_design(
                success=PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9, interval=2)
            ),
            r"TrialDesign\.success\[0\]: PosteriorProbability\.interval: 2 is out of range.*0: \[0, 3\), 1: \[3, inf\)",
        ),
        (
            lambda: base_design(analyses=[Analysis(months=20)]),
            r"TrialDesign\.success\[0\]: PosteriorProbability\.tau: 24 months is beyond what the design can observe; no patient is followed longer than 20 months",
        ),
        (
            lambda: base_design(analyses=[Analysis(patients=200, min_follow_up=6)]),
            r"longer than 18 months",
        ),
        (
            lambda: base_design(
                futility=[
                    PredictiveProbability(
                        "<",
                        threshold=0.1,
                        rule=PosteriorProbability("survival_difference", ">", 0, threshold=0.9, time=40),
                    ),
                    None,
                ],
                analyses=[Analysis(months=12), Analysis(months=36)],
            ),
            r"TrialDesign\.futility\[0\]: PosteriorProbability\.time: 40 months",
        ),
        (
            lambda: TrialDesign(
                control="C",
                treatment="T",
                n_patients=60,
                accrual=Accrual(duration=12),
                analyses=[Analysis(patients=60)],
                analysis=BinomialResponse(),
                success=rmst_rule(),
            ),
            r"TrialDesign\.success\[0\].*'rmst_difference'.*response endpoint does not produce",
        ),
    ],
)
def test_invalid_rules_raise_spec_errors_naming_the_field(make, match):
    with pytest.raises(SpecError, match=match):
        make()


SCENARIO = Scenario.fixed(median=10, cutpoints=[0, 3], hazard_ratio=[1.0, 0.6])


@pytest.mark.parametrize(
    ("engine", "success", "match"),
    [
        (
            "laplace",
            rmst_rule(),
            r"TrialDesign\.success\[0\]: rule P\(RMST_T\(24\) - RMST_C\(24\) > 0 \| data\) > 0\.95 uses 'rmst_difference', which the laplace engine does not produce; it produces \['hazard_ratio'\]; survival and RMST differences need engine='conjugate'",
        ),
        (
            "mcmc",
            PosteriorProbability("survival_difference", ">", 0, threshold=0.9, time=12),
            r"TrialDesign\.success\[0\].*mcmc engine does not produce",
        ),
        (
            "laplace",
            PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9, interval=1),
            r"TrialDesign\.success\[0\]\.interval: the laplace engine estimates one proportional-hazards HR",
        ),
        (
            "conjugate",
            PosteriorProbability("hazard_ratio", "<", 1, threshold=0.9),
            r"TrialDesign\.success\[0\]\.interval: with cutpoints \[0\.0, 3\.0\] the conjugate engine has one hazard ratio per interval.*interval=0 to 1",
        ),
    ],
)
def test_engine_checks_the_quantities_before_simulating(engine, success, match):
    analysis = per_arm([0, 3]) if engine == "conjugate" else proportional([0, 3])
    with pytest.raises(SpecError, match=match):
        simulate(
            base_design(success=success, analysis=analysis),
            SCENARIO,
            n_trials=10,
            seed=1,
            engine=engine,
            progress=False,
        )


def test_posterior_errors():
    post = PiecewiseGammaPosterior(PRIOR[0] + EVENTS, PRIOR[1] + EXPOSURE, CUTS)
    with pytest.raises(SpecError, match="rng"):
        post.prob("rmst_difference", ">", 0, tau=24)
    with pytest.raises(SpecError, match="interval=0 to 2"):
        post.prob("hazard_ratio", "<", 1)
    with pytest.raises(SpecError, match="3 is out of range"):
        post.prob("hazard_ratio", "<", 1, interval=3)
    with pytest.raises(SpecError, match="risk_difference"):
        post.prob("risk_difference", ">", 0)
    with pytest.raises(SpecError, match="mc_draws"):
        ConjugateEngine(mc_draws=1)


def test_mc_quantities_are_reproducible_whatever_the_chunk_size():
    # Interim: futility on a survival difference and by predictive probability (whose final rule
    # reads the RMST difference); final: RMST difference. Small mc_draws keeps it fast.
    design = TrialDesign(
        control="C",
        treatment="T",
        n_patients=80,
        accrual=Accrual(duration=12),
        analyses=[Analysis(events=30), Analysis(events=60)],
        success=[None, rmst_rule()],
        futility=PosteriorProbability("survival_difference", "<", 0, threshold=0.8, time=6)
        | PredictiveProbability("<", threshold=0.05, draws=10),
        analysis=per_arm([0, 3]),
    )
    engine = ConjugateEngine(mc_draws=200)

    def run(**kw):
        return simulate(design, SCENARIO, n_trials=600, engine=engine, progress=False, **kw).trials

    ref = run(seed=8)
    for chunk in (250, 500, 10_000):
        xr.testing.assert_identical(run(seed=8, chunk_size=chunk), ref)
    assert not np.array_equal(run(seed=9)["decision"].values, ref["decision"].values)
    # Both rules did something and the predictive probability was computed.
    decision, stop = ref["decision"].values, ref["stop_analysis"].values
    assert 0 < np.mean((stop == 1) & (decision == -1)) < 0.5
    assert 0 < np.mean(decision == 1) < 1
    assert np.isfinite(ref["predictive_probability"].values[:, 0]).any()
    assert ref["prob_benefit"].dims == ("trial", "analysis", "interval")
    assert list(ref["interval"].values) == ["[0, 3)", "[3, inf)"]
