"""Benchmark: predictive-probability futility on a 1,000-patient survival design.

Design: 1,000 patients, uniform accrual over 30 months, 5% dropout per year, looks at 300 and 600
events, success if P(HR < 1 | data) > 0.975 (vague prior, laplace engine), futility at the interim if
the predictive probability of final success is below 0.1 (``PredictiveProbability("<",
threshold=0.1)``, 200 posterior draws per trial, each continuing the trial to its final look);
control median 12 months, true HR 0.8 and 1. Times are the best of ``--repeats`` runs, alternating
between the scenarios so that load from other work hits them alike.

Run it with another copy of the package first on ``PYTHONPATH`` (e.g. a ``git worktree`` of an
earlier commit) to time that code: the printed lines name the ``bayeshcc`` that was imported.

Usage::

    python benchmarks/predictive.py [--trials 200] [--repeats 3] [--results FILE]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

import bayeshcc
import bayeshcc.design as bd


def make_design(draws: int = 200) -> bd.TrialDesign:
    return bd.TrialDesign(
        control="control",
        treatment="treatment",
        n_patients=1000,
        accrual=bd.Accrual(duration=30),
        dropout=bd.Dropout(proportion=0.05, by=12),
        analyses=[bd.Analysis(events=300), bd.Analysis(events=600)],
        success=bd.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
        futility=[bd.PredictiveProbability("<", threshold=0.1, draws=draws), None],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200, help="trials per run (default 200)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per scenario; the best is kept")
    parser.add_argument("--results", type=Path, default=None, help="write a Markdown report here")
    args = parser.parse_args()
    design = make_design()
    scenarios = {hr: bd.Scenario.fixed(median=12, hazard_ratio=hr) for hr in (0.8, 1.0)}
    bd.simulate(design, scenarios[0.8], n_trials=20, seed=0, progress=False)  # warm-up
    best = dict.fromkeys(scenarios, math.inf)
    results = {}
    load = os.getloadavg()[0]
    for r in range(args.repeats):
        for hr, scenario in scenarios.items():
            start = time.perf_counter()
            results[hr] = bd.simulate(design, scenario, n_trials=args.trials, seed=1 + r, progress=False)
            best[hr] = min(best[hr], time.perf_counter() - start)
    lines = [
        f"Command: `python benchmarks/predictive.py --trials {args.trials} --repeats {args.repeats}`",
        f"Package: {Path(bayeshcc.__file__).parent}",
        f"Machine: {platform.machine()}, {len(os.sched_getaffinity(0))} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}; load average at start {load:.2f}",
        "",
        "| true HR | trials | with a predictive probability | seconds | seconds per 100 trials "
        "| P(futility at interim) | P(success) |",
        "|---|---|---|---|---|---|---|",
    ]
    for hr, secs in best.items():
        oc = results[hr].operating_characteristics()
        computed = int(np.isfinite(results[hr].trials["predictive_probability"].values[:, 0]).sum())
        lines.append(
            f"| {hr} | {args.trials} | {computed} | {secs:.2f} | {100 * secs / args.trials:.3f} | "
            f"{oc.loc[1, 'p_futility']:.3f} | {oc.loc['overall', 'p_success']:.3f} |"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak resident memory of the process: {peak:,.0f} MiB", ""]
    print("\n".join(lines))
    if args.results:
        args.results.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
