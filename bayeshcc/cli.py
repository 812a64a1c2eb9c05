"""The ``bayeshcc`` command: fit, simulate, datasets.

Bad specs and bad data print one line ``error: ...`` and exit with status 2; a fit whose
diagnostics fail prints what failed and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

from bayeshcc.errors import DataError, SpecError

__all__ = ["main"]


def _int_at_least(low: int):
    """argparse type: a whole number >= ``low``."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"expected a number >= {low}, got {v}")
        return v

    return parse


_positive_int = _int_at_least(1)
_nonnegative_int = _int_at_least(0)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bayeshcc", description="Bayesian modelling of HCC trial data")
    sub = p.add_subparsers(dest="command", required=True)

    f = sub.add_parser("fit", help="fit the model a spec describes and compare arms")
    f.add_argument("spec", type=Path, help="model spec (TOML), e.g. models/huang2022_os.toml")
    f.add_argument("--out", type=Path, default=None, help="directory for idata.nc, summary.csv, diagnostics.csv and the figure")
    f.add_argument("--draws", type=_positive_int, default=None, help="override fit.draws")
    f.add_argument("--tune", type=_nonnegative_int, default=None, help="override fit.tune")
    f.add_argument("--chains", type=_positive_int, default=None, help="override fit.chains")
    f.add_argument("--seed", type=int, default=None, help="override fit.seed")

    s = sub.add_parser("simulate", help="simulate a trial design spec")
    s.add_argument("spec", type=Path, help="design spec (TOML), e.g. models/design_haic_vs_sorafenib_fixed.toml")
    s.add_argument("--out", type=Path, default=None, help="directory for operating_characteristics.csv, stopping.csv, duration.csv, assurance.csv, trials.nc, plots and campaign/")
    s.add_argument("--n-trials", type=_positive_int, default=None, help="override the number of simulated trials")
    s.add_argument("--seed", type=int, default=None, help="override the seed")
    s.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    s.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a spec field, e.g. scenario.hazard_ratio=1.0 or design.n_patients=400 (repeatable)")
    s.add_argument("--backend", default=None, help="local (default), dask (an embedded LocalCluster) or a scheduler address tcp://host:8786")
    s.add_argument("--workers", type=_positive_int, default=None, help="worker processes (local) or Dask workers")
    s.add_argument("--resume", action="store_true", help="reuse the finished chunks an interrupted run left in OUT/campaign")

    sub.add_parser("datasets", help="list the bundled datasets")
    return p


def _fit(args: argparse.Namespace) -> int:
    import pandas as pd

    from bayeshcc.jobs.fit import run_fit
    from bayeshcc.specs.fit import load_fit_spec

    spec = load_fit_spec(args.spec)
    # Only sampler="nutpie" compiles with numba (PyMC's NUTS runs C code, "numpy" nothing). Without
    # it, a console run keeps numba unloaded: ArviZ compiles a numba ufunc whenever it is imported
    # with numba importable (0.8 s of a 5 s main job) and otherwise uses its numpy code (same
    # results). Only for a console run (the process ends with the command): modules imported while
    # numba is hidden (nutpie, ArviZ) keep their numba-less fallbacks for the life of the process.
    with _hidden("numba", args.console and spec.fit.get("sampler") != "nutpie"):
        job = run_fit(spec, out=args.out, draws=args.draws, tune=args.tune, chains=args.chains, seed=args.seed)
    print(f"{job.spec.title}")
    for model in job.spec.models.values():
        print(f"model: {model!r}")
    runs = {r.key: r for r in job.spec.runs}
    for key, fit in job.fits.items():
        print()
        if key:
            print(f"== {key} ==")
        print(f"data: {fit.data!r}")
        if fit.model != runs[key].model:  # settings resolved against the data, e.g. quantile cutpoints
            print(f"model as fitted: {fit.model!r}")
        if fit.priors:
            print(f"priors: {fit.priors}")
        t = fit.timings
        print(f"sampler={fit.sampler} seed={fit.seed} compile {t.get('compile', 0):.1f} s, sampling {t.get('sample', 0):.2f} s")
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            coefficients = job.coefficients(key)
            if coefficients is not None:
                print("Coefficients:")
                print(coefficients.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
            if key in job.comparisons:
                print(job.comparisons[key])
            evidence = fit.evidence() if hasattr(fit, "evidence") else None
            if evidence is not None and len(evidence):
                print("Published figures beside the posterior:")
                print(evidence.drop(columns="evidence").to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        print(job.diagnostics[key])
    for name, path in job.files.items():
        print(f"wrote {name}: {path}")
    return 0 if job.ok else 1


def _simulate(args: argparse.Namespace) -> int:
    import pandas as pd

    from bayeshcc.jobs.simulate import run_simulate

    if args.resume and args.out is None:
        raise SpecError("--resume: needs --out DIR, where the interrupted run kept its chunks")
    job = run_simulate(args.spec, out=args.out, n_trials=args.n_trials, seed=args.seed, progress=not args.no_progress,
                       sets=args.sets, backend=args.backend, workers=args.workers, resume=args.resume)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(job)
    for name, path in job.files.items():
        print(f"wrote {name}: {path}")
    return 0


def _datasets(args: argparse.Namespace) -> int:
    import pandas as pd

    from bayeshcc.datasets import list_datasets

    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        table = list_datasets()[["name", "n_patients", "endpoints", "title"]]
        print(table.to_string(index=False))
    return 0


@contextmanager
def _hidden(module: str, hide: bool = True):
    """Make ``import module`` fail (ImportError) inside the block, if it is not imported yet and
    ``hide``; undone on exit, for callers in the same process."""
    hide = hide and module not in sys.modules
    if hide:
        sys.modules[module] = None
    try:
        yield
    finally:
        if hide and sys.modules.get(module, 0) is None:
            del sys.modules[module]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bayeshcc`` console script; returns the exit status.

    ``argv`` None (the console script) reads ``sys.argv`` and treats the process as the command's
    own; a list runs the command inside a longer-lived process (tests, notebooks) and changes no
    module state that outlives it.
    """
    # PyMC imports IPython for notebook printing when it is installed (0.3 s); a command-line run
    # never uses it, and PyMC works without it.
    with _hidden("IPython"):
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    args.console = argv is None  # the console script: the process ends with this command
    handlers = {"fit": _fit, "simulate": _simulate, "datasets": _datasets}
    try:
        return handlers[args.command](args)
    except (SpecError, DataError) as e:
        print(f"error: {type(e).__name__}: {_one_line(e)}", file=sys.stderr)
        return 2
    except OSError as e:
        text = f"{e.strerror}: {e.filename or ''}".rstrip(": ") if e.strerror else (str(e) or type(e).__name__)
        print(f"error: {type(e).__name__}: {_one_line(Exception(text))}", file=sys.stderr)
        return 2


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
