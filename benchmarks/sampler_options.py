"""Sampler options for the main job's model (huang2022 OS, piecewise exponential, 4 x 1000 + 1000).

Every option runs in a fresh Python process, twice: first with empty compile caches ("cold":
a new PyTensor ``base_compiledir``, which also holds PyTensor's numba cache, a new
``NUMBA_CACHE_DIR`` and a new JAX persistent cache), then again in a new process with the caches
the first run left ("warm"). Each process times: imports, building the PyMC model, the first fit
(compile + sample) and ``--refits`` refits with new data of the same shape through the already
compiled model (median). ESS/s is the bulk ESS of ``log_hr`` per wall second of a refit.

Options: nutpie's numba backend (bayeshcc's default) and JAX backend; nutpie sampling a PyTensor
C-compiled logp through ``nutpie.from_pyfunc`` (``compile_nutpie_pytensor`` below: about 70 lines of
glue on nutpie internals), optionally with the compiled functions pickled to disk; the same glue with
PyTensor's numba mode; PyMC's NUTS (``pm.sample``) with the C backend (cores=1 and 2), the numba
backend, FAST_COMPILE (``--slow``: minutes), and ``nuts_sampler="numpyro"``/``"blackjax"``.

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
sys.path.insert(0, os.environ["BENCH_DIR"])
from sampler_options import compile_nutpie_pytensor  # stdlib-only module: no import cost
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
        if compiled is None and opt.get("backend") == "pytensor-c":
            compiled = compile_nutpie_pytensor(
                model, cache_dir=os.environ["BENCH_FN_CACHE"] if opt.get("pickle") else None)
        elif compiled is None and opt.get("backend") == "pytensor-numba":
            compiled = compile_nutpie_pytensor(model, mode="NUMBA")
        elif compiled is None:
            compiled = nutpie.compile_pymc_model(model, backend=opt.get("backend", "numba"),
                                                 **opt.get("compile_kwargs", {}))
        t_c = time.perf_counter() - t
        idata = nutpie.sample(compiled.with_data(**a), draws=1000, tune=1000, chains=4, seed=seed,
                              progress_bar=False, save_warmup=False, **opt.get("sample_kwargs", {}))
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

def _graph_key(model, mode: str) -> str:
    """Hash of everything that fixes the compiled functions: model graph, constants, data types, versions."""
    import hashlib
    import re

    import numpy as np
    import nutpie
    import pymc
    import pytensor
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant
    try:
        from pytensor.graph.traversal import ancestors
    except ImportError:  # PyTensor < 2.32
        from pytensor.graph.basic import ancestors

    outs = [*model.free_RVs, *model.observed_RVs, *model.deterministics, *model.potentials]
    h = hashlib.sha256()
    h.update(repr((pymc.__version__, pytensor.__version__, nutpie.__version__, mode, model.check_bounds,
                   [(v.name, str(model.rvs_to_transforms.get(v))) for v in model.free_RVs])).encode())
    text = pytensor.printing.debugprint(outs, file="str", print_type=True)
    h.update(re.sub(r" at 0x[0-9A-Fa-f]+", "", text).encode())  # RNG objects print their address
    for v in ancestors(outs):
        if isinstance(v, Constant):
            a = np.asarray(v.data)  # object arrays (NoneConst) would hash a pointer
            h.update(repr(v.data).encode() if a.dtype == object else a.dtype.str.encode() + a.tobytes())
        elif isinstance(v, SharedVariable):
            h.update(f"{v.name}:{v.type}".encode())
    return h.hexdigest()[:32]


def compile_nutpie_pytensor(model, mode="FAST_RUN", cache_dir=None):
    """nutpie sampling a PyTensor C-compiled logp/gradient through nutpie.from_pyfunc.

    The C code lives in PyTensor's on-disk cache, so a new process skips the C compilation (numba
    cfuncs, which nutpie's default backend builds, are not cacheable). With ``cache_dir`` the
    compiled PyTensor functions are also pickled there, keyed by a hash of the model graph, so a
    new process skips PyTensor's graph rewriting as well. Data stay ``pm.Data``:
    ``compiled.with_data(**arrays)`` works as with nutpie's own backends. Uses nutpie internals
    (``nutpie.compile_pymc._make_functions`` and friends; checked with nutpie 0.16.8).
    """
    import os
    import pickle

    import numpy as np
    import pytensor
    from nutpie.compile_pymc import (
        _make_functions,
        _prepare_dims_and_coords,
        _rv_dict_to_flat_array_wrapper,
        _wrap_with_lock,
    )
    from nutpie.compiled_pyfunc import from_pyfunc
    from pymc.initial_point import make_initial_point_fn

    ipfn = _wrap_with_lock(make_initial_point_fn(model=model, jitter_rvs=set(model.free_RVs),
                                                 return_transformed=True))
    path = None
    if cache_dir is not None:
        path = os.path.join(cache_dir, f"nutpie-pytensor-{_graph_key(model, mode)}.pkl")
    if path is not None and os.path.exists(path):
        with open(path, "rb") as fh:
            n_dim, logp_pt, expand_pt, shape_info, free = pickle.load(fh)
        init_fn = _rv_dict_to_flat_array_wrapper(ipfn, names=free[0], shapes=free[1])
    else:
        n_dim, _, logp_pt, expand_pt, init_fn, shape_info = _make_functions(
            model, mode=mode, compute_grad=True, join_expanded=False, pymc_initial_point_fn=ipfn)
        if path is not None:
            names_all, _, shapes_all = shape_info
            free_names = [model.rvs_to_values[v].name for v in model.free_RVs]
            free = (free_names, [shapes_all[names_all.index(n)] for n in free_names])
            os.makedirs(cache_dir, exist_ok=True)
            tmp = f"{path}.{os.getpid()}"
            with open(tmp, "wb") as fh:
                pickle.dump((n_dim, logp_pt, expand_pt, shape_info, free), fh)
            os.replace(tmp, path)
    names, _, shapes = shape_info

    def own_copy(fn):
        # nutpie runs chains in threads: each gets its own function and data containers
        swap = {s: pytensor.shared(s.get_value(), name=s.name) for s in fn.get_shared()}
        f = fn.copy(share_memory=False, swap=swap)
        f.trust_input = True
        current = {s.name: s for s in swap.values()}
        seen = {}

        def set_data(shared):
            for name, s in current.items():
                v = shared[name]
                if seen.get(name) is not v:
                    s.set_value(np.asarray(v, dtype=s.type.dtype), borrow=True)
                    seen[name] = v
        return f, set_data

    def make_logp_fn():
        f, set_data = own_copy(logp_pt)

        def logp(x, **shared):
            set_data(shared)
            lp, grad = f(x)
            return float(lp), grad
        return logp

    def make_expand_fn(seed1, seed2, chain):
        f, set_data = own_copy(expand_pt)

        def expand(x, **shared):
            set_data(shared)
            return {n: np.asarray(v, dtype="float64").reshape(s) for n, v, s in zip(names, f(x), shapes, strict=True)}
        return expand

    # the model's current data (a cached function holds the data it was pickled with)
    current = {**model.dim_lengths, **model.named_vars}
    shared_data = {s.name: np.asarray(current[s.name].get_value())
                   for s in [*logp_pt.get_shared(), *expand_pt.get_shared()]}
    dims, coords = _prepare_dims_and_coords(model, shape_info)
    return from_pyfunc(ndim=n_dim, make_logp_fn=make_logp_fn, make_expand_fn=make_expand_fn,
                       make_initial_point_fn=init_fn, expanded_dtypes=[np.dtype("float64")] * len(names),
                       expanded_shapes=shapes, expanded_names=names, shared_data=shared_data,
                       dims=dims, coords=coords)


# name -> child options; "jax": needs jax importable; "C glue": compile_nutpie_pytensor
OPTIONS = {
    "nutpie numba (default)": {"kind": "nutpie", "backend": "numba"},
    "nutpie + C glue": {"kind": "nutpie", "backend": "pytensor-c"},
    "nutpie + C glue, cores=1": {"kind": "nutpie", "backend": "pytensor-c", "sample_kwargs": {"cores": 1}},
    "nutpie + C glue, cores=1, pickled functions": {"kind": "nutpie", "backend": "pytensor-c", "pickle": True,
                                                    "sample_kwargs": {"cores": 1}},
    "nutpie + PyTensor-numba glue, cores=1": {"kind": "nutpie", "backend": "pytensor-numba",
                                              "sample_kwargs": {"cores": 1}},
    "nutpie jax": {"kind": "nutpie", "backend": "jax", "compile_kwargs": {"freeze_model": False}, "jax": True},
    "pymc C cores=1": {"kind": "pymc", "sample_kwargs": {"cores": 1}},
    "pymc C cores=2": {"kind": "pymc", "sample_kwargs": {"cores": 2}},
    "pymc numba cores=1": {"kind": "pymc", "sample_kwargs": {"cores": 1, "compile_kwargs": {"mode": "NUMBA"}}},
    "pymc FAST_COMPILE cores=1": {"kind": "pymc", "sample_kwargs": {"cores": 1, "compile_kwargs": {"mode": "FAST_COMPILE"}},
                                  "slow": True},
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
    env["BENCH_FN_CACHE"] = os.path.join(cache, "functions")
    env["BENCH_DIR"] = os.path.dirname(os.path.abspath(__file__))
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
    ap.add_argument("--slow", action="store_true", help="also run options that take minutes (FAST_COMPILE)")
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
        if opt.get("slow") and not args.slow:
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
