"""Simulation results and their operating characteristics."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

from bayeshcc.design._mcse import _mean, _proportion
from bayeshcc.design.assurance_tables import assurance_table, estimates_among_successes
from bayeshcc.quantities import interval_label

if TYPE_CHECKING:
    from bayeshcc.design.scenario import Scenario
    from bayeshcc.design.trial import TrialDesign

__all__ = ["OC_COLUMNS", "SimulationResult", "operating_characteristics", "trials_dataset"]

OC_COLUMNS = (
    "p_success",
    "p_futility",
    "p_no_success_final",
    "expected_patients",
    "expected_events",
    "expected_duration_months",
    "p_target_not_reached",
    "p_delayed",
)


def _flag_rate(trials: xr.Dataset, name: str, k, bad: int) -> tuple[float, float]:
    # Proportion of all trials whose look k (any look when k is None) has flag value ``bad``.
    if name not in trials:  # results written before the flag existed
        return np.nan, np.nan
    flag = trials[name].values == bad
    if k is None:
        return _proportion(flag.any(axis=1))
    return _proportion(flag[:, list(trials["analysis"].values).index(k)])


def operating_characteristics(trials: xr.Dataset) -> pd.DataFrame:
    """Operating characteristics from per-trial outcomes.

    Parameters
    ----------
    trials : xarray.Dataset
        ``SimulationResult.trials``.

    Returns
    -------
    pandas.DataFrame
        Indexed by analysis number and ``"overall"``. Per analysis: probability of stopping there
        for success / for futility (interim looks), of ending there without success
        (``p_no_success_final``: the final look's rule not met, which is not a futility stop), and
        the mean patients, events and calendar time (months) at that look among trials that reached
        it. Overall: the same three probabilities (they add to 1)
        and the means at the stopping look. ``p_target_not_reached``: proportion of trials whose
        look had an event target that was not reached: its ``max_months`` came first, or (without one)
        too few events ever occurred and it was analysed at the last event; ``p_delayed``: proportion whose look came after its own
        trigger because an earlier look was later (mixed triggers); overall, at any look. Each
        column has a ``_mcse`` companion (Monte Carlo standard error).

    Notes
    -----
    For a proportion :math:`\\hat p` over :math:`N` trials the MCSE is
    :math:`\\sqrt{\\hat p(1 - \\hat p)/N}`, except at :math:`\\hat p = 0` or 1, where that is 0: there it
    is the half-width of the Wilson score interval at :math:`z = 1`, :math:`1/(2(N + 1))` (about one
    standard error; an event never seen in :math:`N` trials is not impossible). For a mean it is the
    sample sd over :math:`\\sqrt{N}`.
    """
    decision = trials["decision"].values
    stop = trials["stop_analysis"].values
    rows, index = [], []
    for k in trials["analysis"].values:
        reached = trials["look_time"].sel(analysis=k).values
        ok = np.isfinite(reached)
        rows.append(
            [
                *_proportion((decision == 1) & (stop == k)),
                *_proportion((decision == -1) & (stop == k)),
                *_proportion((decision == 0) & (stop == k)),
                *_mean(trials["look_patients"].sel(analysis=k).values[ok]),
                *_mean(trials["look_events"].sel(analysis=k).values[ok]),
                *_mean(reached[ok]),
                *_flag_rate(trials, "target_reached", k, 0),
                *_flag_rate(trials, "look_delayed", k, 1),
            ]
        )
        index.append(int(k))
    rows.append(
        [
            *_proportion(decision == 1),
            *_proportion(decision == -1),
            *_proportion(decision == 0),
            *_mean(trials["patients"].values),
            *_mean(trials["events"].values),
            *_mean(trials["duration"].values),
            *_flag_rate(trials, "target_reached", None, 0),
            *_flag_rate(trials, "look_delayed", None, 1),
        ]
    )
    index.append("overall")
    columns = [c for name in OC_COLUMNS for c in (name, f"{name}_mcse")]
    table = pd.DataFrame(
        rows, index=pd.Index(index, name="analysis", dtype=object), columns=columns
    )
    keep = ("scenario", "design_prior", "discount", "looks", "engine", "seed")
    table.attrs.update(n_trials=int(decision.size), unit="months",
                       **{k: trials.attrs[k] for k in keep if k in trials.attrs})
    return table


class SimulationResult:
    """Outcome of :func:`~bayeshcc.design.simulate`.

    Attributes
    ----------
    trials : xarray.Dataset
        Per-trial outcomes with dims ``trial`` and ``analysis``: ``decision`` (1 success, -1
        futility at an interim, 0 no success at the final analysis), ``stop_analysis``, ``patients``, ``events``, ``duration`` (months) and, per look,
        ``look_time``, ``look_patients``, ``look_events``, ``target_reached`` and ``look_delayed``
        (flags, 1 or 0) and posterior summaries (NaN after a trial stopped); each trial's truth
        (``true_hazard_ratio`` and ``true_control_median``, or ``true_response_control`` and
        ``true_response_treatment``; with a design prior also ``truth_draw``, the index of its
        draw) and its final estimate (``estimated_hazard_ratio`` or ``estimated_risk_difference``).
        ``attrs`` state the scenario, its design prior and discount, engine and seed.
    design, scenario
        What was simulated.
    engine : str
    seed
    """

    def __init__(
        self,
        trials: xr.Dataset,
        *,
        design: TrialDesign,
        scenario: Scenario,
        engine: str,
        seed: object,
    ) -> None:
        self.trials = trials
        self.design = design
        self.scenario = scenario
        self.engine = engine
        self.seed = seed
        prior = getattr(scenario, "prior", None)
        trials.attrs.update(
            engine=engine,
            seed=str(seed),
            design=str(design),
            scenario=str(scenario),
            design_prior="none (fixed truth)" if prior is None else f"{prior.n_draws} draws from {prior.source}",
            discount="none" if prior is None or prior.discount is None else str(prior.discount),
            looks=" | ".join(str(a) for a in design.analyses),
            time_unit="months",
        )

    @property
    def n_trials(self) -> int:
        """Number of simulated trials."""
        return int(self.trials.sizes["trial"])

    def operating_characteristics(self) -> pd.DataFrame:
        """Operating characteristics table; see :func:`operating_characteristics`."""
        return operating_characteristics(self.trials)

    def assurance(self) -> pd.DataFrame:
        """Assurance (P(success) over the design prior) and the prior probability of benefit, with
        MCSEs; see :func:`~bayeshcc.design.assurance_tables.assurance_table`."""
        return assurance_table(self.trials)

    def estimates_among_successes(
        self, quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95)
    ) -> pd.DataFrame:
        """Quantiles of the final effect estimate of successful trials beside their true effect;
        see :func:`~bayeshcc.design.assurance_tables.estimates_among_successes`."""
        return estimates_among_successes(self.trials, quantiles)

    def to_netcdf(self, path: str | Path) -> None:
        """Write the per-trial outcomes (netCDF, via h5netcdf)."""
        self.trials.to_netcdf(path, engine="h5netcdf")

    def __repr__(self) -> str:
        oc = self.operating_characteristics()
        show = oc[[c for c in oc.columns if not c.endswith("_mcse")]]
        return (
            f"SimulationResult: {self.n_trials} trials, engine {self.engine!r}, seed {self.seed}\n"
            f"{self.design}\n{self.scenario}\n"
            f"Operating characteristics (time in months; MCSE in operating_characteristics()):\n"
            f"{show.to_string(float_format=lambda v: f'{v:.4g}')}"
        )


_ATTRS = {
    "decision": {
        "description": "1 success, -1 stopped for futility at an interim, 0 no success at the final "
        "analysis"
    },
    "stop_analysis": {"description": "analysis (1-based) at which the trial stopped"},
    "patients": {"description": "patients enrolled when the trial stopped"},
    "events": {"description": "events (survival) or responders (response) when the trial stopped"},
    "duration": {"description": "calendar time of the stopping analysis", "units": "months"},
    "look_time": {
        "description": "calendar time of each look (NaN after stopping)",
        "units": "months",
    },
    "look_patients": {"description": "patients enrolled at each look"},
    "look_events": {"description": "events (survival) or responders (response) at each look"},
    "target_reached": {
        "description": "1 if the look's trigger was met; 0 if its event target was not reached: "
        "its max_months came first, or (without one) too few events ever occurred and the look "
        "used every event (NaN after stopping)"
    },
    "look_delayed": {
        "description": "1 if the previous look came after this look's own trigger, pushing it "
        "later (NaN after stopping)"
    },
    "look_sparse": {
        "description": "1 if an arm had no events at the look (per-arm hazards: no events in some "
        "analysis interval the arm had reached; response: no evaluable patient), so its posterior "
        "there rested on the prior (NaN after stopping)"
    },
    "log_hr_mean": {
        "description": "posterior mean of log HR (treatment vs control; per interval where each "
        "analysis interval has its own HR)"
    },
    "log_hr_sd": {"description": "posterior sd of log HR"},
    "risk_difference_mean": {"description": "posterior mean of p_treatment - p_control"},
    "risk_difference_sd": {"description": "posterior sd of p_treatment - p_control"},
    "prob_benefit": {
        "description": "P(HR < 1 | data) (survival; per interval where each analysis interval has "
        "its own HR) or P(p_t > p_c | data) (response)"
    },
    "predictive_probability": {
        "description": "predictive probability of final success (where computed)"
    },
    "truth_draw": {"description": "index of the trial's truth among the design prior's draws"},
    "true_hazard_ratio": {
        "description": "the trial's true hazard ratio (treatment vs control; with period-specific "
        "ratios, their average weighted by the control arm's event probability per period)"
    },
    "true_control_median": {"description": "the trial's true control-arm median survival", "units": "months"},
    "true_response_control": {"description": "the trial's true control response rate"},
    "true_response_treatment": {"description": "the trial's true treatment response rate"},
    "estimated_hazard_ratio": {
        "description": "exp(posterior mean log HR) at the stopping look (per-interval HRs: their "
        "inverse-variance weighted mean on the log scale)"
    },
    "estimated_risk_difference": {"description": "posterior mean of p_treatment - p_control at the stopping look"},
}


def trials_dataset(design: TrialDesign, data: dict[str, np.ndarray]) -> xr.Dataset:
    """The per-trial outcomes of :func:`~bayeshcc.design.simulate` as a Dataset with named dims.

    Parameters
    ----------
    design : TrialDesign
    data : dict of str -> ndarray
        Arrays ``(trial,)``, ``(trial, analysis)`` or ``(trial, analysis, interval)``.

    Returns
    -------
    xarray.Dataset
        Dims ``trial``, ``analysis`` (1-based) and, where present, ``interval`` (labelled by its
        bounds, e.g. ``[0, 3)``).
    """
    n = data["decision"].shape[0]
    coords = {"trial": np.arange(n), "analysis": np.arange(1, len(design.analyses) + 1)}
    variables = {}
    for name, values in data.items():
        dims = ("trial", "analysis", "interval")[: values.ndim]
        variables[name] = xr.Variable(dims, values, attrs=_ATTRS.get(name, {}))
    if any(v.ndim == 3 for v in data.values()):
        cuts = design.endpoint.cutpoints(design.analysis)
        coords["interval"] = [interval_label(cuts, k) for k in range(len(cuts))]
    return xr.Dataset(variables, coords=coords)
