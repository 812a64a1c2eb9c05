"""Survival depth: fit time by data size and prior, and reconstruction time (issue 8).

Command: ``python benchmarks/survival_depth.py``. Fits ``bh.PiecewiseExponential`` with 20 intervals
(event-time quantiles) to simulated two-arm patient data of 1,000 and 10,000 patients, with
independent baseline priors and with the random-walk baseline, and times
``bh.data.reconstruct_ipd`` on a 500-point digitised curve per arm. Each fit runs in this process
(nutpie: the first fit of a structure compiles; the second is a refit of new data of the same
shape through the cached model), 4 chains x 1000 draws + 1000 tune.
"""

from __future__ import annotations

import platform
import time
import warnings

import numpy as np
import pandas as pd

import bayeshcc as bh


def simulate(n: int, seed: int) -> bh.SurvivalData:
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    rate = np.where(arm == 1, 0.05, 0.08)
    t = rng.exponential(1 / rate)
    c = rng.uniform(12, 36, n)
    df = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "arm": arm})
    return bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", time_unit="months")


def main() -> None:
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    rows = []
    for n in (1_000, 10_000):
        for label, prior in (("independent", None), ("random walk", bh.RandomWalk())):
            model = bh.PiecewiseExponential(cutpoints="quantiles:20", control="0", baseline_prior=prior)
            bound = model.bind(simulate(n, 1))  # the same 20 cutpoints for both runs of a size
            for run, seed in (("first", 1), ("refit", 2)):
                data = simulate(n, seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t0 = time.perf_counter()
                    fit = bound.fit(data, seed=seed)
                    wall = time.perf_counter() - t0
                diag = fit.diagnostics()
                ess = float(diag.table.query("check == 'ess_bulk'")["value"].iloc[0])
                div = int(diag.table.query("check == 'divergences'")["value"].iloc[0])
                rows.append({"patients": n, "baseline prior": label, "run": run, "wall s": round(wall, 2),
                             "compile s": round(fit.timings["compile"], 2), "sample s": round(fit.timings["sample"], 2),
                             "min bulk ESS": round(ess), "divergences": div,
                             "log HR mean": round(fit.idata.posterior["log_hr"].mean().item(), 3)})
                print(rows[-1])
    # reconstruction of a 500-point curve per arm
    data = simulate(2_000, 3)
    km = data.kaplan_meier()
    grid = np.linspace(0, 34, 500)
    curves, risk = {}, {}
    f = data.frame
    for a in data.arms:
        k = km[km["arm"] == a]
        s = k["survival"].to_numpy()[np.searchsorted(k["time"].to_numpy(), grid, side="right") - 1]
        curves[a] = pd.DataFrame({"time": grid, "survival": s})
        tr = np.arange(0, 34, 3.0)
        risk[a] = pd.DataFrame({"time": tr, "at_risk": [int((f.loc[f["arm"] == a, "time"] >= t).sum()) for t in tr]})
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        bh.data.reconstruct_ipd(curves, risk)
        times.append(time.perf_counter() - t0)
    print(pd.DataFrame(rows).to_string(index=False))
    print(f"reconstruct_ipd, 2 arms x 500 points, 1,000 patients per arm: median of 5 runs {np.median(times):.3f} s")


if __name__ == "__main__":
    main()
