"""``simulate``: run many randomized trials with Bayesian interim and final decisions."""

from __future__ import annotations

import math
import sys
import warnings
from typing import Literal

import numpy as np
import xarray as xr

from bayeshcc.design.design import Scenario, TrialDesign
from bayeshcc.design.engines import Engine, Posterior, get_engine
from bayeshcc.design.generate import (
    TRIALS_PER_STREAM,
    BlockRNG,
    analysis_schedule,
    generate,
    look_data,
)
from bayeshcc.design.oc import SimulationResult
from bayeshcc.design.predictive import _take, predictive_success
from bayeshcc.errors import SpecError

__all__ = ["expected_max_events", "simulate"]

#: Default bound on trial x patient x interval elements handled at once.
_CHUNK_ELEMENTS = 250_000


def _seed_sequence(
    seed: int | np.random.SeedSequence | np.random.Generator,
) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        # spawn a child so the generator's state counts: reusing one generator across calls
        # gives fresh streams, and the same generator state gives the same trials
        return seed.spawn(1)[0].bit_generator.seed_seq
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        return np.random.SeedSequence(int(seed))
    raise SpecError(
        f"seed: expected a non-negative integer, SeedSequence or Generator, got {seed!r}"
    )


def expected_max_events(design: TrialDesign, scenario: Scenario) -> float:
    """Expected number of events with unlimited follow-up (all patients, dropout competing).

    Notes
    -----
    Per arm, :math:`P(T < D) = (1 - \\pi)\\sum_j h_j e^{-H(c_j) - \\delta c_j}
    (1 - e^{-(h_j + \\delta) w_j}) / (h_j + \\delta)` for piecewise hazards :math:`h_j` on
    intervals of width :math:`w_j`, cure fraction :math:`\\pi` and dropout rate :math:`\\delta`.
    """
    cuts = np.asarray(scenario.cutpoints)
    widths = np.diff(np.append(cuts, np.inf))
    drop = design.dropout.rate if design.dropout is not None else (0.0, 0.0)
    probs = []
    for arm, h in enumerate(scenario.hazards()):
        cum = np.concatenate([[0.0], np.cumsum(h[:-1] * widths[:-1])])
        rate = h + drop[arm]
        with np.errstate(invalid="ignore"):
            piece = np.where(
                rate > 0,
                h
                * np.exp(-cum - drop[arm] * cuts)
                * -np.expm1(-rate * widths)
                / np.where(rate > 0, rate, 1.0),
                0.0,
            )
        probs.append((1 - scenario.cure_fraction[arm]) * piece.sum())
    p = design.p_treatment
    return design.n_patients * ((1 - p) * probs[0] + p * probs[1])


def _check(design: TrialDesign, scenario: Scenario, engine: Engine, n_trials: int) -> None:
    if not isinstance(design, TrialDesign):
        raise SpecError(f"design: expected a TrialDesign, got {type(design).__name__}")
    if not isinstance(scenario, Scenario):
        raise SpecError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials < 1:
        raise SpecError(f"n_trials: expected a positive integer, got {n_trials!r}")
    if design.endpoint == "response" and scenario.response_rates is None:
        raise SpecError("scenario.response_rates: the response endpoint needs true response rates")
    if design.endpoint == "survival":
        if not scenario.control_hazards:
            raise SpecError("scenario: the survival endpoint needs a control median or hazards")
        reach = expected_max_events(design, scenario)
        for i, a in enumerate(design.analyses):
            if a.events is not None and a.events > reach:
                raise SpecError(
                    f"TrialDesign.analyses[{i}].events: target {a.events} is above what the design can "
                    f"reach under this scenario (expected {reach:.1f} events with unlimited follow-up)"
                )
    engine.check(design)


class _Look:
    """What the rules see at one look for one chunk (LookContext)."""

    def __init__(self, design, engine, batch, cut, k, posterior, active, rng, stream_of) -> None:
        self.design, self.engine, self.batch, self.cut, self.k = design, engine, batch, cut, k
        self.posterior: Posterior = posterior
        self.active, self.rng, self.stream_of = active, rng, stream_of
        self.computed: np.ndarray | None = None

    def predictive_success(self, rule, draws: int) -> np.ndarray:
        rule = rule if rule is not None else self.design.success[-1]
        out = np.full(self.batch.n_trials, np.nan)
        # One stream per block of trials, so results do not depend on the chunk size.
        for b, gen in enumerate(self.rng.generators):
            idx = np.flatnonzero(self.active & (self.stream_of == b))
            if idx.size:
                out[idx] = predictive_success(
                    self.design,
                    self.engine,
                    _take(self.batch, idx),
                    self.cut[idx],
                    self.k,
                    self.posterior.subset(idx),
                    rule,
                    draws,
                    gen,
                )
        if self.computed is None:
            self.computed = out
        return out


