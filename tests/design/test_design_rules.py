"""Rules print as what they mean and combine with & and |."""

import numpy as np
import pytest

from bayeshcc.design import AllOf, AnyOf, PosteriorProbability, PredictiveProbability
from bayeshcc.design.engines import NormalLogHRPosterior


class Ctx:
    def __init__(self, mean, sd):
        z = np.zeros((len(mean), 1))
        self.posterior = NormalLogHRPosterior(np.asarray(mean), np.asarray(sd), z, z, z + 1)

    def predictive_success(self, rule, draws):
        return np.array([0.05, 0.5, 0.95])


def test_printing():
    a = PosteriorProbability("hazard_ratio", "<", 1, prob=0.975)
    b = PosteriorProbability("hazard_ratio", "<", 0.8, prob=0.5)
    c = PosteriorProbability("risk_difference", ">", 0, prob=0.9)
    assert str(a) == "P(HR < 1 | data) > 0.975"
    assert str(c) == "P(risk difference > 0 | data) > 0.9"
    assert str(a & b) == "P(HR < 1 | data) > 0.975 and P(HR < 0.8 | data) > 0.5"
    assert (
        str((a & b) | a)
        == "(P(HR < 1 | data) > 0.975 and P(HR < 0.8 | data) > 0.5) or P(HR < 1 | data) > 0.975"
    )
    assert isinstance(a & b & a, AllOf) and len((a & b & a).rules) == 3
    assert isinstance(a | b, AnyOf)
    assert (
        str(PredictiveProbability(">", prob=0.9, rule=b))
        == "P(final P(HR < 0.8 | data) > 0.5 | data) > 0.9"
    )
    assert "PosteriorProbability" in repr(a)


def test_evaluation():
    ctx = Ctx(mean=[-0.5, -0.1, 0.2], sd=[0.2, 0.2, 0.2])
    a = PosteriorProbability(
        "hazard_ratio", "<", 1, prob=0.975
    )  # Phi(0.5 / 0.2) = 0.994 only for the first
    b = PosteriorProbability(
        "hazard_ratio", ">", 1, prob=0.8
    )  # Phi(0.2 / 0.2) = 0.84 for the third
    assert a.evaluate(ctx).tolist() == [True, False, False]
    assert b.evaluate(ctx).tolist() == [False, False, True]
    assert (a | b).evaluate(ctx).tolist() == [True, False, True]
    assert (a & b).evaluate(ctx).tolist() == [False, False, False]
    assert PredictiveProbability("<", prob=0.1).evaluate(ctx).tolist() == [True, False, False]
    assert PredictiveProbability(">", prob=0.9).evaluate(ctx).tolist() == [False, False, True]
    assert (a & PredictiveProbability("<", prob=0.1)).uses_predictive()
    assert (a | b).quantities() == {"hazard_ratio"}


def test_predictive_draws_validated():
    from bayeshcc.errors import SpecError

    with pytest.raises(SpecError, match="draws"):
        PredictiveProbability("<", prob=0.1, draws=1)
    with pytest.raises(SpecError, match="rule"):
        PredictiveProbability("<", prob=0.1, rule=PredictiveProbability("<", prob=0.1))
