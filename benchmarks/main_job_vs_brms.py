"""The main job, end to end, against brms on the same model, side by side in one invocation.

Main job: ``bayeshcc fit models/huang2022_os.toml --out DIR`` (piecewise exponential, cutpoints
0/6/12/18, proportional effect, 4 chains x 1000 draws + 1000 tune, diagnostics, comparison,
netCDF + CSV + PNG). brms: ``Rscript benchmarks/main_job_brms.R --refits 0`` (same likelihood
and priors, see that file; load, compile, sample, posterior summary; no files written). Each run is a fresh process timed from outside (wall seconds, interpreter start-up
and exit included): a "first" run, then a "repeat" run. The runs alternate (bayeshcc first, brms
first, bayeshcc repeat, brms repeat) so that background load hits both tools alike.

Compile caches: by default every bayeshcc variant gets a private, empty PyTensor ``base_compiledir``
(holding PyTensor's C and numba caches) and ``NUMBA_CACHE_DIR``, and the package's own
``__pycache__`` folders are removed before its first run, so "first" is a first-ever run after
``pip install -e .`` and "repeat" a run with the caches the first one left. ``--user-caches`` keeps
the user's caches instead. The command is the console script beside ``sys.executable`` (else
``python -m bayeshcc.cli``), as in a fresh virtual environment. (rstan keeps no compiled model across R processes: brms compiles each run.)

Variants (``--variant``, repeatable; default ``default``):

* ``default``: the command as it is: ``bayeshcc fit SPEC --out DIR`` (the spec's sampler:
  ``"numpy"``, nutpie's NUTS on the family's numpy log density).
* ``pymc``: the same with a copy of the spec whose ``[fit] sampler`` is ``"pymc"``.
* ``nutpie-c``: the same CLI with ``nutpie.compile_pymc_model`` replaced by
  ``sampler_options.compile_nutpie_pytensor`` (nutpie sampling a PyTensor C-compiled logp through
  ``nutpie.from_pyfunc``; C code cached on disk) and ``nutpie.sample(..., cores=1)`` (Python
  callbacks: threads only contend for the GIL), to preview that default without editing the package.
* ``nutpie-c-pickled``: as ``nutpie-c``, and the compiled PyTensor functions are pickled to disk
  (keyed by a hash of the model graph) so that a repeat run skips PyTensor's graph rewriting too.

To time any other command (e.g. after the default sampler changed) set ``BAYESHCC_FIT_CMD``, a shell
command line in which ``{out}`` is replaced by the output folder (``--out {out}`` is appended when
absent) and ``{spec}`` by the spec path; it runs as variant ``env``. Extra arguments after ``--``
go to every bayeshcc command. If ``Rscript`` or brms is missing, the brms part is skipped with a
message. Usage (repository root):

    python benchmarks/main_job_vs_brms.py [--variant default --variant nutpie-c] [--user-caches] [-- --seed 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
SPEC = ROOT / "models" / "huang2022_os.toml"
BRMS_SCRIPT = BENCH / "main_job_brms.R"

SHIM = (
    "import os, sys; sys.path.insert(0, {bench!r}); import nutpie; "
    "from sampler_options import compile_nutpie_pytensor as c; "
    "nutpie.compile_pymc_model = lambda model, **kw: c(model, cache_dir=os.environ.get('BENCH_FN_CACHE')); "
    "s = nutpie.sample; nutpie.sample = lambda compiled, *a, **kw: s(compiled, *a, **{{'cores': 1, **kw}}); "
    "from bayeshcc.cli import main; sys.exit(main(sys.argv[1:]))"
)


def bayeshcc_command(variant: str, spec: Path, out: Path, tmp: Path, extra: list[str]) -> list[str] | str:
    """Argument list (or a shell string for ``env``) of one bayeshcc run."""
    # the console script of this Python's environment (as `pip install -e .` makes it), not
    # whatever `bayeshcc` PATH finds first: a pyenv shim adds about 1 s of bash and pyenv
    exe = Path(sys.executable).with_name("bayeshcc")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "bayeshcc.cli"]
    if variant == "default":
        return [*cli, "fit", str(spec), "--out", str(out), *extra]
    if variant == "pymc":
        text = spec.read_text()
        new, n = re.subn(r'(?m)^(\s*sampler\s*=\s*)"[^"]*"', r'\1"pymc"', text)
        if n == 0:
            new = re.sub(r"(?m)^\[fit\]\s*$", '[fit]\nsampler = "pymc"', text)
        pymc_spec = tmp / "spec_pymc.toml"
        pymc_spec.write_text(new)
        return [*cli, "fit", str(pymc_spec), "--out", str(out), *extra]
    if variant in ("nutpie-c", "nutpie-c-pickled"):
        return [sys.executable, "-c", SHIM.format(bench=str(BENCH)), "fit", str(spec), "--out", str(out), *extra]
    if variant == "env":
        cmd = os.environ["BAYESHCC_FIT_CMD"]
        if "{out}" not in cmd:
            cmd += " --out {out}"
        cmd = cmd.replace("{out}", shlex.quote(str(out))).replace("{spec}", shlex.quote(str(spec)))
        return cmd + "".join(" " + shlex.quote(a) for a in extra)
    raise SystemExit(f"unknown variant {variant!r}")


def timed(cmd: list[str] | str, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, cwd=ROOT, env=env)
    return time.perf_counter() - t, proc


def posterior_mean_log_hr(path: Path) -> float | None:
    """Posterior mean of log_hr in a written idata.nc (read after the timing), or None."""
    try:
        import xarray as xr

        with xr.open_dataset(path, group="posterior") as post:
            return float(post["log_hr"].mean())
    except Exception:  # noqa: BLE001 - a missing file or variable just leaves the note out
        return None


def brms_available() -> str | None:
    """None when Rscript and brms are usable, else the reason."""
    if shutil.which("Rscript") is None:
        return "Rscript not found (install R: apt-get install r-cran-brms r-cran-bh)"
    p = subprocess.run(["Rscript", "-e", "if (!requireNamespace('brms', quietly = TRUE)) quit(status = 3)"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return "R package brms not installed"
    return None


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        mem_gb = f"{int(mem.split()[1]) / 2**20:.0f} GB"
    except (OSError, StopIteration):
        mem_gb = "? GB"
    return f"{cpu}, {os.cpu_count()} cores, {mem_gb}, Python {platform.python_version()}"


def versions() -> str:
    code = ("import pymc, pytensor, nutpie, numba, arviz;"
            "print(f'PyMC {pymc.__version__}, PyTensor {pytensor.__version__}, nutpie {nutpie.__version__}, "
            "numba {numba.__version__}, ArviZ {arviz.__version__}')")
    py = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip()
    r = subprocess.run(["Rscript", "-e", "cat(sprintf('R %s, brms %s, rstan %s', getRversion(), "
                        "packageVersion('brms'), packageVersion('rstan')))"], capture_output=True, text=True
                       ) if shutil.which("Rscript") else None
    return py + ("; " + r.stdout.strip() if r is not None and r.returncode == 0 else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", action="append", choices=["default", "pymc", "nutpie-c", "nutpie-c-pickled", "env"],
                    default=None)
    ap.add_argument("--spec", type=Path, default=SPEC)
    ap.add_argument("--user-caches", action="store_true", help="use the user's PyTensor/numba caches")
    ap.add_argument("--no-brms", action="store_true")
    ap.add_argument("--brms-cores", type=int, default=None, help="BRMS_CORES for the R script (default 1)")
    ap.add_argument("extra", nargs="*", help="extra arguments for bayeshcc (after --)")
    args = ap.parse_args()
    variants = args.variant or (["env"] if os.environ.get("BAYESHCC_FIT_CMD") else ["default"])
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else ["?"]
    print(f"Machine: {machine()}; load average at start {' '.join(load)}")
    print(f"Versions: {versions()}")
    skip = "--no-brms given" if args.no_brms else brms_available()
    if skip:
        print(f"brms part skipped: {skip}")
    r_env = dict(os.environ)
    if args.brms_cores is not None:
        r_env["BRMS_CORES"] = str(args.brms_cores)

    rows: list[tuple[str, str, float, str]] = []  # (tool, run, seconds, note)
    brms_times: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="main-job-") as tmp_s:
        tmp = Path(tmp_s)
        for variant in variants:
            env = dict(os.environ)
            if not args.user_caches:
                cache = tmp / f"cache-{variant}"
                env["PYTENSOR_FLAGS"] = ",".join(
                    f for f in (env.get("PYTENSOR_FLAGS"), f"base_compiledir={cache / 'pytensor'}") if f)
                env["NUMBA_CACHE_DIR"] = str(cache / "numba")
            if variant == "nutpie-c-pickled":
                env["BENCH_FN_CACHE"] = str(tmp / f"cache-{variant}" / "functions" if not args.user_caches
                                            else Path.home() / ".cache" / "bayeshcc-bench" / "functions")
            for run in ("first", "repeat"):
                if run == "first" and not args.user_caches:
                    # as after `pip install -e .`: the package's own modules not yet byte-compiled
                    for cache_dir in (ROOT / "bayeshcc").rglob("__pycache__"):
                        shutil.rmtree(cache_dir, ignore_errors=True)
                out = tmp / f"out-{variant}-{run}"
                cmd = bayeshcc_command(variant, args.spec, out, tmp, args.extra)
                secs, proc = timed(cmd, env)
                m = re.search(r"compile ([\d.]+) s, sampling ([\d.]+) s", proc.stdout)
                note = f"exit {proc.returncode}"
                if m:
                    note += f"; compile {m[1]} s, sampling {m[2]} s"
                mean = posterior_mean_log_hr(out / "idata.nc")
                if mean is not None:
                    note += f"; log_hr mean {mean:.3f}"
                if proc.returncode not in (0, 1):
                    note += ": " + " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:])[:200]
                rows.append((f"bayeshcc ({variant})", run, secs, note))
                print(f"  bayeshcc {variant} {run}: {secs:.2f} s ({note})", flush=True)
                if not skip and variant == variants[0]:
                    secs, proc = timed(["Rscript", str(BRMS_SCRIPT), "--refits", "0"], r_env)
                    res = re.search(r"log_hr mean (\S+)", proc.stdout)
                    note = f"exit {proc.returncode}" + (f"; log_hr mean {res[1]}" if res else "")
                    if proc.returncode != 0:
                        note += ": " + " | ".join(proc.stderr.strip().splitlines()[-2:])[:200]
                    else:
                        brms_times[run] = secs
                    inner = re.search(r"load ([\d.]+) s, brm \(compile \+ sample\) ([\d.]+) s", proc.stdout)
                    if inner:
                        note += f"; library(brms) {inner[1]} s, brm() {inner[2]} s"
                    rows.append(("brms", run, secs, note))
                    print(f"  brms {run}: {secs:.2f} s ({note})", flush=True)

    print(f"\nCommand: python {' '.join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]])}")
    print(f"caches: {'user' if args.user_caches else 'private, empty before the first run'}\n")
    print("| tool | run | wall s | vs brms (same run) | note |")
    print("|---|---|---|---|---|")
    for tool, run, secs, note in rows:
        ratio = ""
        if tool != "brms" and run in brms_times:
            r = secs / brms_times[run]
            ratio = f"{r:.3f} ({'meets' if r <= 0.2 else 'misses'} <= 1/5; brms {brms_times[run] / secs:.1f}x)"
        print(f"| {tool} | {run} | {secs:.2f} | {ratio} | {note} |")


if __name__ == "__main__":
    main()
