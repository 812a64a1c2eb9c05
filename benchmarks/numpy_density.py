"""``sampler="numpy"`` against nutpie's numba backend and PyMC's C backend on the main job's model.

For each sampler, in one fresh Python process per sampler (the order alternates over ``--rounds``):
import time, first fit (compile + sample; nothing to compile for "numpy"), the median of
``--refits`` refits of new data of the same shape (the cached compiled model for nutpie and PyMC),
and the bulk ESS of ``log_hr`` per refit second. In the parent process: the cost of one log-density
and gradient evaluation, numpy against PyTensor's C-compiled ``logp_dlogp_function`` (median of 7
timings of 20,000 calls).

The model is ``bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18], control="Sorafenib")`` on
``bh.datasets.load_huang2022().os``, 4 chains x 1000 draws + 1000 tune, as the main job. Caches are
the user's (PyTensor's C cache warm after the first round); nutpie's numba compile happens in every
process. Usage (repository root):

    python benchmarks/numpy_density.py [--rounds 2] [--refits 5]

Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import timeit

CHILD = r"""
import json, sys, time, warnings
t0 = time.perf_counter()
import numpy as np
import arviz as az
import bayeshcc as bh
t_import = time.perf_counter() - t0
warnings.simplefilter("ignore")
sampler, refits = sys.argv[1], int(sys.argv[2])
study = bh.datasets.load_huang2022()
model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18], control="Sorafenib")
t = time.perf_counter()
fit = model.fit(study.os, sampler=sampler, seed=1, check_convergence=False)
first = time.perf_counter() - t
frame = study.os.frame.copy()
times, ess = [], []
for i in range(refits):  # new data of the same shape: the open row's deaths and censored shifted by one
    f = frame.copy()
    f.loc[f.index[3], "events"] += (i % 3) - 1
    f.loc[f.index[3], "censored"] -= (i % 3) - 1
    data = bh.IntervalData.from_frame(f, censor_from="censor_from", censor_to="censor_to")
    t = time.perf_counter()
    refit = model.fit(data, sampler=sampler, seed=2 + i, check_convergence=False)
    times.append(time.perf_counter() - t)
    ess.append(float(az.ess(refit.idata, var_names=["log_hr"])["log_hr"]))
print("RESULT " + json.dumps({"import": t_import, "first": first, "compile": fit.timings["compile"],
                              "refit": float(np.median(times)), "ess_per_s": float(np.median(np.array(ess) / times)),
                              "log_hr": float(fit.idata.posterior["log_hr"].mean())}))
"""


def per_eval() -> dict[str, float]:
    import numpy as np

    import bayeshcc as bh

    model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18], control="Sorafenib")
    prepared = model.prepare(bh.datasets.load_huang2022().os)
    density = model.density(prepared)
    x = density.centre + 0.1
    fn = model.build(prepared).logp_dlogp_function(ravel_inputs=True)
    fn.set_extra_values({})
    n = 20_000
    out = {}
    for name, call in (("numpy", lambda: density.logp_grad(x)), ("PyTensor C", lambda: fn(x))):
        call()
        out[name] = statistics.median(timeit.repeat(call, number=n, repeat=7)) / n * 1e6
    assert np.isclose(density.logp_grad(x)[0], fn(x)[0], atol=1e-6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--refits", type=int, default=5)
    args = ap.parse_args()
    samplers = ["numpy", "nutpie", "pymc"]
    results: dict[str, list[dict]] = {s: [] for s in samplers}
    for r in range(args.rounds):
        for s in samplers if r % 2 == 0 else samplers[::-1]:
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", CHILD, s, str(args.refits)], capture_output=True, text=True)
            wall = time.perf_counter() - t
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
            if proc.returncode or not line:
                raise SystemExit(f"{s}: {proc.stderr[-2000:]}")
            res = json.loads(line[0][7:]) | {"process": wall}
            results[s].append(res)
            print(f"round {r + 1} {s}: {res}", flush=True)
    evals = per_eval()
    print(f"\nCommand: python {' '.join(sys.argv)}")
    print(f"One log density + gradient evaluation: numpy {evals['numpy']:.1f} us, "
          f"PyTensor C {evals['PyTensor C']:.1f} us")
    print("\n| sampler | round | process s | import s | first fit s (compile s) | refit s | ESS/s | log_hr mean |")
    print("|---|---|---|---|---|---|---|---|")
    for s in samplers:
        for i, res in enumerate(results[s], 1):
            print(f"| {s} | {i} | {res['process']:.2f} | {res['import']:.2f} | {res['first']:.2f} ({res['compile']:.2f}) "
                  f"| {res['refit']:.3f} | {res['ess_per_s']:,.0f} | {res['log_hr']:.3f} |")


if __name__ == "__main__":
    main()
