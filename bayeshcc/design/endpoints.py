"""What differs between a survival and a response trial, in one place.

An endpoint says which analysis models and rule quantities a design may use, checks the design and
the scenario, generates each patient's outcome, summarises the data at a look, and continues a
running trial for predictive probabilities. :func:`endpoint_for` picks the endpoint once, from the
analysis model's ``endpoint`` (:data:`ENDPOINTS` is the registry); nothing else in the simulator
branches on the endpoint.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from bayeshcc import piecewise
from bayeshcc._random import BlockRNG
from bayeshcc.design._survival_arrays import survival_look, survival_outcomes
from bayeshcc.design._survival_predict import survival_final_data
from bayeshcc.design.batch import DesignLike, LookData, TrialBatch
from bayeshcc.design.conduct import Analysis, Dropout
from bayeshcc.design.design_prior import TrialTruths
from bayeshcc.design.generate import look_time
from bayeshcc.design.scenario import Scenario
from bayeshcc.errors import SpecError
from bayeshcc.models.binomial import BinomialResponse
from bayeshcc.models.piecewise_exponential import PiecewiseExponential
from bayeshcc.quantities import quantities_for

__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "ResponseEndpoint",
    "SurvivalEndpoint",
    "endpoint_for",
    "expected_max_events",
]

Rng = np.random.Generator | BlockRNG


class Endpoint(ABC):
    """One kind of trial outcome: its analysis models, checks, generation and look data."""

    name: ClassVar[str] = ""
    #: Analysis model classes the simulator analyses this endpoint with.
    models: ClassVar[tuple[type, ...]] = ()

    @property
    def quantities(self) -> set[str]:
        """Names of the registered quantities of this endpoint (:mod:`bayeshcc.quantities`)."""
        return quantities_for(self.name)

    def cutpoints(self, analysis: object) -> tuple[float, ...]:
        """The analysis model's intervals (``()`` when it has none)."""
        return ()

    @abstractmethod
    def check_design(
        self, *, analysis: object, dropout: Dropout | None, analyses: Sequence[Analysis]
    ) -> None:
        """Raise SpecError naming the ``TrialDesign`` field this endpoint cannot have."""

    @abstractmethod
    def check_scenario(self, design: DesignLike, scenario: Scenario) -> None:
        """Raise SpecError if ``scenario`` lacks the truth this endpoint needs."""

    @abstractmethod
    def outcomes(
        self, design: DesignLike, truth: Scenario | TrialTruths, treated: np.ndarray, rng: BlockRNG
    ) -> dict[str, np.ndarray]:
        """Each patient's outcome under ``truth``: the outcome fields of a TrialBatch.

        ``truth`` is a fixed scenario (the same truth in every trial) or each trial's own
        (:class:`~bayeshcc.design.design_prior.TrialTruths`, from a design prior).
        """

    @staticmethod
    def _check_weight(analysis: object) -> None:
        # A power-prior weight discounts a source study; a trial analyses its own data in full.
        w = getattr(analysis, "likelihood_weight", 1.0)
        if w != 1:
            raise SpecError(
                f"TrialDesign.analysis.likelihood_weight: {w:g} discounts a source study's likelihood "
                "(bh.PowerPrior); a trial's own analysis counts its data in full, so leave it at 1"
            )

    @abstractmethod
    def look_data(
        self,
        design: DesignLike,
        batch: TrialBatch,
        cut: np.ndarray,
        analysis: Analysis | None,
        *,
        keep_patients: bool = False,
    ) -> LookData:
        """Sufficient statistics at calendar time ``cut`` (one per trial)."""

    @abstractmethod
    def final_data(
        self,
        design: DesignLike,
        batch: TrialBatch,
        cut: np.ndarray,
        look: int,
        params: np.ndarray,
        rng: np.random.Generator,
    ) -> LookData:
        """The final analysis's data of each running trial continued once per posterior draw.

        ``params`` are posterior draws (``BatchPosterior.sample``, shape ``(trial, draw, ...)``);
        what is known at ``cut`` (look ``look``) is kept, the rest is drawn from ``params``, and
        the continued trial is cut at the final analysis's own trigger (not before ``cut``).
        Arrays have a leading ``trial * draw`` axis, trial-major.
        """

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SurvivalEndpoint(Endpoint):
    """Time to event with piecewise-exponential truth, cure, dropout and event-driven looks.

    Analysed with :class:`~bayeshcc.PiecewiseExponential` on its ``cutpoints``.
    """

    name = "survival"
    models = (PiecewiseExponential,)

    def cutpoints(self, analysis: PiecewiseExponential) -> tuple[float, ...]:
        return analysis.cutpoints

    def check_design(
        self, *, analysis: object, dropout: Dropout | None, analyses: Sequence[Analysis]
    ) -> None:
        """Fixed cutpoints (each simulated look is analysed on the same intervals); the model checks
        the rest (a per_arm model refuses a log_hr_prior itself)."""
        self._check_weight(analysis)
        if isinstance(analysis.cutpoints, str):
            raise SpecError(
                f"TrialDesign.analysis.cutpoints: a trial's looks are analysed on fixed intervals, got "
                f"{analysis.cutpoints!r}; give the interval starts, e.g. [0, 6, 12]"
            )

    def check_scenario(self, design: DesignLike, scenario: Scenario) -> None:
        if not scenario.control_hazards:
            source = f" ({scenario.prior.source})" if scenario.prior is not None else ""
            raise SpecError(f"scenario: the survival endpoint needs a control median or hazards; this scenario "
                            f"has response rates only{source}")
        if scenario.response_rates is not None:
            raise SpecError(
                "scenario.response_rates: the design's analysis is a survival model, so response "
                "rates would be ignored; leave them out (or analyse response with BinomialResponse; "
                "a joint scenario: scenario.for_endpoint('survival'), or bh.simulate_joint)"
            )
        reach = expected_max_events(design, scenario)
        for i, a in enumerate(design.analyses):
            if a.events is not None and a.events > reach:
                raise SpecError(
                    f"TrialDesign.analyses[{i}].events: target {a.events} is above what the design "
                    f"can reach under this scenario (expected {reach:.1f} events with unlimited "
                    "follow-up)"
                )

    def outcomes(
        self, design: DesignLike, truth: Scenario | TrialTruths, treated: np.ndarray, rng: BlockRNG
    ) -> dict[str, np.ndarray]:
        return survival_outcomes(design, truth, treated, rng)

    def look_data(
        self,
        design: DesignLike,
        batch: TrialBatch,
        cut: np.ndarray,
        analysis: Analysis | None,
        *,
        keep_patients: bool = False,
    ) -> LookData:
        cuts = np.asarray(self.cutpoints(design.analysis), dtype=float)
        return survival_look(batch, cut, cuts, keep_patients=keep_patients)

    def final_data(
        self,
        design: DesignLike,
        batch: TrialBatch,
        cut: np.ndarray,
        look: int,
        params: np.ndarray,
        rng: np.random.Generator,
    ) -> LookData:
        # Only patients at risk or not yet enrolled are simulated (see _survival_predict).
        cuts = np.asarray(self.cutpoints(design.analysis), dtype=float)
        return survival_final_data(design, batch, cut, params, rng, cuts)


