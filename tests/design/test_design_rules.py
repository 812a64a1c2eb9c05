"""Rules print as what they mean, combine with & and |, and return Decisions."""

import numpy as np
import pytest

from bayeshcc.conjugate import NormalLogHRPosterior
from bayeshcc.design import AllOf, AnyOf, Decision, PosteriorProbability, PredictiveProbability
from bayeshcc.errors import SpecError


class Ctx:
    """A look of three trials: the posterior protocol's prob, and a predictive hook."""

    def __init__(self, mean, sd):
        z = np.zeros((len(mean), 1))
        self.posterior = NormalLogHRPosterior(np.asarray(mean), np.asarray(sd), z, z, z + 1)

    def prob(self, quantity, direction, value, **selectors):
        return self.posterior.prob(quantity, direction, value, **selectors)

    def predictive_success(self, rule, draws):
        return np.array([0.05, 0.5, 0.95])


def test_printing():
    a = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)
    b = PosteriorProbability("hazard_ratio", "<", 0.8, threshold=0.5)
    c = PosteriorProbability("risk_difference", ">", 0, threshold=0.9)
    assert str(a) == "P(HR < 1 | data) > 0.975"
    assert str(c) == "P(p_T - p_C > 0 | data) > 0.9"
    assert str(a & b) == "P(HR < 1 | data) > 0.975 and P(HR < 0.8 | data) > 0.5"
    assert (
        str((a & b) | a)
        == "(P(HR < 1 | data) > 0.975 and P(HR < 0.8 | data) > 0.5) or P(HR < 1 | data) > 0.975"
    )
    assert isinstance(a & b & a, AllOf) and len((a & b & a).rules) == 3
    assert isinstance(a | b, AnyOf)
    assert (
        str(PredictiveProbability(">", threshold=0.9, rule=b))
        == "P(final P(HR < 0.8 | data) > 0.5 | data) > 0.9"
    )
    assert "PosteriorProbability" in repr(a)


def test_evaluation():
    ctx = Ctx(mean=[-0.5, -0.1, 0.2], sd=[0.2, 0.2, 0.2])
    a = PosteriorProbability(
        "hazard_ratio", "<", 1, threshold=0.975
    )  # Phi(0.5 / 0.2) = 0.994 only for the first
    b = PosteriorProbability(
        "hazard_ratio", ">", 1, threshold=0.8
    )  # Phi(0.2 / 0.2) = 0.84 for the third
    assert a.evaluate(ctx).met.tolist() == [True, False, False]
    assert b.evaluate(ctx).met.tolist() == [False, False, True]
    assert (a | b).evaluate(ctx).met.tolist() == [True, False, True]
    assert (a & b).evaluate(ctx).met.tolist() == [False, False, False]
    assert PredictiveProbability("<", threshold=0.1).evaluate(ctx).met.tolist() == [True, False, False]
    assert PredictiveProbability(">", threshold=0.9).evaluate(ctx).met.tolist() == [False, False, True]
    assert (a & PredictiveProbability("<", threshold=0.1)).uses_predictive()
    assert (a | b).quantities() == {"hazard_ratio"}


def test_decisions_carry_the_probabilities_they_read():
    ctx = Ctx(mean=[-0.5, -0.1, 0.2], sd=[0.2, 0.2, 0.2])
    a = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)
    b = PosteriorProbability("hazard_ratio", "<", 0.8, threshold=0.5)
    d = a.evaluate(ctx)
    assert isinstance(d, Decision) and d.rule == "P(HR < 1 | data) > 0.975"
    np.testing.assert_array_equal(d.probability, ctx.prob("hazard_ratio", "<", 1.0))
    np.testing.assert_array_equal(d.met, d.probability > 0.975)
    with pytest.raises(TypeError, match="met"):
        bool(d)  # one decision per trial
    both = (a & b).evaluate(ctx)
    assert list(both.probabilities) == [str(a), str(b)]
    np.testing.assert_array_equal(both.met, a.evaluate(ctx).met & b.evaluate(ctx).met)
    with pytest.raises(SpecError, match="probabilities"):
        _ = both.probability


class Fitted:
    """A fitted study's posterior: one probability per question, as a Comparison answers."""

    def prob(self, quantity, direction, value, **selectors):
        assert (quantity, direction, value, selectors) == ("hazard_ratio", "<", 1.0, {})
        return 0.99


def test_a_rule_on_a_fitted_posterior_is_one_decision():
    rule = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)
    d = rule.evaluate(Fitted())
    assert d.met is True and bool(d) and d.probability == 0.99
    assert str(d) == "P(HR < 1 | data) > 0.975: met (probability 0.99)"
    assert not PosteriorProbability("hazard_ratio", "<", 1, threshold=0.995).evaluate(Fitted())
    with pytest.raises(SpecError, match="predictive rules apply inside simulate"):
        PredictiveProbability("<", threshold=0.1).evaluate(Fitted())
    with pytest.raises(SpecError, match="evaluate"):
        rule.evaluate(object())


def test_predictive_draws_validated():
    with pytest.raises(SpecError, match="draws"):
        PredictiveProbability("<", threshold=0.1, draws=1)
    with pytest.raises(SpecError, match="rule"):
        PredictiveProbability("<", threshold=0.1, rule=PredictiveProbability("<", threshold=0.1))
