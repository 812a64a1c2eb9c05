"""Design objects: validation names the field, printing says what a design means."""

import math

import pytest

from bayeshcc.design import (
    Accrual,
    Analysis,
    Dropout,
    PosteriorProbability,
    Scenario,
    TrialDesign,
    simulate,
)
from bayeshcc.design.trial import DEFAULT_ANALYSIS
from bayeshcc.errors import SpecError
from bayeshcc.models import Beta, BinomialResponse, Gamma, LogNormal, Normal, PiecewiseExponential

RULE = PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975)


def design(**overrides) -> TrialDesign:
    kwargs = dict(
        control="C",
        treatment="T",
        n_patients=200,
        accrual=Accrual(duration=12),
        analyses=[Analysis(events=60), Analysis(events=120)],
        success=RULE,
    )
    kwargs.update(overrides)
    return TrialDesign(**kwargs)


def test_valid_design_prints_its_looks_and_rules():
    text = str(design(futility=PosteriorProbability("hazard_ratio", ">", 1, threshold=0.8)))
    assert "analysis 1 (interim) at 60 events: success if P(HR < 1 | data) > 0.975" in text
    assert "futility if P(HR > 1 | data) > 0.8" in text
    assert "analysis 2 (final) at 120 events" in text
    assert "futility" not in text.splitlines()[-1]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"allocation": (0, 1)}, "allocation[0]"),
        ({"allocation": (1, -2)}, "allocation[1]"),
        ({"n_patients": 1}, "n_patients"),
        ({"analyses": [Analysis(events=60), Analysis(events=201)]}, "analyses[1].events"),
        ({"analyses": [Analysis(events=120), Analysis(events=60)]}, "analyses[1].events"),
        ({"analyses": [Analysis(patients=150), Analysis(patients=100)]}, "analyses[1].patients"),
        ({"analyses": []}, "analyses"),
        ({"success": PosteriorProbability("risk_difference", ">", 0, threshold=0.9)}, "success[0]"),
        ({"success": [RULE, None]}, "success"),
        ({"analysis": "pfs"}, "analysis"),
        ({"treatment": "C"}, "treatment"),
        ({"analysis": Beta(1, 1)}, "analysis"),
        ({"analysis": PiecewiseExponential(cutpoints=[0], control="T")}, "analysis.control"),
        ({"futility": [RULE, RULE]}, "futility[1]"),
        (
            {
                "analysis": BinomialResponse(),
                "dropout": Dropout(rate=0.05),
                "analyses": [Analysis(patients=200)],
                "success": PosteriorProbability("risk_difference", ">", 0, threshold=0.9),
            },
            "dropout",
        ),
    ],
)
def test_invalid_design_names_the_field(overrides, field):
    with pytest.raises(
        SpecError, match=f"TrialDesign.{field}".replace("[", r"\[").replace("]", r"\]")
    ):
        design(**overrides)


def test_response_endpoint_rejects_event_triggers():
    with pytest.raises(SpecError, match=r"analyses\[0\].events"):
        design(
            analysis=BinomialResponse(),
            success=PosteriorProbability("risk_difference", ">", 0, threshold=0.9),
        )


@pytest.mark.parametrize("cutpoints", [[0, 6, 3], [1, 6]])
def test_analysis_cutpoints_are_validated_by_the_model(cutpoints):
    with pytest.raises(SpecError, match="cutpoints"):
        design(analysis=PiecewiseExponential(cutpoints=cutpoints))


def test_default_analysis_is_the_vague_exponential_model():
    d = design()
    assert d.analysis == DEFAULT_ANALYSIS == PiecewiseExponential(
        cutpoints=[0],
        effect="proportional",
        baseline_prior=LogNormal(math.log(0.05), 10.0),
        log_hr_prior=Normal(0.0, 10.0),
    )
    assert str(d.endpoint) == "survival" and d.endpoint.cutpoints(d.analysis) == (0.0,)
    # The analysis model's control may be given when it is the design's.
    named = design(analysis=PiecewiseExponential(cutpoints=[0, 6], control="C"))
    assert named.analysis.control == "C"
    per_arm = design(analysis=PiecewiseExponential(cutpoints=[0], effect="per_arm",
                                                   baseline_prior=Gamma(0.001, 0.001)))
    assert "effect='per_arm'" in str(per_arm)


