"""Benchmark CoxPH: 10,000 patients, 6 covariates, 20 intervals; per-patient vs collapsed; one continuous covariate.

Usage (from the repository root): python benchmarks/fit_cox.py [--draws 1000] [--chains 4]
Writes benchmarks/out/fit_cox.md (wall time, ESS per second, peak memory, command, machine).
Goals (issue 9): per-patient fit < 60 s on 2 cores, collapsed >= 10x faster, standardised
survival for 10,000 patients within the stated memory budget.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import bayeshcc as bh
from bayeshcc.results._standardise import MEMORY_BUDGET


def cohort(n: int, *, continuous: bool, seed: int = 1) -> bh.SurvivalData:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, (n, 5))
    arm = rng.integers(0, 2, n)
    beta = np.array([0.5, -0.3, 0.2, 0.0, 0.4])
    eta = np.log(0.7) * arm + x @ beta
    df = pd.DataFrame(x, columns=[f"x{i}" for i in range(5)])
    if continuous:
        df["x4"] = rng.normal(60, 10, n)
        eta = eta - 0.4 * x[:, 4] + 0.02 * (df["x4"].to_numpy() - 60)
    t = rng.exponential(1 / (0.05 * np.exp(eta)))
    c = rng.uniform(12, 48, n)
    df["time"], df["event"] = np.minimum(t, c), (t <= c).astype(int)
    df["arm"] = np.where(arm == 1, "B", "A")
    return bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm",
                                      covariates=[f"x{i}" for i in range(5)], time_unit="months")


FORMULA = "arm + x0 + x1 + x2 + x3 + x4"


def run(label: str, data, collapse, args, sampler: str = "nutpie") -> dict:
    model = bh.CoxPH(FORMULA, cutpoints="quantiles:20", collapse=collapse)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bh.ConvergenceWarning)
        fit = model.fit(data, seed=1, draws=args.draws, tune=args.draws, chains=args.chains, sampler=sampler)
    wall = time.perf_counter() - t0
    t1 = time.perf_counter()
    prep = fit.model.prepare(data)
    prepare_s = time.perf_counter() - t1
    ess = fit.diagnostics().per_variable["ess_bulk"].filter(like="log_hr[").min()
    steps = int(fit.idata.sample_stats["n_steps"].sum()) if "n_steps" in fit.idata.sample_stats else np.nan
    return {"case": label, "sampler": sampler, "likelihood": prep.structure[-1], "cells": prep.extra["n_cells"],
            "prepare_s": prepare_s, "compile_s": fit.timings["compile"], "sample_s": fit.timings["sample"],
            "wall_s": wall, "gradients": steps, "min_ess_log_hr": ess, "ess_per_s": ess / fit.timings["sample"],
            "fit": fit}


def gradient_cost(data, collapse, repeats: int = 2000) -> float:
    """Microseconds of CPU per log-density + gradient evaluation (PyTensor's numba backend, as nutpie)."""
    import pytensor

    model = bh.CoxPH(FORMULA, cutpoints="quantiles:20", collapse=collapse).bind(data)
    pm_model = model.build(model.prepare(data))
    logp = pm_model.logp()
    fn = pytensor.function(pm_model.value_vars, [logp, *pytensor.grad(logp, pm_model.value_vars)], mode="NUMBA")
    point = pm_model.initial_point()
    args = [point[v.name] for v in pm_model.value_vars]
    fn(*args)
    t0 = time.process_time()
    for _ in range(repeats):
        fn(*args)
    return 1e6 * (time.process_time() - t0) / repeats


def standardise(fit, label: str) -> dict:
    tracemalloc.start()
    t0 = time.perf_counter()
    fit.compare(times=[6, 12], tau=12)
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"fit": label, "compare_s": wall, "peak_traced_mb": peak / 2**20}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--n", type=int, default=10_000)
    args = p.parse_args()
    load = os.getloadavg()
    discrete, mixed = cohort(args.n, continuous=False), cohort(args.n, continuous=True)
    rows = [run("all discrete, per patient", discrete, False, args),
            run("all discrete, collapsed", discrete, True, args),
            run("all discrete, collapsed", discrete, True, args, sampler="pymc"),
            run("one continuous (auto: per patient)", mixed, "auto", args)]
    grad = {c: gradient_cost(discrete, c) for c in (False, True)}
    std = pd.DataFrame([standardise(rows[3]["fit"], f"one continuous: {args.n:,} distinct rows"),
                        standardise(rows[1]["fit"], "all discrete: collapsed patterns")])
    table = pd.DataFrame([{k: v for k, v in r.items() if k != "fit"} for r in rows])
    speed = rows[0]["sample_s"] / rows[1]["sample_s"]
    wall_speed = rows[0]["wall_s"] / rows[1]["wall_s"]
    text = [
        "# CoxPH benchmark (benchmarks/fit_cox.py)", "",
        f"Command: `python {' '.join(sys.argv)}`  ",
        f"Machine: {platform.platform()}, Python {platform.python_version()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min); "
        f"{args.chains} chains x {args.draws} draws (+{args.draws} tune)", "",
        f"{args.n:,} patients, arm + 5 covariates (6 terms), cutpoints quantiles:20.", "",
        "```", table.to_string(index=False, float_format=lambda v: f"{v:.3g}"), "```", "",
        f"Collapsed (nutpie) speed-up over per patient: {speed:.1f}x in sampling, {wall_speed:.1f}x in wall time "
        f"(compile included).  ",
        f"CPU per log-density + gradient (numba, one thread): per patient {grad[False]:.0f} us, "
        f"collapsed {grad[True]:.1f} us ({grad[False] / grad[True]:.0f}x).", "",
        f"Standardised comparison (g-computation, {args.chains * args.draws} draws, survival at 2 times, exact "
        f"median, RMST to 12), memory budget {MEMORY_BUDGET / 2**20:.0f} MB per draws x rows x intervals array:", "",
        "```", std.to_string(index=False, float_format=lambda v: f"{v:.3g}"), "```", "",
        f"Process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB.  ",
        f"Load average at the end: {' / '.join(f'{v:.2f}' for v in os.getloadavg())}.",
    ]
    out = Path(__file__).resolve().parent / "out" / "fit_cox.md"
    out.write_text("\n".join(text) + "\n")
    print("\n".join(text))


if __name__ == "__main__":
    main()