class ResponseEndpoint(Endpoint):
    """Binary response assessed ``min_follow_up`` months after entry, in every enrolled patient.

    Analysed with :class:`~bayeshcc.BinomialResponse`; looks trigger on patients or months.
    """

    name = "response"
    models = (BinomialResponse,)

    def check_design(
        self, *, analysis: object, dropout: Dropout | None, analyses: Sequence[Analysis]
    ) -> None:
        self._check_weight(analysis)
        if dropout is not None:
            raise SpecError(
                "TrialDesign.dropout: the response endpoint assumes every enrolled patient is "
                f"assessed; dropout {dropout} would be ignored. Leave dropout=None (or inflate "
                "n_patients for non-evaluable patients)"
            )
        for i, a in enumerate(analyses):
            if a.events is not None:
                raise SpecError(
                    f"TrialDesign.analyses[{i}].events: the response endpoint has no events; "
                    "trigger on patients or months"
                )

    def check_scenario(self, design: DesignLike, scenario: Scenario) -> None:
        if scenario.response_rates is None:
            source = f" (this design prior has survival truths only: {scenario.prior.source})" \
                if scenario.prior is not None else ""
            raise SpecError(
                f"scenario.response_rates: the response endpoint needs true response rates{source}"
            )
        if scenario.control_hazards:
            raise SpecError(
                "scenario: the design's analysis is a response model, so the scenario's survival truths "
                "would be ignored; use scenario.for_endpoint('response') (or bh.simulate_joint)"
            )

    def outcomes(
        self, design: DesignLike, truth: Scenario | TrialTruths, treated: np.ndarray, rng: BlockRNG
    ) -> dict[str, np.ndarray]:
        rates = np.asarray(truth.response_rates)  # (arm,), or (trial, arm): each trial's own
        r_c, r_t = (rates[0], rates[1]) if rates.ndim == 1 else (rates[:, 0, None], rates[:, 1, None])
        p = np.where(treated, r_t, r_c)
        return {"response": rng.random(design.n_patients) < p}

    def look_data(
        self,
        design: DesignLike,
        batch: TrialBatch,
        cut: np.ndarray,
        analysis: Analysis | None,
        *,
        keep_patients: bool = False,
    ) -> LookData:
        n_enrolled = (batch.entry <= cut[..., None]).sum(axis=-1)
        tr = batch.treated
        delay = analysis.min_follow_up if analysis is not None else 0.0
        # Same expression as the patients-triggered cut (entry + delay), so no rounding loss.
        ev = batch.entry + delay <= cut[..., None]
        ev_t, ev_all = (ev & tr).sum(-1), ev.sum(-1)
        r = ev & batch.response
        r_t, r_all = (r & tr).sum(-1), r.sum(-1)
        return LookData(
            n_enrolled,
            evaluable=np.stack([ev_all - ev_t, ev_t], -1),
            responders=np.stack([r_all - r_t, r_t], -1),
        )

    def final_data(
        self,
        design: DesignLike,
        batch: TrialBatch,
        cut: np.ndarray,
        look: int,
        params: np.ndarray,
        rng: np.random.Generator,
    ) -> LookData:
        m, n = batch.entry.shape
        draws = params.shape[1]
        tr = batch.treated[:, None, :]
        known = batch.entry + design.analyses[look].min_follow_up <= cut[:, None]
        p = np.where(tr, params[:, :, None, 1], params[:, :, None, 0])
        new = rng.random((m, draws, n)) < p
        response = np.where(known[:, None, :], batch.response[:, None, :], new)
        rep = (m * draws, n)
        entry = np.broadcast_to(batch.entry[:, None, :], (m, draws, n)).reshape(rep)
        treated = np.broadcast_to(batch.treated[:, None, :], (m, draws, n)).reshape(rep)
        future = TrialBatch(entry, treated, response=response.reshape(rep))
        final = design.analyses[-1]
        final_cut = np.maximum(look_time(design, future, len(design.analyses) - 1), np.repeat(cut, draws))
        return self.look_data(design, future, final_cut, final)


