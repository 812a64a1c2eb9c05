"""``simulate``: run many randomized trials with Bayesian interim and final decisions.

``simulate`` = plan (validate, the root seed, chunks of blocks of trials) + :func:`run_chunk` (pure
and picklable: a chunk's trials from their own streams) + assemble (the per-trial dataset).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np

from bayeshcc import _random
from bayeshcc._random import BlockRNG
from bayeshcc.conjugate import BatchPosterior
from bayeshcc.design.backends import Backend, plan_chunks, resolve_backend, run_tasks
from bayeshcc.design.batch import TrialBatch, take
from bayeshcc.design.design_prior import draw_truths, final_estimates, truth_record
from bayeshcc.design.engines import Engine, get_engine
from bayeshcc.design.generate import analysis_schedule, generate, look_data
from bayeshcc.design.oc import SimulationResult, trials_dataset
from bayeshcc.design.predictive import predictive_success
from bayeshcc.design.rules import Rule
from bayeshcc.design.scenario import Scenario
from bayeshcc.design.trial import TrialDesign
from bayeshcc.errors import SparseLookWarning, SpecError

__all__ = ["Look", "run_chunk", "simulate"]

#: Default bound on trial x patient x interval elements handled at once.
_CHUNK_ELEMENTS = 250_000


class Look:
    """What the rules see at one look of a chunk of trials.

    Answers ``prob`` (the :class:`~bayeshcc.quantities.Posterior` protocol, delegated to the
    engine's posterior) and ``predictive_success`` (for predictive-probability rules).
    """

    def __init__(
        self,
        design: TrialDesign,
        engine: Engine,
        batch: TrialBatch,
        cut: np.ndarray,
        k: int,
        posterior: BatchPosterior,
        active: np.ndarray,
        rng: BlockRNG,
    ) -> None:
        self.design, self.engine, self.batch, self.cut, self.k = design, engine, batch, cut, k
        self.posterior = posterior
        self.active, self.rng = active, rng
        self.stream_of = np.repeat(np.arange(len(rng.sizes)), rng.sizes)
        self.computed: np.ndarray | None = None

    def prob(self, quantity: str, direction: str, value: float, **selectors) -> np.ndarray:
        """``P(quantity <direction> value | data)`` per trial."""
        return self.posterior.prob(quantity, direction, value, **selectors)

    def predictive_success(self, rule: Rule | None, draws: int) -> np.ndarray:
        """Probability per active trial that the final analysis meets ``rule`` (NaN elsewhere)."""
        rule = rule if rule is not None else self.design.success[-1]
        out = np.full(self.batch.n_trials, np.nan)
        # One stream per block of trials, so results do not depend on the chunk size.
        for b, gen in enumerate(self.rng.generators):
            idx = np.flatnonzero(self.active & (self.stream_of == b))
            if idx.size:
                out[idx] = predictive_success(
                    self.design,
                    self.engine,
                    take(self.batch, idx),
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


#: Largest ``n_trials`` of one run: its per-trial results (about 1 kB a trial) must fit in memory.
MAX_TRIALS = 10_000_000


def _check(design: TrialDesign, scenario: Scenario, engine: Engine, n_trials: int) -> None:
    if not isinstance(design, TrialDesign):
        raise SpecError(f"design: expected a TrialDesign, got {type(design).__name__}")
    if not isinstance(scenario, Scenario):
        raise SpecError(f"scenario: expected a Scenario, got {type(scenario).__name__}")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int | np.integer) or n_trials < 1:
        raise SpecError(f"n_trials: expected a positive integer, got {n_trials!r}")
    if n_trials > MAX_TRIALS:
        raise SpecError(
            f"n_trials: {n_trials:,} exceeds the limit of {MAX_TRIALS:,} trials per run (the per-trial "
            "results alone would not fit in memory); split the work into campaigns"
        )
    design.endpoint.check_scenario(design, scenario)
    engine.check(design)


def simulate(
    design: TrialDesign,
    scenario: Scenario,
    *,
    n_trials: int,
    seed: int | np.random.SeedSequence | np.random.Generator,
    engine: Literal["conjugate", "laplace", "mcmc"] | Engine = "laplace",
    progress: bool = True,
    chunk_size: int | None = None,
    backend: Backend = "local",
    workers: int | None = None,
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
        How the posterior at each look is computed; each engine computes some analysis models
        (``design.analysis``) and refuses others before simulating (see
        :mod:`bayeshcc.design.engines`).
    progress : bool, default True
        Show a progress bar (only when stderr is a terminal and there is more than one chunk).
    chunk_size : int, optional
        Trials handled at once (rounded up to a multiple of 250); by default about 250,000
        (cache-sized) trial x patient x interval elements, or Monte Carlo elements where the engine
        draws them (the conjugate engine's survival and RMST differences). Results do not depend
        on it.
    backend : {"local", "dask"}, str, distributed.Client or None, default "local"
        Where the chunks run: ``"local"`` (None) in this process (``workers=1``) or in ``workers``
        local processes; ``"dask"`` on an embedded ``dask.distributed`` LocalCluster of ``workers``
        processes; a scheduler address (``"tcp://host:8786"``) or a ``distributed.Client`` on an
        existing Dask cluster (see :mod:`bayeshcc.design.backends` for pointing it at one). The
        trials do not depend on it.
    workers : int, optional
        Worker processes: local default 1 (in this process), embedded Dask default one per CPU;
        None with a scheduler address or Client.

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
    first) or futility rule holds (``rule.evaluate(look).met``, the same call as on a fitted
    study); at the final look a trial that does not succeed counts as futility. Trial ``i`` draws
    its random numbers from stream ``i // 250`` of ``SeedSequence(seed).spawn``, so the same seed
    gives the same trials for any chunk size.
    """
    eng = get_engine(engine)
    _check(design, scenario, eng, n_trials)
    chunks = plan_chunks(design, eng, n_trials, chunk_size, elements=_CHUNK_ELEMENTS)
    runner = resolve_backend(backend, workers)
    root = _random.seed_sequence(seed)
    tasks = [(design, scenario, eng, root, chunk) for chunk in chunks]
    parts: list = [None] * len(chunks)
    sizes = [sum(size for _, size in chunk) for chunk in chunks]
    for i, part in run_tasks(runner, run_chunk, tasks, progress=progress, weights=sizes):
        parts[i] = part
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    _warn_schedule(design, data)
    _warn_sparse(design, data)
    return SimulationResult(
        trials_dataset(design, data), design=design, scenario=scenario, engine=eng.name, seed=seed
    )


def run_chunk(
    design: TrialDesign,
    scenario: Scenario,
    engine: Engine,
    root_seed: np.random.SeedSequence,
    blocks: Sequence[tuple[int, int]],
) -> dict[str, np.ndarray]:
    """Simulate one chunk of trials: a pure function of its arguments (picklable, for workers).

    Parameters
    ----------
    design : TrialDesign
    scenario : Scenario
    engine : Engine
    root_seed : numpy.random.SeedSequence
        The run's root; block ``i`` draws from its child with spawn key ``i``.
    blocks : sequence of (int, int)
        ``(index, number of trials)`` of each block of the chunk, in order
        (:func:`bayeshcc._random.blocks`).

    Returns
    -------
    dict of str -> ndarray
        Per-trial outcomes (``decision``, ``stop_analysis``, ``patients``, ``events``,
        ``duration``, the true values ``true_*`` (and ``truth_draw`` with a design prior), the
        final effect estimate ``estimated_*``) and per-look values, shape
        ``(trial, analysis[, interval])``, NaN after a trial stopped.
    """
    rng = _random.chunk_rng(root_seed, list(blocks))
    # A design prior's truths come from streams of their own, so the outcome streams are unchanged.
    truth = draw_truths(scenario.prior, root_seed, blocks) if scenario.prior is not None else None
    batch = generate(design, scenario, rng, truth=truth)
    m, k_looks = batch.n_trials, len(design.analyses)
    cuts, reached, delayed = analysis_schedule(design, batch)
    active = np.ones(m, dtype=bool)
    decision = np.zeros(m, dtype=np.int8)  # 1 success, -1 futility (interim), 0 no success at final
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
        post = engine.posterior(data, design, rng=rng, active=active)
        put("look_time", k, cuts[:, k])
        put("target_reached", k, reached[:, k].astype(float))
        put("look_delayed", k, delayed[:, k].astype(float))
        put("look_patients", k, data.enrolled.astype(float))
        put("look_events", k, data.total_events.astype(float))
        per_interval = getattr(design.analysis, "effect", None) == "per_arm"
        put("look_sparse", k, data.sparse(per_interval).astype(float))
        for name, values in post.summary().items():
            put(name, k, values)
        look = Look(design, engine, batch, cuts[:, k], k, post, active, rng)
        final = k == k_looks - 1
        win = np.zeros(m, dtype=bool)
        if design.success[k] is not None:
            win = design.success[k].evaluate(look).met & active
        lose = active & ~win
        if not final:
            look.active = lose.copy()
            rule = design.futility[k]
            lose = lose & rule.evaluate(look).met if rule is not None else np.zeros(m, dtype=bool)
        if look.computed is not None:
            put("predictive_probability", k, look.computed)
        decision[win] = 1
        if not final:  # failing the final rule is "no success", not a futility stop
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
    out.update(truth_record(design.endpoint.name, scenario, truth, m))
    out.update(final_estimates(out, stop))
    return out


def _warn_schedule(design: TrialDesign, data: dict) -> None:
    """Say when looks did not happen as planned: event targets missed, looks pushed late."""
    n = data["decision"].shape[0]
    notes = []
    for k, a in enumerate(design.analyses):
        missed = data["target_reached"][:, k] == 0
        if missed.any() and a.max_months is None:  # with max_months the cap is the protocol's
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


def _warn_sparse(design: TrialDesign, data: dict) -> None:
    """Say when trials stopped on a look whose posterior rested on the prior for some arm."""
    n = data["decision"].shape[0]
    notes = []
    for k, a in enumerate(design.analyses):
        here = (data["stop_analysis"] == k + 1) & (data["decision"] != 0) & (data["look_sparse"][:, k] == 1)
        if here.any():
            kinds = {1: "success", -1: "futility"}
            split = ", ".join(f"{(data['decision'][here] == v).sum()} {w}" for v, w in kinds.items()
                              if (data["decision"][here] == v).any())
            notes.append(f"analysis {k + 1} ({a}): {here.sum()} of {n} trials stopped ({split}) on data with "
                         "an arm (or an arm's interval) without events")
    if notes:
        warnings.warn(
            "decisions taken where the data leave an arm to the analysis prior (see trials['look_sparse']); "
            "a later first look, or a rule that needs events in both arms, avoids them:\n  " + "\n  ".join(notes),
            SparseLookWarning,
            stacklevel=3,
        )
