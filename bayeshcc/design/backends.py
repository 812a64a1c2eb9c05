"""How a simulation's work is split into chunks, and where the chunks run.

Three backends, one result: every trial draws its random numbers from its own block's stream
(:mod:`bayeshcc._random`), so the trials are identical bit for bit in process, in local processes
or on a Dask cluster, for any number of workers and any chunk size.

``"local"``, ``workers=1`` (the default)
    In this process, chunk after chunk.
``"local"``, ``workers=n > 1``
    ``n`` worker processes on this machine (:class:`concurrent.futures.ProcessPoolExecutor`,
    started by ``forkserver`` where the platform has it, else ``spawn``). A script that simulates
    with processes must guard its entry point with ``if __name__ == "__main__":``. The fork
    server (one per Python process) is set to preload bayeshcc the first time, so later pools start
    at once.
``"dask"``
    A ``dask.distributed`` client on an embedded :class:`distributed.LocalCluster` of ``workers``
    processes (one thread each; default: one per CPU), closed when the work is done.
``"tcp://host:8786"`` or a :class:`distributed.Client`
    An existing Dask cluster. To run on several machines: start a scheduler on one
    (``dask scheduler``, which prints its address), a worker on each machine
    (``dask worker tcp://host:8786 --nthreads 1``), with the same bayeshcc version installed in
    every worker's environment; then pass the address (the cluster is left running), or a
    ``Client`` you opened yourself (left open). ``workers`` is then the cluster's business and must
    be None.

Warnings raised in a worker process are re-raised here, with their category, when its chunk
returns; exceptions are re-raised as they are (a chunk's ``SpecError`` stays a ``SpecError``).
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import math
import multiprocessing
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from bayeshcc import _random
from bayeshcc._random import TRIALS_PER_STREAM
from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.design.engines import Engine
    from bayeshcc.design.trial import TrialDesign

__all__ = ["Backend", "Runner", "plan_chunks", "resolve_backend", "run_tasks"]

#: What ``backend=`` accepts: a name, a Dask scheduler address, or a ``distributed.Client``.
Backend = Literal["local", "dask"] | str | Any | None

_INSTALL_DASK = "pip install 'bayeshcc[dask]' (or 'dask[distributed]')"


@dataclass(frozen=True)
class Runner:
    """A validated backend, not yet started.

    Attributes
    ----------
    kind : {"inline", "processes", "dask"}
    workers : int or None
        Processes to start (None: a Dask cluster's own workers).
    address : str or None
        Scheduler address of an existing Dask cluster.
    client : distributed.Client or None
        A client opened by the caller (never closed here).
    """

    kind: Literal["inline", "processes", "dask"]
    workers: int | None = None
    address: str | None = None
    client: Any = None


def _workers(workers: object, default: int) -> int:
    if workers is None:
        return default
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise SpecError(f"workers: expected a positive integer or None, got {workers!r}")
    return int(workers)


def resolve_backend(backend: Backend = "local", workers: int | None = None) -> Runner:
    """Check ``backend`` and ``workers`` and say how the work will run; starts nothing.

    Parameters
    ----------
    backend : {"local", "dask"}, str, distributed.Client or None, default "local"
        None means ``"local"``; a string with ``://`` is a Dask scheduler address.
    workers : int, optional
        Local: processes (default 1, in this process). Embedded Dask cluster: worker processes
        (default: the number of CPUs). Must be None with a scheduler address or a Client.

    Returns
    -------
    Runner

    Raises
    ------
    SpecError
        An unknown backend, a bad ``workers``, ``workers`` given for an existing cluster, or
        ``"dask"`` without ``dask.distributed`` installed.
    """
    if backend is None or (isinstance(backend, str) and backend == "local"):
        n = _workers(workers, 1)
        return Runner("inline", 1) if n == 1 else Runner("processes", n)
    if isinstance(backend, str) and (backend == "dask" or "://" in backend):
        if importlib.util.find_spec("distributed") is None:
            raise SpecError(f"backend: {backend!r} needs dask.distributed, which is not installed; "
                            f"{_INSTALL_DASK}")
        if backend == "dask":
            return Runner("dask", _workers(workers, multiprocessing.cpu_count()))
        if workers is not None:
            raise SpecError(f"workers: {workers!r} given with the scheduler address {backend!r}; "
                            "an existing cluster runs on its own workers: leave workers=None")
        return Runner("dask", None, address=backend)
    if not isinstance(backend, str) and type(backend).__module__.startswith("distributed"):
        import distributed

        if isinstance(backend, distributed.Client):
            if workers is not None:
                raise SpecError(f"workers: {workers!r} given with a dask Client; the client's "
                                "cluster runs on its own workers: leave workers=None")
            return Runner("dask", None, client=backend)
    raise SpecError(
        f"backend: expected 'local', 'dask', a Dask scheduler address such as 'tcp://host:8786' "
        f"or a distributed.Client, got {backend!r}"
    )


def plan_chunks(
    design: TrialDesign,
    engine: Engine,
    n_trials: int,
    chunk_size: int | None,
    *,
    elements: int,
) -> list[list[tuple[int, int]]]:
    """Blocks of trials (``(index, size)``, see :func:`bayeshcc._random.blocks`) per chunk.

    ``chunk_size`` trials are rounded up to whole blocks of 250; by default a chunk holds about
    ``elements`` trial x patient x interval elements (or the engine's Monte Carlo elements).
    """
    if chunk_size is None:
        per_patient = max(1, len(design.endpoint.cutpoints(design.analysis)))
        per_trial = max(design.n_patients * per_patient, engine.work_per_trial(design))
        chunk_size = max(1, elements // per_trial)
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise SpecError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    blocks = _random.blocks(n_trials)
    per_chunk = max(1, math.ceil(chunk_size / TRIALS_PER_STREAM))
    return [blocks[s : s + per_chunk] for s in range(0, len(blocks), per_chunk)]


def _call(fn: Callable, args: tuple) -> tuple[Any, list[tuple[type[Warning], str]]]:
    # Runs in a worker: the result and the warnings raised, to be re-raised by the caller.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args)
    return out, [(w.category, str(w.message)) for w in caught]


def _rewarn(caught: list[tuple[type[Warning], str]]) -> None:
    for category, message in caught:
        warnings.warn(message, category, stacklevel=4)


_preloaded = False


def _context() -> multiprocessing.context.BaseContext:
    """The ``forkserver`` context with bayeshcc preloaded (workers fork ready, in a fraction of a
    second, from the second pool on), else ``spawn``."""
    global _preloaded
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    if not _preloaded:  # takes effect when this process's fork server starts
        # dask.array (skipped when absent): xarray imports it on the first Variable it makes when
        # dask is installed, 0.4 s in every worker otherwise
        ctx.set_forkserver_preload(["__main__", "bayeshcc.design.simulate", "dask.array"])
        _preloaded = True
    return ctx


def _processes(runner: Runner, fn: Callable, tasks: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
    ctx = _context()
    pool = cf.ProcessPoolExecutor(max_workers=min(runner.workers, len(tasks)), mp_context=ctx)
    try:
        futures = {pool.submit(_call, fn, args): i for i, args in enumerate(tasks)}
        for fut in cf.as_completed(futures):
            out, caught = fut.result()
            _rewarn(caught)
            yield futures.pop(fut), out
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _dask(runner: Runner, fn: Callable, tasks: Sequence[tuple]) -> Iterator[tuple[int, Any]]:
    import distributed

    cluster = client = None
    if runner.client is not None:
        use = runner.client
    elif runner.address is not None:
        use = client = distributed.Client(runner.address)
    else:
        cluster = distributed.LocalCluster(n_workers=min(runner.workers, len(tasks)),
                                           threads_per_worker=1, processes=True,
                                           dashboard_address="127.0.0.1:0")
        use = client = distributed.Client(cluster)
    futures: list = []
    try:
        futures = [use.submit(_call, fn, args, pure=False) for args in tasks]
        index = {f.key: i for i, f in enumerate(futures)}
        for fut, (out, caught) in distributed.as_completed(futures, with_results=True):
            _rewarn(caught)
            i = index[fut.key]
            futures[i] = None  # let the cluster forget the result
            yield i, out
    finally:
        for f in futures:
            if f is not None:
                f.cancel()
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def run_tasks(
    runner: Runner,
    fn: Callable,
    tasks: Sequence[tuple],
    *,
    progress: bool = False,
    weights: Sequence[int] | None = None,
    unit: str = "trial",
    desc: str = "simulate",
) -> Iterator[tuple[int, Any]]:
    """Run ``fn(*task)`` for every task on ``runner``; yield ``(task index, result)`` as each ends.

    Parameters
    ----------
    runner : Runner
        From :func:`resolve_backend`.
    fn : callable
        A module-level (picklable) function.
    tasks : sequence of tuple
        Arguments of each call (picklable).
    progress : bool, default False
        A progress bar on stderr, only when stderr is a terminal and there is more than one task.
    weights : sequence of int, optional
        Progress units per task (e.g. its trials); default 1 each.
    unit, desc : str
        The progress bar's unit and label.

    Yields
    ------
    (int, object)
        In order of completion (in task order in process); the caller puts them in order.
    """
    if not tasks:
        return
    weights = list(weights) if weights is not None else [1] * len(tasks)
    bar = None
    if progress and len(tasks) > 1 and sys.stderr.isatty():
        from tqdm.auto import tqdm

        bar = tqdm(total=sum(weights), unit=unit, desc=desc)
    if runner.kind == "inline" or len(tasks) == 1 and runner.kind == "processes":
        done: Iterator[tuple[int, Any]] = ((i, fn(*args)) for i, args in enumerate(tasks))
    elif runner.kind == "processes":
        done = _processes(runner, fn, tasks)
    else:
        done = _dask(runner, fn, tasks)
    try:
        for i, out in done:
            if bar is not None:
                bar.update(weights[i])
            yield i, out
    finally:
        if hasattr(done, "close"):
            done.close()
        if bar is not None:
            bar.close()