#: Endpoint of each analysis model's ``endpoint``.
ENDPOINTS: dict[str, Endpoint] = {e.name: e for e in (SurvivalEndpoint(), ResponseEndpoint())}


def endpoint_for(analysis: object, field: str = "TrialDesign.analysis") -> Endpoint:
    """The endpoint an analysis model analyses, or SpecError naming ``field``."""
    endpoint = ENDPOINTS.get(getattr(type(analysis), "endpoint", None))
    if endpoint is None or not isinstance(analysis, endpoint.models):
        names = ", ".join(f"bh.{m.__name__}(...)" for e in ENDPOINTS.values() for m in e.models)
        raise SpecError(
            f"{field}: expected an analysis model the simulator computes ({names}), "
            f"got {analysis!r}"
        )
    return endpoint


def expected_max_events(design: DesignLike, scenario: Scenario) -> float:
    """Expected number of events with unlimited follow-up (all patients, dropout competing).

    Parameters
    ----------
    design : TrialDesign
    scenario : Scenario

    Returns
    -------
    float

    Notes
    -----
    Per arm, :math:`P(T < D) = (1 - \\pi)\\sum_j h_j e^{-H(c_j) - \\delta c_j}
    (1 - e^{-(h_j + \\delta) w_j}) / (h_j + \\delta)` for piecewise hazards :math:`h_j` on
    intervals of width :math:`w_j`, cure fraction :math:`\\pi` and dropout rate :math:`\\delta`.
    """
    cuts = np.asarray(scenario.cutpoints)
    drop = design.dropout.rate if design.dropout is not None else (0.0, 0.0)
    probs = [
        (1 - scenario.cure_fraction[arm]) * piecewise.event_probability(h, cuts, competing_rate=drop[arm])
        for arm, h in enumerate(scenario.hazards())
    ]
    p = design.p_treatment
    return design.n_patients * ((1 - p) * probs[0] + p * probs[1])
