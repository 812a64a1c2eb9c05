"""Sampler options for the main job's model (huang2022 OS, piecewise exponential, 4 x 1000 + 1000).

Every option runs in a fresh Python process, twice: first with empty compile caches ("cold":
a new PyTensor ``base_compiledir``, which also holds PyTensor's numba cache, a new
``NUMBA_CACHE_DIR`` and a new JAX persistent cache), then again in a new process with the caches
the first run left ("warm"). Each process times: imports, building the PyMC model, the first fit
(compile + sample) and ``--refits`` refits with new data of the same shape through the already
compiled model (median). ESS/s is the bulk ESS of ``log_hr`` per wall second of a refit.

The model is built here from the same arrays ``PiecewiseExponential.prepare`` gives for
``bh.datasets.load_huang2022().os`` (the likelihood is copied from
``bayeshcc/models/piecewise_exponential.py``), so the script does not depend on the package.

Usage (repository root):

    python benchmarks/sampler_options.py [--refits 5] [--only NAME ...] [--jax-path DIR]

``--jax-path``: a folder with jax/numpyro/blackjax (``pip install --no-deps --target DIR ...``)
put on the children's ``PYTHONPATH``; options that need JAX are skipped when it is not importable.
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = r'''
import json, os, sys, time, warnings
T0 = time.perf_counter()
opt = json.loads(sys.argv[1])
refits = int(sys.argv[2])
import numpy as np
import pymc as pm
import pytensor.tensor as pt
import arviz as az
kind = opt["kind"]
if kind == "nutpie":
    import nutpie
if opt.get("jax") or opt.get("backend") == "jax":
    import jax
    jax.config.update("jax_compilation_cache_dir", os.environ["BENCH_JAX_CACHE"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    if kind == "pymc":
        import numpyro  # noqa: F401  (pm.sample(nuts_sampler="numpyro"/"blackjax") imports these)
t_import = time.perf_counter() - T0
warnings.simplefilter("ignore")

# --- the main job's data: bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18], control="Sorafenib")
# .prepare(bh.datasets.load_huang2022().os); arms (Sorafenib, FOLFOX-HAIC), intervals 0/6/12/18+
U, V = 28.4188911704, 60.3203285421  # follow-up window of the open rows (months)
CLOSED_ARM = np.array([1, 1, 1, 0, 0, 0])
WIN_ARM = np.array([1, 0])

def arrays(closed_events, closed_at_risk, window_events, window_at_risk):
    to_piece = np.zeros((2, 4, 4)); to_piece[:, :, 3] = U - 18
    length = np.zeros((2, 4)); length[:, 3] = V - U
    weight = np.zeros((2, 4)); weight[:, 3] = 1.0
    return {
        "closed_overlap": np.tile(np.eye(4)[:3] * 6.0, (2, 1)),
        "closed_events": np.array(closed_events, dtype=np.int64),
        "closed_at_risk": np.array(closed_at_risk, dtype=np.int64),
        "window_to_piece": to_piece, "window_length": length, "window_weight": weight,
        "window_at_risk": np.array(window_at_risk, dtype=np.int64),
        "window_events": np.array(window_events, dtype=np.int64),
    }

HUANG = arrays([4, 17, 11, 17, 27, 9], [55, 51, 34, 59, 42, 15], [12, 6], [23, 6])
OTHER = arrays([5, 15, 13, 16, 27, 9], [55, 50, 35, 59, 43, 16], [10, 7], [22, 7])

def build(a):
    """Copy of PiecewiseExponential._build for a life table with closed and window rows."""
    coords = {"arm": ["Sorafenib", "FOLFOX-HAIC"], "interval": ["0-6", "6-12", "12-18", "18+"]}
    with pm.Model(coords=coords) as model:
        data = {k: pm.Data(k, v) for k, v in a.items()}
        base = pm.LogNormal("baseline_hazard", mu=-2.995732, sigma=2.0, dims="interval")
        log_hr = pm.Normal("log_hr", mu=0.0, sigma=2.0)
        scale = pt.stack([pt.ones(()), pt.exp(log_hr)])
        hazard = pm.Deterministic("hazard", scale[:, None] * base[None, :], dims=("arm", "interval"))
        h = pt.sum(hazard[CLOSED_ARM] * data["closed_overlap"], axis=-1)
        pm.Binomial("events_closed", n=data["closed_at_risk"], logit_p=pt.log(-pt.expm1(-h)) + h,
                    observed=data["closed_events"])
        lam = hazard[WIN_ARM]
        h_to = pt.sum(lam[:, None, :] * data["window_to_piece"], axis=-1)
        x = lam * data["window_length"]
        safe = pt.switch(x > 1e-8, x, 1.0)
        g = pt.switch(x > 1e-8, -pt.expm1(-safe) / safe, 1.0 - x / 2)
        surv = pt.sum(data["window_weight"] * pt.exp(-h_to) * g, axis=-1)
        pm.Binomial("events_window", n=data["window_at_risk"], logit_p=pt.log1p(-surv) - pt.log(surv),
                    observed=data["window_events"])
    return model

t = time.perf_counter()
model = build(HUANG)
t_build = time.perf_counter() - t

compiled = None
def fit(a, seed):
    """Returns (idata, compile seconds, sampling seconds)."""
    global compiled
    t = time.perf_counter()
    if kind == "nutpie":
        if compiled is None:
            compiled = nutpie.compile_pymc_model(model, backend=opt.get("backend", "numba"),
                                                 **opt.get("compile_kwargs", {}))
        t_c = time.perf_counter() - t
        idata = nutpie.sample(compiled.with_data(**a), draws=1000, tune=1000, chains=4, seed=seed,
                              progress_bar=False, save_warmup=False)
        return idata, t_c, time.perf_counter() - t - t_c
    with model:
        pm.set_data(a)
        idata = pm.sample(draws=1000, tune=1000, chains=4, random_seed=seed, progressbar=False,
                          compute_convergence_checks=False, **opt.get("sample_kwargs", {}))
    return idata, 0.0, time.perf_counter() - t

t = time.perf_counter()
idata, t_compile, t_sample = fit(HUANG, 1)
t_first = time.perf_counter() - t
log_hr_mean = float(idata.posterior["log_hr"].mean())
times, rates = [], []
for r in range(refits):
    t = time.perf_counter()
    f, _, _ = fit(OTHER if r % 2 == 0 else HUANG, 2 + r)
    times.append(time.perf_counter() - t)
    rates.append(float(az.ess(f, var_names=["log_hr"])["log_hr"]) / times[-1])
print("RESULT " + json.dumps({
    "import_s": t_import, "build_s": t_build, "compile_s": t_compile, "first_sample_s": t_sample,
    "first_fit_s": t_first, "to_first_posterior_s": time.perf_counter() - T0 - sum(times),
    "refit_median_s": float(np.median(times)) if times else float("nan"),
    "ess_per_s": float(np.median(rates)) if rates else float("nan"), "log_hr_mean": log_hr_mean,
}))
'''

# name -> child options; "jax": needs jax importable
OPTIONS = {
    "nutpie numba (default)": {"kind": "nutpie", "backend": "numba"},
    "nutpie jax": {"kind": "nutpie", "backend": "jax", "compile_kwargs": {"freeze_model": False}, "jax": True},
    "pymc C cores=1": {"kind": "pymc", "sample_kwargs": {"cores": 1}},
    "pymc C cores=2": {"kind": "pymc", "sample_kwargs": {"cores": 2}},
    "pymc numba cores=1": {"kind": "pymc", "sample_kwargs": {"cores": 1, "compile_kwargs": {"mode": "NUMBA"}}},
    "pymc FAST_COMPILE cores=1": {"kind": "pymc", "sample_kwargs": {"cores": 1, "compile_kwargs": {"mode": "FAST_COMPILE"}}},
    "pymc numpyro vectorized": {"kind": "pymc", "jax": True,
                                "sample_kwargs": {"nuts_sampler": "numpyro", "nuts_sampler_kwargs": {"chain_method": "vectorized"}}},
    "pymc blackjax vectorized": {"kind": "pymc", "jax": True,
                                 "sample_kwargs": {"nuts_sampler": "blackjax", "nuts_sampler_kwargs": {"chain_method": "vectorized"}}},
}
COLS = ["import_s", "build_s", "compile_s", "first_sample_s", "first_fit_s", "to_first_posterior_s",
        "process_s", "refit_median_s", "ess_per_s", "log_hr_mean"]


def run_child(name: str, opt: dict, cache: str, refits: int, env_extra: dict) -> dict:
    env = dict(os.environ, **env_extra)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={os.path.join(cache, 'pytensor')}"
    env["NUMBA_CACHE_DIR"] = os.path.join(cache, "numba")
    env["BENCH_JAX_CACHE"] = os.path.join(cache, "jax")
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(opt), str(refits)],
                         capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {out.returncode}: {' | '.join(tail)[:300]}", "process_s": wall}
    res = json.loads(lines[-1][len("RESULT "):])
    res["process_s"] = wall
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--refits", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=None, help="option names (substring match)")
    ap.add_argument("--jax-path", default=os.environ.get("BENCH_JAX_PATH"),
                    help="folder with jax/numpyro/blackjax for the children's PYTHONPATH")
    args = ap.parse_args()
    env_extra = {}
    if args.jax_path:
        env_extra["PYTHONPATH"] = os.pathsep.join(p for p in (args.jax_path, os.environ.get("PYTHONPATH")) if p)
    probe = subprocess.run([sys.executable, "-c", "import jax, numpyro, blackjax"], capture_output=True,
                           env=dict(os.environ, **env_extra))
    have_jax = probe.returncode == 0
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    versions = subprocess.run(
        [sys.executable, "-c", "import pymc, pytensor, nutpie, numba, arviz, platform;"
         "print(f'Python {platform.python_version()}, PyMC {pymc.__version__}, PyTensor {pytensor.__version__}, "
         "nutpie {nutpie.__version__}, numba {numba.__version__}, ArviZ {arviz.__version__}')"],
        capture_output=True, text=True).stdout.strip()
    if have_jax:
        versions += ", " + subprocess.run(
            [sys.executable, "-c", "import jax, numpyro, blackjax; print(f'jax {jax.__version__}, "
             "numpyro {numpyro.__version__}, blackjax {blackjax.__version__}')"],
            capture_output=True, text=True, env=dict(os.environ, **env_extra)).stdout.strip()
    print(f"{versions}; load average at start {' '.join(load)}")
    print(f"4 chains x 1000 draws + 1000 tune; refit = new data of the same shape through the compiled model, "
          f"median of {args.refits}; ESS/s = bulk ESS(log_hr) / refit wall s\n")
    print("| option | caches | " + " | ".join(COLS) + " |")
    print("|---|---|" + "---|" * len(COLS))
    for name, opt in OPTIONS.items():
        if args.only and not any(s in name for s in args.only):
            continue
        if opt.get("jax") and not have_jax:
            print(f"| {name} | - | skipped: jax/numpyro/blackjax not importable (see --jax-path) |", flush=True)
            continue
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as cache:
            for label in ("cold", "warm"):
                r = run_child(name, opt, cache, args.refits, env_extra)
                if "error" in r:
                    print(f"| {name} | {label} | error after {r['process_s']:.1f} s: {r['error']} |", flush=True)
                    break
                cells = [f"{r[c]:,.0f}" if c == "ess_per_s" else f"{r[c]:.3g}" for c in COLS]
                print(f"| {name} | {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
