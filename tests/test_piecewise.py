import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from bayeshcc import piecewise

hazards = st.lists(st.floats(1e-3, 2.0), min_size=1, max_size=5)


def cuts_for(k):
    return np.concatenate([[0.0], np.cumsum(np.full(k - 1, 4.0))])


@settings(max_examples=100, deadline=None)
@given(hazards, st.lists(st.floats(0, 40), min_size=1, max_size=10))
def test_survival_invariants(lam, times):
    lam = np.array(lam)
    c = cuts_for(lam.size)
    t = np.sort(np.array(times))
    s = piecewise.survival(lam, c, t)
    assert piecewise.survival(lam, c, np.array([0.0]))[0] == 1.0
    assert np.all(np.diff(s) <= 1e-15)
    np.testing.assert_allclose(s, np.exp(-piecewise.cumulative_hazard(lam, c, t)))


@settings(max_examples=100, deadline=None)
@given(hazards)
def test_median_solves_half(lam):
    lam = np.array(lam)
    c = cuts_for(lam.size)
    m = piecewise.median_survival(lam, c)
    np.testing.assert_allclose(piecewise.survival(lam, c, np.array([m]))[0], 0.5, rtol=1e-10)


@settings(max_examples=50, deadline=None)
@given(hazards, st.floats(0.5, 30))
def test_rmst_equals_integral_of_survival(lam, tau):
    lam = np.array(lam)
    c = cuts_for(lam.size)
    num, _ = integrate.quad(lambda t: piecewise.survival(lam, c, np.array([t]))[0], 0, tau, points=c[c < tau], limit=200)
    np.testing.assert_allclose(piecewise.rmst(lam, c, tau), num, rtol=1e-7)


@settings(max_examples=50, deadline=None)
@given(hazards, st.floats(0.1, 3.9), st.lists(st.floats(0, 40), min_size=1, max_size=5))
def test_extra_cutpoint_with_same_hazard_changes_nothing(lam, offset, times):
    lam = np.array(lam)
    c = cuts_for(lam.size)
    k = int(np.random.default_rng(0).integers(lam.size))
    c2 = np.sort(np.append(c, c[k] + offset))
    lam2 = np.insert(lam, k + 1, lam[k])
    t = np.array(times)
    np.testing.assert_allclose(piecewise.survival(lam, c, t), piecewise.survival(lam2, c2, t), rtol=1e-12)
    np.testing.assert_allclose(piecewise.median_survival(lam, c), piecewise.median_survival(lam2, c2), rtol=1e-12)


def test_vectorised_over_draws_and_zero_hazard_median():
    lam = np.array([[[0.05, 0.2]], [[0.3, 0.0]]])  # (2 draws, 1 arm, 2 intervals)
    m = piecewise.median_survival(lam, np.array([0.0, 10.0]))
    np.testing.assert_allclose(m[0, 0], 10 + (np.log(2) - 0.5) / 0.2)
    np.testing.assert_allclose(m[1, 0], np.log(2) / 0.3)
    never = piecewise.median_survival(np.array([0.01, 0.0]), np.array([0.0, 10.0]))
    assert np.isinf(never)
