"""Fit specs with several models (``[[model]]``): one per family, each fitted to every dataset."""

import pytest

from bayeshcc.data import BinaryData, OrdinalData
from bayeshcc.errors import SpecError
from bayeshcc.specs.fit import load_fit_spec

DATA = '[data]\ndataset = "huang2022"\nendpoint = "ordinal_response"\ncriteria = ["RECIST", "mRECIST"]\n'
BINARY = '[[model]]\nfamily = "binomial_response"\n'
ORDINAL = '[[model]]\nfamily = "ordinal_response"\neffect = "per_arm"\n'


def spec(tmp_path, body):
    p = tmp_path / "spec.toml"
    top, _, tables = body.rpartition("#tables\n")  # top-level keys go before [data]
    p.write_text(top + DATA + tables)
    return p


def test_each_model_runs_on_each_criterion_with_the_data_it_fits(tmp_path):
    s = load_fit_spec(spec(tmp_path, BINARY + ORDINAL + '[compare]\ntreatment = "FOLFOX-HAIC"\n'))
    assert list(s.models) == ["binomial_response", "ordinal_response"]
    assert [r.key for r in s.runs] == ["RECIST/binomial_response", "RECIST/ordinal_response",
                                       "mRECIST/binomial_response", "mRECIST/ordinal_response"]
    kinds = {r.key: type(r.data) for r in s.runs}
    assert kinds["mRECIST/binomial_response"] is BinaryData and kinds["mRECIST/ordinal_response"] is OrdinalData
    binary = next(r.data for r in s.runs if r.key == "mRECIST/binomial_response")
    assert binary.responders == {"FOLFOX-HAIC": 22, "Sorafenib": 2} and binary.n == {"FOLFOX-HAIC": 55, "Sorafenib": 59}
    assert binary.control == "Sorafenib"


def test_one_model_keeps_the_dataset_keys(tmp_path):
    s = load_fit_spec(spec(tmp_path, '[model]\nfamily = "binomial_response"\n'))
    assert [r.key for r in s.runs] == ["RECIST", "mRECIST"] and s.model.family == "binomial_response"
    assert isinstance(s.data["RECIST"], BinaryData)


@pytest.mark.parametrize(("body", "message"), [
    (BINARY + ORDINAL + '[[model]]\nfamily = "ordinal_response"\n', r"'model\[2\].family': a second 'ordinal_response'"),
    (BINARY + '[[model]]\nfamily = "ordinal_response"\nprior = 1\n', r"unknown key 'model\[1\].prior' for family 'ordinal_response'"),
    (BINARY + '[[model]]\nfamily = "ordinal_response"\ncontrol = "Placebo"\n', r"'model\[1\].control' \(RECIST, ordinal_response\): unknown arm\(s\) \['Placebo'\]"),
    (BINARY + ORDINAL + '[compare]\ntimes = [6]\n', r"unknown key 'compare.times'; expected one of \['control', 'prob', 'treatment'\]"),
    (BINARY + ORDINAL + '[compare]\ntreatment = "HAIC"\n', r"'compare.treatment' \(RECIST, binomial_response\): unknown arm\(s\) \['HAIC'\]"),
    (BINARY + ORDINAL + '[fit]\nsampler = "exact"\n', r"'fit.sampler' must be one of \['nutpie', 'pymc'\] for family 'ordinal_response'"),
    (BINARY + '[fit]\nsampler = "pymc"\n', r"'fit.sampler' must be one of \['exact'\] for family 'binomial_response'"),
    ('model = []\n#tables\n', r"'model' must be a table, or an array of tables"),
    ('model = [1]\n#tables\n', r"'model\[0\]' must be a table"),
])
def test_bad_model_lists_name_the_entry(tmp_path, body, message):
    with pytest.raises(SpecError, match=message):
        load_fit_spec(spec(tmp_path, body))


def test_the_sampler_applies_to_the_mcmc_models(tmp_path):
    s = load_fit_spec(spec(tmp_path, BINARY + ORDINAL + '[fit]\nsampler = "nutpie"\n'))
    assert s.fit["sampler"] == "nutpie"


def test_a_compare_key_only_some_models_take_names_those_that_lack_it(tmp_path):
    text = """
[data]
dataset = "synthetic_huang2022"
seed = 1
[[model]]
family = "cox_ph"
formula = "arm + pvtt"
cutpoints = [0, 6, 12]
[[model]]
family = "piecewise_exponential"
cutpoints = [0, 6, 12]
[compare]
memory_budget = 1000000
"""
    path = tmp_path / "mixed.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=r"'compare.memory_budget': taken by \['cox_ph'\] but not by \['piecewise_exponential'\]"):
        load_fit_spec(path)
