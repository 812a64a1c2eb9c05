"""The simulate job: run the simulation a design spec describes and write its outputs.

Library code: nothing is printed (the ``bayeshcc simulate`` command prints the result) and the
matplotlib backend is left alone (the figure is drawn on a bare ``Figure``).
"""

from __future__ import annotations

from pathlib import Path

from bayeshcc.design import SimulationResult, simulate
from bayeshcc.jobs._write import atomic_write, output_dir, save_figure
from bayeshcc.plots.design import plot_stopping
from bayeshcc.specs.design import load_design_spec

__all__ = ["DEFAULT_N_TRIALS", "DEFAULT_SEED", "run_simulate"]

#: ``[simulation]`` defaults when the spec and the caller give none.
DEFAULT_N_TRIALS = 10_000
DEFAULT_SEED = 1


def run_simulate(
    path: str | Path,
    *,
    out: str | Path | None = None,
    n_trials: int | None = None,
    seed: int | None = None,
    progress: bool = True,
) -> SimulationResult:
    """Run the simulation a design spec describes; write its outputs into ``out`` if given.

    Parameters
    ----------
    path : str or Path
        A design spec (``models/design_*.toml``; see :mod:`bayeshcc.specs.design`).
    out : str or Path, optional
        Directory (created if missing) for ``operating_characteristics.csv``, ``trials.nc`` and
        ``stopping.png``, each written atomically.
    n_trials, seed : int, optional
        Override the spec's ``[simulation]`` settings (defaults 10,000 trials, seed 1).
    progress : bool, default True
        Progress bar (on a terminal only).

    Returns
    -------
    SimulationResult

    Raises
    ------
    SpecError
        The spec is missing, unreadable or invalid, or ``out`` is not a directory.
    """
    design, scenario, sim = load_design_spec(path)
    directory = output_dir(out) if out is not None else None
    result = simulate(
        design,
        scenario,
        n_trials=n_trials if n_trials is not None else sim.get("n_trials", DEFAULT_N_TRIALS),
        seed=seed if seed is not None else sim.get("seed", DEFAULT_SEED),
        engine=sim.get("engine", "laplace"),
        progress=progress,
        chunk_size=sim.get("chunk_size"),
    )
    if directory is not None:
        _write(result, directory)
    return result


def _write(result: SimulationResult, directory: Path) -> None:
    from matplotlib.figure import Figure

    oc = result.operating_characteristics()
    atomic_write(directory / "operating_characteristics.csv", lambda tmp: oc.to_csv(tmp))
    atomic_write(directory / "trials.nc", result.to_netcdf)
    fig = Figure(figsize=(5, 3.5))
    plot_stopping(oc, ax=fig.subplots())
    save_figure(fig, directory / "stopping.png")