def simulate(
    design: TrialDesign,
    scenario: Scenario,
    *,
    n_trials: int,
    seed: int | np.random.SeedSequence | np.random.Generator,
    engine: Literal["conjugate", "laplace", "mcmc"] | Engine = "laplace",
    progress: bool = True,
    chunk_size: int | None = None,
) -> SimulationResult:
    """Simulate ``n_trials`` randomized trials of ``design`` under ``scenario``.

    Parameters
    ----------
    design : TrialDesign
    scenario : Scenario
    n_trials : int
    seed : int, SeedSequence or Generator
        Each block of 250 trials gets its own stream spawned from it. A Generator is advanced
        (a child stream is spawned from it), so successive calls with one generator differ.
    engine : {"conjugate", "laplace", "mcmc"} or Engine, default "laplace"
        How the posterior at each look is computed (see :mod:`bayeshcc.design.engines`).
    progress : bool, default True
        Show a progress bar (only when stderr is a terminal and there is more than one chunk).
    chunk_size : int, optional
        Trials handled at once (rounded up to a multiple of 250); by default about 250,000 (cache-sized)
        trial x patient x interval elements, or Monte Carlo elements where the engine draws them
        (the conjugate engine's survival and RMST differences). Results do not depend on it.

    Returns
    -------
    SimulationResult

    Notes
    -----
    An event target that a trial never reaches (too few events ever occur) is analysed at the last
    event that occurs, once every patient has been followed to their event or dropout: fewer
    events than planned, and the longest possible duration. Such looks are flagged in
    ``trials["target_reached"]`` and counted in ``p_target_not_reached``; a look pushed past its own
    trigger by an earlier look (mixed triggers) is flagged in ``trials["look_delayed"]`` and
    counted in ``p_delayed``. Either raises a ``UserWarning`` naming the looks and counts.

    Each trial runs its looks in order; a trial stops at the first look whose success rule (checked
    first) or futility rule holds; at the final look a trial that does not succeed counts as
    futility. Trial ``i`` draws its random numbers from stream ``i // 250`` of
    ``SeedSequence(seed).spawn``, so the same seed gives the same trials for any chunk size.
    """
    eng = get_engine(engine)
    _check(design, scenario, eng, n_trials)
    eng.begin(design)
    root = _seed_sequence(seed)
    n_streams = math.ceil(n_trials / TRIALS_PER_STREAM)
    streams = [
        np.random.SeedSequence(
            root.entropy, spawn_key=(*root.spawn_key, i), pool_size=root.pool_size
        )
        for i in range(n_streams)
    ]
    if chunk_size is None:
        per_trial = max(design.n_patients * len(design.cutpoints), eng.work_per_trial(design))
        chunk_size = max(1, _CHUNK_ELEMENTS // per_trial)
    elif (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, (int, np.integer))
        or chunk_size < 1
    ):
        raise SpecError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    per_chunk = max(1, math.ceil(chunk_size / TRIALS_PER_STREAM))
    chunks = [list(range(s, min(s + per_chunk, n_streams))) for s in range(0, n_streams, per_chunk)]
    bar = None
    if progress and len(chunks) > 1 and sys.stderr.isatty():
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trials, unit="trial", desc="simulate")
    parts = []
    for chunk in chunks:
        sizes = [min(TRIALS_PER_STREAM, n_trials - s * TRIALS_PER_STREAM) for s in chunk]
        rng = BlockRNG([np.random.Generator(np.random.PCG64(streams[s])) for s in chunk], sizes)
        parts.append(_run_chunk(design, scenario, eng, rng))
        if bar is not None:
            bar.update(sum(sizes))
    if bar is not None:
        bar.close()
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    _warn_schedule(design, data)
    return SimulationResult(
        _dataset(design, data), design=design, scenario=scenario, engine=eng.name, seed=seed
    )


def _warn_schedule(design: TrialDesign, data: dict) -> None:
    """Say when looks did not happen as planned: event targets missed, looks pushed late."""
    n = data["decision"].shape[0]
    notes = []
    for k, a in enumerate(design.analyses):
        missed = data["target_reached"][:, k] == 0
        if missed.any():
            used = data["look_events"][missed, k]
            notes.append(
                f"analysis {k + 1}: {missed.sum()} of {n} trials never reached {a.events} events "
                f"and were analysed at the last event that occurred ({np.median(used):g} events, "
                f"median; range {used.min():g}-{used.max():g}), after following every patient"
            )
        late = data["look_delayed"][:, k] == 1
        if late.any():
            notes.append(
                f"analysis {k + 1} ({a}): {late.sum()} of {n} trials reached this trigger before "
                f"analysis {k} and had the look later, with analysis {k} (median calendar time "
                f"{np.median(data['look_time'][late, k]):.3g} months)"
            )
    if notes:
        warnings.warn(
            "looks did not happen as planned; see p_target_not_reached and p_delayed in "
            "operating_characteristics():\n  " + "\n  ".join(notes),
            UserWarning,
            stacklevel=3,
        )


