"""analyse_response: several criteria and response models side by side, checked before sampling."""

import numpy as np
import pytest
from scipy import stats

import bayeshcc as bh

P = np.array([[0.01, 0.04, 0.55, 0.40], [0.05, 0.35, 0.40, 0.20]])  # Sorafenib, FOLFOX-HAIC


@pytest.fixture
def study():
    return bh.datasets.load_huang2022()


@pytest.fixture
def fixed_ordinal(mock_sampler):
    """The ordinal model's MCMC replaced by fixed category probabilities (nothing compiles)."""
    return mock_sampler(lambda model, prepared, chains, draws, rng: {"probs": np.broadcast_to(P, (chains, draws, 2, 4))})


def test_both_criteria_and_both_models_in_one_table(study, fixed_ordinal):
    both = bh.analyse_response(study, criteria=["mRECIST", "RECIST"],
                               models=[bh.BinomialResponse(), bh.OrdinalResponse(effect="per_arm")],
                               treatment="FOLFOX-HAIC", control="Sorafenib", draws=2000, chains=4, seed=1)
    assert list(both.fits) == [("mRECIST", "binomial_response"), ("mRECIST", "ordinal_response"),
                               ("RECIST", "binomial_response"), ("RECIST", "ordinal_response")]
    assert len(fixed_ordinal.calls) == 2
    s = both.summary()
    assert list(s.columns[:4]) == ["criterion", "model", "not_evaluated", "quantity"]
    # the two models count a not-evaluated patient differently, and the table says so
    assert dict(zip(s["model"], s["not_evaluated"], strict=True)) == {
        "binomial_response": "counted as non-responders", "ordinal_response": "excluded"}
    rd = s[s.quantity == "risk_difference"].set_index("criterion")["mean"]
    # exact Beta(1 + y, 1 + n - y) per arm; 8000 independent draws: 4 sds of the mean
    for crit, (yt, nt), (yc, nc) in (("RECIST", (18, 55), (1, 59)), ("mRECIST", (22, 55), (2, 59))):
        t, c = stats.beta(1 + yt, 1 + nt - yt), stats.beta(1 + yc, 1 + nc - yc)
        assert rd[crit] == pytest.approx(t.mean() - c.mean(), abs=4 * np.sqrt((t.var() + c.var()) / 8000))
    orr = s[(s.quantity == "objective_response_difference")].set_index("criterion")["median"]
    assert orr.to_dict() == pytest.approx({"mRECIST": 0.35, "RECIST": 0.35})
    assert set(both.diagnostics_table()["criterion"]) == {"RECIST", "mRECIST"}
    assert "ResponseAnalysis(mRECIST binomial_response" in repr(both)


def test_defaults_take_every_criterion_and_one_table_is_keyed_by_its_criterion(study, fixed_ordinal):
    both = bh.analyse_response(study, draws=10, chains=1, seed=2)
    assert {c for c, _ in both.fits} == {"RECIST", "mRECIST"}
    assert {m for _, m in both.fits} == {"binomial_response", "ordinal_response"}
    one = bh.analyse_response(study.ordinal_response["RECIST"], models=[bh.BinomialResponse()], draws=10, chains=1, seed=2)
    assert list(one.fits) == [("RECIST", "binomial_response")]
    assert one.fits[("RECIST", "binomial_response")].data.n == {"FOLFOX-HAIC": 55, "Sorafenib": 59}


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"criteria": ["RECIST", "iRECIST"]}, bh.SpecError, r"criteria: \['iRECIST'\] are not criteria"),
    ({"criteria": "RECIST"}, bh.SpecError, "criteria: expected a non-empty list"),
    ({"models": [bh.OrdinalResponse(), bh.OrdinalResponse(effect="per_arm")]}, bh.SpecError,
     "models\\[1\\]: a second ordinal_response model"),
    ({"models": [bh.PiecewiseExponential(cutpoints=[0])]}, bh.SpecError, r"models\[0\]: expected a response model"),
    ({"control": "Placebo"}, bh.DataError, r"analyse_response \('RECIST', binomial_response\): .*control"),
    ({"models": [bh.OrdinalResponse(responders=["CR", "PR", "XX"], disease_control=["CR", "PR", "SD", "XX"])]},
     bh.DataError, r"\('RECIST', ordinal_response\): responders: categories \['XX'\]"),
    ({"prob": 1.5}, bh.SpecError, "prob"),
    ({"draws": 0}, bh.SpecError, "draws must be a whole number"),
])
def test_bad_settings_are_refused_before_anything_is_sampled(study, fixed_ordinal, kwargs, error, message):
    with pytest.raises(error, match=message):
        bh.analyse_response(study, **{"criteria": ["RECIST", "mRECIST"], **kwargs})
    assert fixed_ordinal.calls == []


def test_a_binary_table_cannot_feed_an_ordinal_model(study, fixed_ordinal):
    with pytest.raises(bh.DataError, match="OrdinalResponse fits OrdinalData, got BinaryData"):
        bh.analyse_response(study.response, models=[bh.BinomialResponse(), bh.OrdinalResponse()])
    assert fixed_ordinal.calls == []
