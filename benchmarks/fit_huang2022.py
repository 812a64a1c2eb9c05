"""Time the huang2022 OS fit: import, compile, first sampling, refit with new data; nutpie vs PyMC.

Each sampler runs in a fresh Python process so that import and compile times are first-use
times. Usage (from the repository root, in the project's environment):

    python benchmarks/fit_huang2022.py [--repeats 5] [--draws 1000] [--chains 4]

Prints a markdown table; paste it into benchmarks/RESULTS.md with the machine description.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys

CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
import arviz as az
import pandas as pd
import bayeshcc as bh
t_import = time.perf_counter() - t0
warnings.simplefilter("ignore")
sampler, draws, chains, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
study = bh.datasets.load_huang2022()
lm = pd.DataFrame({"arm": ["FOLFOX-HAIC"] * 3 + ["Sorafenib"] * 3, "time": [6, 12, 18] * 2,
                   "survival": [50 / 55, 35 / 55, 22 / 55, 43 / 59, 16 / 59, 7 / 59]})
other = bh.IntervalData.from_landmarks(lm, n={"FOLFOX-HAIC": 55, "Sorafenib": 59},
                                       events={"FOLFOX-HAIC": 43, "Sorafenib": 59}, follow_up=(28.4, 60.4))
model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18], control="Sorafenib")
t = time.perf_counter()
fit = model.fit(study.os, draws=draws, tune=1000, chains=chains, seed=1, sampler=sampler)
first_total = time.perf_counter() - t
refits, ess_rates = [], []
for r in range(repeats):
    t = time.perf_counter()
    f = model.fit(other if r % 2 == 0 else study.os, draws=draws, tune=1000, chains=chains, seed=2 + r, sampler=sampler)
    refits.append(time.perf_counter() - t)
    ess = float(az.ess(f.idata, var_names=["log_hr"])["log_hr"])
    ess_rates.append(ess / f.timings["sample"])
print(json.dumps({
    "sampler": sampler, "import_s": t_import, "compile_s": fit.timings["compile"],
    "first_sample_s": fit.timings["sample"], "first_fit_total_s": first_total,
    "refit_median_s": float(np.median(refits)), "refit_min_s": float(np.min(refits)),
    "ess_log_hr_per_s": float(np.median(ess_rates)),
    "log_hr_mean": float(fit.idata.posterior["log_hr"].mean()),
}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=4)
    args = ap.parse_args()
    rows = []
    for sampler in ("nutpie", "pymc"):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, sampler, str(args.draws), str(args.chains), str(args.repeats)],
            capture_output=True, text=True, check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print(f"{args.chains} chains x {args.draws} draws (+1000 tune); refit = new data, compiled model reused; median of {args.repeats}\n")
    cols = ["sampler", "import_s", "compile_s", "first_sample_s", "first_fit_total_s", "refit_median_s",
            "refit_min_s", "ess_log_hr_per_s", "log_hr_mean"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(r[c] if isinstance(r[c], str) else f"{r[c]:.3g}" for c in cols) + " |")
    a, b = rows
    print(f"\nratios pymc/nutpie: refit {b['refit_median_s'] / a['refit_median_s']:.1f}x, "
          f"first fit {b['first_fit_total_s'] / a['first_fit_total_s']:.2f}x, "
          f"ESS/s nutpie/pymc {a['ess_log_hr_per_s'] / b['ess_log_hr_per_s']:.1f}x")


if __name__ == "__main__":
    main()