def _run_chunk(design: TrialDesign, scenario: Scenario, engine: Engine, rng: BlockRNG) -> dict:
    batch = generate(design, scenario, rng)
    m, k_looks = batch.n_trials, len(design.analyses)
    stream_of = np.repeat(np.arange(len(rng.sizes)), rng.sizes)
    cuts, reached, delayed = analysis_schedule(design, batch)
    active = np.ones(m, dtype=bool)
    decision = np.zeros(m, dtype=np.int8)  # 1 success, -1 futility
    stop = np.zeros(m, dtype=np.int16)
    out: dict[str, np.ndarray] = {}

    def put(name: str, k: int, values: np.ndarray) -> None:
        # values: (trial,) or (trial, interval) for per-interval summaries
        arr = out.setdefault(name, np.full((m, k_looks, *values.shape[1:]), np.nan))
        arr[active, k] = values[active]

    for k in range(k_looks):
        data = look_data(
            design, batch, cuts[:, k], design.analyses[k], keep_patients=engine.needs_patients
        )
        post = engine.posterior(data, design, rng=rng)
        put("look_time", k, cuts[:, k])
        put("target_reached", k, reached[:, k].astype(float))
        put("look_delayed", k, delayed[:, k].astype(float))
        put("look_patients", k, data.enrolled.astype(float))
        put("look_events", k, data.total_events.astype(float))
        for name, values in post.summary().items():
            put(name, k, values)
        ctx = _Look(design, engine, batch, cuts[:, k], k, post, active, rng, stream_of)
        final = k == k_looks - 1
        win = np.zeros(m, dtype=bool)
        if design.success[k] is not None:
            win = design.success[k].evaluate(ctx) & active
        lose = active & ~win
        if not final:
            ctx.active = lose.copy()
            lose = lose & (
                design.futility[k].evaluate(ctx) if design.futility[k] is not None else False
            )
        if ctx.computed is not None:
            put("predictive_probability", k, ctx.computed)
        decision[win] = 1
        decision[lose] = -1
        stop[win | lose] = k + 1
        active &= ~(win | lose)
    idx = stop.astype(np.intp) - 1
    rows = np.arange(m)
    out["decision"] = decision
    out["stop_analysis"] = stop
    out["patients"] = out["look_patients"][rows, idx]
    out["events"] = out["look_events"][rows, idx]
    out["duration"] = out["look_time"][rows, idx]
    return out


_ATTRS = {
    "decision": {
        "description": "1 success, -1 futility (stopped at an interim or failed at the final)"
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
        "description": "1 if the look's trigger was met; 0 if its event target was never reached "
        "and the look used every event that occurred (NaN after stopping)"
    },
    "look_delayed": {
        "description": "1 if the previous look came after this look's own trigger, pushing it "
        "later (NaN after stopping)"
    },
    "log_hr_mean": {
        "description": "posterior mean of log HR (treatment vs control; per interval with the "
        "conjugate engine and several cutpoints)"
    },
    "log_hr_sd": {"description": "posterior sd of log HR"},
    "risk_difference_mean": {"description": "posterior mean of p_treatment - p_control"},
    "risk_difference_sd": {"description": "posterior sd of p_treatment - p_control"},
    "prob_benefit": {
        "description": "P(HR < 1 | data) (survival; per interval with the conjugate engine and "
        "several cutpoints) or P(p_t > p_c | data) (response)"
    },
    "predictive_probability": {
        "description": "predictive probability of final success (where computed)"
    },
}


def _dataset(design: TrialDesign, data: dict) -> xr.Dataset:
    n = data["decision"].shape[0]
    coords = {"trial": np.arange(n), "analysis": np.arange(1, len(design.analyses) + 1)}
    variables = {}
    for name, values in data.items():
        dims = ("trial", "analysis", "interval")[: values.ndim]
        variables[name] = xr.Variable(dims, values, attrs=_ATTRS.get(name, {}))
    if any(v.ndim == 3 for v in data.values()):
        cuts = design.cutpoints
        right = [*(f"{c:g}" for c in cuts[1:]), "inf"]
        coords["interval"] = [f"[{a:g}, {b})" for a, b in zip(cuts, right, strict=True)]
    return xr.Dataset(variables, coords=coords)
