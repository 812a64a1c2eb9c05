"""``--set KEY=VALUE`` overrides of spec fields."""

import pytest

from bayeshcc.errors import SpecError
from bayeshcc.specs.overrides import apply_overrides, parse_value


def test_values_parse_as_toml_else_text():
    assert parse_value("400") == 400
    assert parse_value("0.7") == 0.7
    assert parse_value("[1.0, 0.6]") == [1.0, 0.6]
    assert parse_value("true") is True
    assert parse_value('{ method = "power", a0 = 0.5 }') == {"method": "power", "a0": 0.5}
    assert parse_value("dask") == "dask"


def test_dotted_keys_and_list_indices_are_set_without_mutating_the_spec():
    raw = {"design": {"n_patients": 300, "analyses": [{"events": 100}, {"events": 200}]}, "scenario": {"median": 9.1}}
    out = apply_overrides(raw, ["design.n_patients=400", "design.analyses[1].events=250", "scenario.hazard_ratio=1.0"])
    assert out["design"]["n_patients"] == 400
    assert out["design"]["analyses"][1]["events"] == 250
    assert out["scenario"] == {"median": 9.1, "hazard_ratio": 1.0}
    assert raw["design"]["n_patients"] == 300 and "hazard_ratio" not in raw["scenario"]


def test_scenario_key_applies_to_every_listed_scenario_and_a_name_to_one():
    raw = {"scenarios": [{"name": "null", "hazard_ratio": 1.0}, {"name": "alt", "hazard_ratio": 0.7}]}
    every = apply_overrides(raw, ["scenario.median=12"])
    assert [s["median"] for s in every["scenarios"]] == [12, 12]
    one = apply_overrides(raw, ["scenarios.alt.hazard_ratio=0.6"])
    assert [s["hazard_ratio"] for s in one["scenarios"]] == [1.0, 0.6]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("design.n_patients", "expected KEY=VALUE"),
        ("design..x=1", "dotted key"),
        ("design.analyses[5].events=1", "does not exist"),
        ("scenarios.nope.median=1", "no scenario named 'nope'"),
        ("design.n_patients.x=1", "not a table"),
    ],
)
def test_bad_overrides_name_the_option(item, message):
    raw = {"design": {"n_patients": 300, "analyses": [{"events": 100}]}, "scenarios": [{"name": "null"}]}
    with pytest.raises(SpecError, match=message) as err:
        apply_overrides(raw, [item])
    assert "--set" in str(err.value)