@pytest.mark.parametrize(
    ("factory", "field"),
    [
        (lambda: Accrual(rate=[-1.0]), "Accrual.rate"),
        (lambda: Accrual(rate=[2, 3], cutpoints=[0]), "Accrual.rate"),
        (lambda: Accrual(), "Accrual"),
        (lambda: Accrual(duration=0), "Accrual.duration"),
        (lambda: Dropout(rate=-0.1), "Dropout.rate"),
        (lambda: Dropout(proportion=1.2, by=12), r"Dropout.proportion\['control'\]"),
        (lambda: Dropout(proportion=0.1), "Dropout.by"),
        (lambda: Dropout(rate={"control": 0.1, "treated": 0.1}), "Dropout.rate"),
        (lambda: Analysis(events=10, months=3), "Analysis"),
        (lambda: Analysis(events=0), "Analysis.events"),
        (lambda: Analysis(events=2.5), "Analysis.events"),
        (lambda: Analysis(months=12, min_follow_up=3), "Analysis.min_follow_up"),
        (lambda: Scenario.fixed(median=-3), "Scenario.median"),
        (lambda: Scenario.fixed(hazards=[0.1, -0.1], cutpoints=[0, 6]), r"Scenario.hazards\[1\]"),
        (
            lambda: Scenario.fixed(median=10, hazard_ratio=[1, 0.5, 0.5], cutpoints=[0, 3]),
            "Scenario.hazard_ratio",
        ),
        (lambda: Scenario.fixed(median=10, cure_fraction=1.0), "Scenario.cure_fraction"),
        (
            lambda: Scenario.fixed(response_rates={"control": 0.2, "treatment": 1.4}),
            "Scenario.response_rates",
        ),
        (lambda: Normal(0.0, -1.0), "Normal: sigma"),
        (lambda: PosteriorProbability("hazard_ratio", "less", 1, threshold=0.9), "direction"),
        (lambda: PosteriorProbability("median", "<", 1, threshold=0.9), "quantity"),
        (lambda: PosteriorProbability("hazard_ratio", "<", 1, threshold=1.5), "threshold"),
        (lambda: PosteriorProbability("hazard_ratio", "<", 0, threshold=0.9), "value"),
    ],
)
def test_invalid_parts_name_the_field(factory, field):
    with pytest.raises(SpecError, match=field):
        factory()


def test_dropout_proportion_converts_to_rate():
    assert Dropout(proportion=0.05, by=12).rate[0] == pytest.approx(-math.log(0.95) / 12)
    d = Dropout(rate={"control": 0.01, "treatment": 0.02})
    assert d.rate == (0.01, 0.02)


def test_scenario_hazards_and_delayed_effect():
    s = Scenario.fixed(median=10, cutpoints=[0, 3], hazard_ratio=[1, 0.6])
    h = s.hazards()
    assert h[0] == pytest.approx([math.log(2) / 10] * 2)
    assert h[1] == pytest.approx([math.log(2) / 10, 0.6 * math.log(2) / 10])


def test_event_target_above_what_scenario_reaches_is_rejected_before_simulating():
    # Dropout competes with events: at most 200 * h / (h + 0.02) = 155 events with h = log 2 / 10.
    d = design(dropout=Dropout(rate=0.02), analyses=[Analysis(events=60), Analysis(events=190)])
    with pytest.raises(SpecError, match=r"analyses\[1\].events: target 190 is above .* 155.2"):
        simulate(d, Scenario.fixed(median=10), n_trials=10, seed=1, progress=False)
    # Half the patients are cured: at most 100 events.
    with pytest.raises(SpecError, match=r"analyses\[1\].events: target 120 is above .* 100.0"):
        simulate(design(), Scenario.fixed(median=10, cure_fraction=0.5), n_trials=10, seed=1)


def test_simulate_rejects_bad_arguments():
    d = design()
    s = Scenario.fixed(median=10)
    with pytest.raises(SpecError, match="n_trials"):
        simulate(d, s, n_trials=0, seed=1)
    with pytest.raises(SpecError, match="seed"):
        simulate(d, s, n_trials=10, seed=-1)
    with pytest.raises(SpecError, match="engine"):
        simulate(d, s, n_trials=10, seed=1, engine="gibbs")
    with pytest.raises(SpecError, match="response_rates"):
        simulate(
            design(
                analysis=BinomialResponse(),
                analyses=[Analysis(patients=100), Analysis(patients=200)],
                success=PosteriorProbability("risk_difference", ">", 0, threshold=0.9),
            ),
            s,
            n_trials=10,
            seed=1,
        )
    per_arm = PiecewiseExponential(
        cutpoints=[0, 6], effect="per_arm", baseline_prior=Gamma(0.001, 0.001)
    )
    with pytest.raises(SpecError, match="cutpoints"):
        simulate(design(analysis=per_arm), s, n_trials=10, seed=1, engine="conjugate")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"allocation": (1, 5), "n_patients": 4}, r"TrialDesign\.allocation: 5:1 .* leave the control arm"),
        ({"allocation": (1, 1), "n_patients": 10, "randomization": "simple"}, r"probability 0\.002"),
        ({"success": PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
          "futility": [PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975), None],
          "analyses": [Analysis(events=50), Analysis(events=100)]}, r"TrialDesign\.futility\[0\]: the same rule"),
    ],
)
def test_nonsense_designs_are_refused(kwargs, message):
    base = {"control": "C", "treatment": "T", "n_patients": 200, "accrual": Accrual(rate=10),
            "analyses": [Analysis(events=100)], "success": RULE}
    with pytest.raises(SpecError, match=message):
        TrialDesign(**{**base, **kwargs})


@pytest.mark.parametrize("threshold", [0, 1, 0.0, 1.0])
def test_a_threshold_of_0_or_1_decides_nothing(threshold):
    with pytest.raises(SpecError, match="strictly between 0 and 1"):
        PosteriorProbability("hazard_ratio", "<", 1, threshold=threshold)


def test_response_rates_in_a_survival_scenario_are_refused():
    design = TrialDesign(control="C", treatment="T", n_patients=100, accrual=Accrual(rate=10),
                         analyses=[Analysis(events=40)], success=RULE)
    scenario = Scenario.fixed(median=10, response_rates={"control": 0.2, "treatment": 0.3})
    with pytest.raises(SpecError, match="scenario.response_rates: the design's analysis is a survival model"):
        simulate(design, scenario, n_trials=10, seed=1)
