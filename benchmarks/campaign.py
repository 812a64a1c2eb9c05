"""Benchmark: a 5 x 5 x 4 scenario grid (true HR x control median x patients), local 1 worker vs
local 2 workers vs a Dask LocalCluster of 2 workers; wall time and peak memory.

Design: uniform accrual over 24 months, 5% dropout by 12 months, looks at 60 and 120 events,
success if P(HR < 1 | data) > 0.975, futility at the interim if P(HR > 1 | data) > 0.5, vague
prior, laplace engine. Grid: HR 0.6-1.0, control median 6-18 months, 200-500 patients; 10,000
trials per cell (``--quick``: 500).

Each configuration runs in a fresh Python process, so imports, worker start-up and memory are
counted per configuration. Peak memory is the peak of the summed resident memory of the process and
all its descendants (workers, fork server, Dask nanny and workers), sampled from /proc every 0.1 s,
beside ``getrusage``'s peak of the main process. The three grids must be identical (checked).

Usage::

    python benchmarks/campaign.py [--quick] [--trials N] [--results benchmarks/out/campaign.md]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

CONFIGS = {"local, 1 worker": ("local", 1), "local, 2 workers": ("local", 2),
           "dask LocalCluster, 2 workers": ("dask", 2)}
GRID = {"hazard_ratio": [0.6, 0.7, 0.8, 0.9, 1.0], "median": [6.0, 9.0, 12.0, 15.0, 18.0],
        "n_patients": [200, 300, 400, 500]}


def make_design():
    import bayeshcc as bh

    return bh.TrialDesign(
        control="control", treatment="treatment", n_patients=300,
        accrual=bh.Accrual(duration=24), dropout=bh.Dropout(proportion=0.05, by=12),
        analyses=[bh.Analysis(events=60), bh.Analysis(events=120)],
        success=bh.PosteriorProbability("hazard_ratio", "<", 1, threshold=0.975),
        futility=[bh.PosteriorProbability("hazard_ratio", ">", 1, threshold=0.5), None],
    )


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def one(name: str, n_trials: int) -> dict:
    """Run one configuration in this process; return its timings and memory."""
    import bayeshcc as bh

    backend, workers = CONFIGS[name]
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(os.getpid()))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    grid = bh.simulate_grid(make_design(), grid=GRID, base_scenario={}, n_trials=n_trials, seed=2024,
                            backend=backend, workers=workers, progress=False)
    wall = time.perf_counter() - start
    # warm: the same grid again with the workers' imports done (local: the fork server is warm; dask: a
    # running cluster, as a planner's notebook keeps one), so start-up is not counted
    client = None
    if backend == "dask":
        from distributed import Client, LocalCluster

        client = Client(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                     dashboard_address=None))
        bh.simulate_grid(make_design(), grid=GRID, base_scenario={}, n_trials=10, seed=1, backend=client,
                         progress=False)
    start = time.perf_counter()
    again = bh.simulate_grid(make_design(), grid=GRID, base_scenario={}, n_trials=n_trials, seed=2024,
                             backend=client or backend, workers=None if client else workers, progress=False)
    warm = time.perf_counter() - start
    if client is not None:
        client.cluster.close()
        client.close()
    stop.set()
    sampler.join()
    values = np.stack([grid[v].values for v in sorted(grid.data_vars)])
    assert np.array_equal(values, np.stack([again[v].values for v in sorted(again.data_vars)]), equal_nan=True)
    return {"wall": wall, "warm": warm, "tree_peak_mib": peak[0] / 2**20,
            "self_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "digest": hashlib.sha256(values.tobytes()).hexdigest()[:16],
            "p_success_hr1_mean": float(grid["p_success"].sel(hazard_ratio=1.0).mean()),
            "p_success_hr07_mean": float(grid["p_success"].sel(hazard_ratio=0.7).mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 trials per cell")
    parser.add_argument("--trials", type=int, default=None, help="trials per cell")
    parser.add_argument("--results", type=Path, default=None, help="write a Markdown report here")
    parser.add_argument("--one", choices=list(CONFIGS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    n_trials = args.trials or (500 if args.quick else 10_000)
    if args.one:
        print(json.dumps(one(args.one, n_trials)))
        return
    cells = int(np.prod([len(v) for v in GRID.values()]))
    runs = {}
    for name in CONFIGS:
        proc = subprocess.run([sys.executable, __file__, "--one", name, "--trials", str(n_trials)],
                              capture_output=True, text=True, check=True)
        runs[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = runs[name]
        print(f"{name}: {r['wall']:.1f} s (warm {r['warm']:.1f} s), {cells * n_trials / r['wall']:,.0f} trials/s, "
              f"peak {r['tree_peak_mib']:,.0f} MiB (all processes), {r['self_peak_mib']:,.0f} MiB "
              f"(main), digest {r['digest']}")
    same = len({r["digest"] for r in runs.values()}) == 1
    base = runs["local, 1 worker"]["wall"]
    cmd = " ".join(["python benchmarks/campaign.py"] + sys.argv[1:])
    lines = [
        "# Scenario-grid benchmark (`benchmarks/campaign.py`)", "",
        f"Command: `{cmd}`",
        f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}; "
        f"load average at start {os.getloadavg()[0]:.1f}", "",
        f"Grid: {' x '.join(f'{k} {v}' for k, v in GRID.items())} = {cells} cells, {n_trials:,} "
        f"trials each ({cells * n_trials:,} trials); looks at 60 and 120 events, laplace engine.", "",
        "| backend | seconds (first call) | speed-up vs 1 worker | seconds (warm workers) | speed-up vs 1 worker "
        "| trials/s (warm) | peak memory, all processes (MiB) | peak memory, main process (MiB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    warm = runs["local, 1 worker"]["warm"]
    for name, r in runs.items():
        lines.append(f"| {name} | {r['wall']:.1f} | {base / r['wall']:.2f}x | {r['warm']:.1f} | {warm / r['warm']:.2f}x "
                     f"| {cells * n_trials / r['warm']:,.0f} | {r['tree_peak_mib']:,.0f} | {r['self_peak_mib']:,.0f} |")
    r = runs["local, 1 worker"]
    lines += ["", f"Identical grids across backends: {'yes' if same else 'NO'} "
              f"(SHA-256 of every variable: {', '.join(sorted({x['digest'] for x in runs.values()}))}). "
              f"Mean P(success) over the cells at HR 1: {r['p_success_hr1_mean']:.4f}; "
              f"at HR 0.7: {r['p_success_hr07_mean']:.4f}.",
              "First-call seconds include starting the workers (and the Dask cluster) and importing bayeshcc "
              "in them; each configuration runs in a fresh process.", ""]
    print("\n".join(lines))
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text("\n".join(lines), encoding="utf-8")
        print(f"wrote {args.results}")
    if not same:
        sys.exit("the backends gave different grids")


if __name__ == "__main__":
    main()
