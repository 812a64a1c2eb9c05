"""Campaigns: one or many scenarios simulated on any backend, kept on disk chunk by chunk so that a
run killed part-way resumes where it stopped, bit for bit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, overload

import numpy as np

from bayeshcc import _random
from bayeshcc.design import _store
from bayeshcc.design.backends import Backend, plan_chunks, resolve_backend, run_tasks
from bayeshcc.design.engines import Engine, get_engine
from bayeshcc.design.oc import SimulationResult, trials_dataset
from bayeshcc.design.scenario import Scenario
from bayeshcc.design.simulate import (
    _CHUNK_ELEMENTS,
    _check,
    _warn_schedule,
    _warn_sparse,
    run_chunk,
)
from bayeshcc.design.trial import TrialDesign
from bayeshcc.errors import SpecError

__all__ = ["run_campaign"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class _Job:
    """One scenario of a campaign: what to run, where its files live, what is already done."""

    name: str
    scenario: Scenario
    chunks: list[list[tuple[int, int]]]
    path: Path | None = None
    manifest: dict | None = None
    parts: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    done_on_disk: set[int] = field(default_factory=set)

    def chunk_path(self, i: int) -> Path:
        return self.path / f"chunk-{i:05d}.npz"


@overload
def run_campaign(design: TrialDesign, scenarios: Scenario, **kwargs) -> SimulationResult: ...
@overload
def run_campaign(
    design: TrialDesign, scenarios: Mapping[str, Scenario], **kwargs
) -> dict[str, SimulationResult]: ...


def run_campaign(
    design: TrialDesign,
    scenarios: Scenario | Mapping[str, Scenario],
    *,
    n_trials: int,
    seed: int | np.random.SeedSequence | np.random.Generator,
    engine: Literal["conjugate", "laplace", "mcmc"] | Engine = "laplace",
    directory: str | Path | None = None,
    backend: Backend = "local",
    workers: int | None = None,
    resume: bool = True,
    chunk_size: int | None = None,
    progress: bool = True,
) -> SimulationResult | dict[str, SimulationResult]:
    """Simulate ``design`` under one or several scenarios, optionally kept on disk and resumable.

    Parameters
    ----------
    design : TrialDesign
    scenarios : Scenario or mapping of str to Scenario
        One scenario, or several by name (e.g. ``{"null": ..., "alternative": ...}``).
    n_trials : int
        Trials per scenario.
    seed : int, SeedSequence or Generator
        Every scenario is simulated with the same streams (common random numbers): each result
        equals ``simulate(design, scenario, seed=seed, ...)``. With ``directory``, an integer or a
        SeedSequence (a Generator's state cannot be named in a manifest).
    engine : {"conjugate", "laplace", "mcmc"} or Engine, default "laplace"
    directory : str or Path, optional
        Keep the campaign here: a ``manifest.json`` describing it (design, scenario, engine, seed,
        n_trials, chunk layout, bayeshcc version, each with a SHA-256 fingerprint) and one
        ``chunk-NNNNN.npz`` per finished chunk, each written whole or not at all (a temporary file
        in the same directory, then renamed). Several scenarios get a subdirectory each, named
        by the scenario (letters, digits, ``.``, ``_``, ``-``).
    backend : {"local", "dask"}, str, distributed.Client or None, default "local"
        Where the chunks of all scenarios run (see :mod:`bayeshcc.design.backends`).
    workers : int, optional
    resume : bool, default True
        Skip the chunks already in ``directory``. With ``resume=False`` a directory that holds
        finished chunks is refused (nothing is deleted).
    chunk_size : int, optional
        Trials per chunk (rounded up to whole blocks of 250); by default as :func:`simulate`, or
        the layout recorded in ``directory`` when resuming. Results do not depend on it.
    progress : bool, default True
        A progress bar (only when stderr is a terminal).

    Returns
    -------
    SimulationResult or dict of str to SimulationResult
        One result for one scenario, a dict by name for a mapping.

    Raises
    ------
    SpecError
        Before anything runs: a bad argument, or a ``directory`` holding another campaign (a
        different design, scenario, engine, seed, n_trials, chunk layout or bayeshcc version; the
        message says which and how to proceed) or chunk files without a manifest.

    Notes
    -----
    A run killed part-way loses only the chunks in progress; run the same call again to finish.
    The resumed result equals an uninterrupted run's bit for bit, because trial ``i`` draws from
    stream ``i // 250`` of the seed whichever chunk, process or run computes it.
    """
    eng = get_engine(engine)
    single = isinstance(scenarios, Scenario)
    named = {"scenario": scenarios} if single else _named(scenarios, directory is not None)
    for name, scenario in named.items():
        try:
            _check(design, scenario, eng, n_trials)
        except SpecError as err:
            raise SpecError(str(err) if single else f"scenarios[{name!r}]: {err}") from None
    if not isinstance(resume, bool):
        raise SpecError(f"resume: expected True or False, got {resume!r}")
    chunks = plan_chunks(design, eng, n_trials, chunk_size, elements=_CHUNK_ELEMENTS)
    runner = resolve_backend(backend, workers)
    if directory is not None and isinstance(seed, np.random.Generator):
        raise SpecError("seed: a Generator cannot be recorded in a campaign directory's manifest; "
                        "pass an integer seed (or a SeedSequence)")
    root = _random.seed_sequence(seed)
    jobs = [_Job(name, scenario, chunks) for name, scenario in named.items()]
    if directory is not None:
        _prepare(Path(directory), jobs, design, eng, root, n_trials, chunk_size, resume, single)

    tasks, owner = [], []
    for j, job in enumerate(jobs):
        for i, chunk in enumerate(job.chunks):
            if i not in job.done_on_disk:
                tasks.append((design, job.scenario, eng, root, chunk))
                owner.append((j, i))
    sizes = [sum(n for _, n in task[-1]) for task in tasks]
    for t, part in run_tasks(runner, run_chunk, tasks, progress=progress, weights=sizes,
                             desc="campaign"):
        job, i = jobs[owner[t][0]], owner[t][1]
        if job.path is not None:
            _write_chunk(job, i, part)
        job.parts[i] = part
    results = {job.name: _assemble(design, job, eng, seed) for job in jobs}
    return results["scenario"] if single else results


def _named(scenarios: object, on_disk: bool) -> dict[str, Scenario]:
    if not isinstance(scenarios, Mapping) or not scenarios:
        raise SpecError("scenarios: expected a Scenario or a non-empty mapping of names to "
                        f"Scenario, got {scenarios!r}")
    for name, scenario in scenarios.items():
        if not isinstance(name, str) or not name or (on_disk and not _NAME.match(name)):
            raise SpecError(
                f"scenarios: name {name!r} is not usable; expected a non-empty string"
                + (" of letters, digits, '.', '_' or '-' (it names a subdirectory)" if on_disk else "")
            )
        if not isinstance(scenario, Scenario):
            raise SpecError(f"scenarios[{name!r}]: expected a Scenario, got {type(scenario).__name__}")
    return dict(scenarios)


def _prepare(directory: Path, jobs: list[_Job], design: TrialDesign, eng: Engine,
             root: np.random.SeedSequence, n_trials: int, chunk_size: int | None, resume: bool,
             single: bool) -> None:
    """Check every scenario's directory against this run (nothing is written until all pass),
    adopt recorded chunk layouts, find finished chunks; then write the new manifests."""
    if directory.exists() and not directory.is_dir():
        raise SpecError(f"directory: {directory} exists and is not a directory")
    if not single and (directory / _store.MANIFEST).exists():
        raise SpecError(f"directory: {directory} holds a single-scenario campaign "
                        f"({_store.MANIFEST}); use another directory for several scenarios")
    for job in jobs:
        job.path = directory if single else directory / job.name
        if job.path.exists() and not job.path.is_dir():
            raise SpecError(f"directory: {job.path} exists and is not a directory")
        expected = _store.manifest(
            {
                "design": (_store.fingerprint(design), str(design)),
                "scenario": (_store.fingerprint(job.scenario), str(job.scenario)),
                "engine": (_store.fingerprint(eng), repr(eng)),
                "seed": (_store.fingerprint(root), _store.canonical(root)),
                "n_trials": (_store.fingerprint(n_trials), str(n_trials)),
            },
            chunks=job.chunks,
        )
        found = _store.check_manifest(job.path, expected, what="campaign") if job.path.is_dir() else None
        files = sorted(job.path.glob("chunk-*.npz")) if job.path.is_dir() else []
        if found is None and files:
            raise SpecError(f"directory: {job.path} holds {len(files)} chunk files but no "
                            f"{_store.MANIFEST}; use another directory, or delete that one")
        if found is not None:
            recorded = [[tuple(b) for b in chunk] for chunk in found.get("chunks", [])]
            if chunk_size is not None and recorded != job.chunks:
                raise SpecError(
                    f"chunk_size: {job.path} was written in chunks of "
                    f"{sum(n for _, n in recorded[0])} trials, this run asks {chunk_size}; results "
                    "do not depend on it: pass chunk_size=None to resume with the recorded layout"
                )
            job.chunks = recorded
            expected["chunks"] = recorded
            job.done_on_disk = {i for i in range(len(recorded)) if job.chunk_path(i).exists()}
            if job.done_on_disk and not resume:
                raise SpecError(
                    f"resume: False, but {job.path} holds {len(job.done_on_disk)} finished chunks "
                    "of this campaign; pass resume=True to continue it, or delete the directory "
                    "(or use another) to start afresh"
                )
        job.manifest = expected
    for job in jobs:
        job.path.mkdir(parents=True, exist_ok=True)
        _store.remove_stale(job.path)
        if not (job.path / _store.MANIFEST).exists():
            _store.write_json(job.path / _store.MANIFEST, job.manifest)


def _write_chunk(job: _Job, i: int, part: dict[str, np.ndarray]) -> None:
    arrays = dict(part, __fingerprint__=np.array(job.manifest["fingerprint"]),
                  __blocks__=np.array(job.chunks[i], dtype=np.int64))
    _store.write_atomic(job.chunk_path(i), lambda f: np.savez(f, **arrays))


def _read_chunk(job: _Job, i: int) -> dict[str, np.ndarray]:
    path = job.chunk_path(i)
    fix = "delete that file to have the chunk computed again"
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError) as err:
        raise SpecError(f"directory: cannot read {path} ({err}); {fix}") from None
    fp, blocks = arrays.pop("__fingerprint__", None), arrays.pop("__blocks__", None)
    n = sum(size for _, size in job.chunks[i])
    if fp is None or str(fp) != job.manifest["fingerprint"]:
        raise SpecError(f"directory: {path} belongs to another campaign than its {_store.MANIFEST}; {fix}")
    if blocks is None or blocks.tolist() != [list(b) for b in job.chunks[i]] or any(
        a.shape[0] != n for a in arrays.values()
    ):
        raise SpecError(f"directory: {path} does not hold the trials of chunk {i}; {fix}")
    return arrays


def _assemble(design: TrialDesign, job: _Job, eng: Engine, seed: object) -> SimulationResult:
    parts = [job.parts[i] if i in job.parts else _read_chunk(job, i) for i in range(len(job.chunks))]
    keys = set(parts[0])
    if any(set(p) != keys for p in parts):
        raise SpecError(f"directory: the chunk files in {job.path} hold different variables (written "
                        "by different bayeshcc versions?); delete the directory to start afresh")
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    _warn_schedule(design, data)
    _warn_sparse(design, data)
    return SimulationResult(trials_dataset(design, data), design=design, scenario=job.scenario,
                            engine=eng.name, seed=seed)
