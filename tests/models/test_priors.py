import pytest

import bayeshcc as bh
from bayeshcc.models.priors import prior_from_dict


def test_prior_from_dict_and_str():
    p = prior_from_dict({"dist": "normal", "mu": 0, "sigma": 2}, field="model.priors.log_hr")
    assert p == bh.Normal(0, 2) and str(p) == "Normal(mu=0, sigma=2)"
    assert prior_from_dict(p.as_dict(), field="x") == p


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "cauchy"}, r"model.priors.x: unknown dist 'cauchy'"),
        ({"dist": "normal", "scale": 1}, r"unknown parameter\(s\) \['scale'\]"),
        ({"dist": "gamma", "alpha": -1, "beta": 1}, "alpha must be a finite number > 0"),
        ({"mu": 0}, "a prior is a table with 'dist'"),
    ],
)
def test_bad_priors(spec, message):
    with pytest.raises(bh.SpecError, match=message):
        prior_from_dict(spec, field="model.priors.x")
