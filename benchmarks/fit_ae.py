"""Time the hierarchical adverse-event fit (Berry and Berry): Table 4 and a 500-event table.

Fits ``bh.HierarchicalAE()`` (continuous shrinkage, and the point-mass mixture on Table 4) with
nutpie, 4 chains x 1000 draws after 1000 warm-up, and records wall time (compile and sampling),
bulk ESS per second of sampling (the lowest over all parameters, and for the per-event log odds
ratios) and divergences. Usage (from the repository root):

    python benchmarks/fit_ae.py [--out benchmarks/out/fit_ae.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path


def run(label: str, model, table, *, draws: int, chains: int, seed: int) -> dict:
    import arviz as az

    t = time.perf_counter()
    fit = model.fit(table, draws=draws, tune=1000, chains=chains, seed=seed, check_convergence=False)
    wall = time.perf_counter() - t
    ess = az.ess(fit.idata, method="bulk")
    lowest = min(float(ess[v].min()) for v in ess.data_vars)
    name = "log_or" if "log_or" in ess else "log_or_slab"
    diag = fit.diagnostics()
    cells = fit.idata.posterior.sizes["cell"]
    return {"fit": label, "cells": cells, "compile_s": fit.timings["compile"], "sample_s": fit.timings["sample"],
            "wall_s": wall, "min_ess_per_s": lowest / fit.timings["sample"],
            "log_or_ess_per_s": float(ess[name].min()) / fit.timings["sample"],
            "divergences": int(fit.idata.sample_stats["diverging"].sum()),
            "max_rhat": float(diag.table.set_index("check").loc["r_hat", "value"])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/out/fit_ae.md")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import bayeshcc as bh
    from bayeshcc.testing import simulate_ae_table

    table4 = bh.datasets.load_huang2022().adverse_events
    big, _ = simulate_ae_table(n_systems=25, events_per_system=20, n=(200, 200), mean_log_or=0.2,
                               between_sd=0.5, within_sd=0.4, seed=2024)
    rows = [
        run("Table 4, shrinkage (both bands)", bh.HierarchicalAE(), table4, draws=args.draws, chains=args.chains, seed=1),
        run("Table 4, point_mass (both bands)", bh.HierarchicalAE(effect_prior="point_mass"), table4,
            draws=args.draws, chains=args.chains, seed=1),
        run("simulated 500 events / 25 systems, shrinkage", bh.HierarchicalAE(), big,
            draws=args.draws, chains=args.chains, seed=1),
    ]
    head = "| fit | cells | compile s | sampling s | wall s | min bulk ESS/s | log OR min bulk ESS/s | divergences | max R-hat |"
    lines = [head, "|" + "---|" * 9]
    for r in rows:
        lines.append(f"| {r['fit']} | {r['cells']} | {r['compile_s']:.1f} | {r['sample_s']:.1f} | {r['wall_s']:.1f} | "
                     f"{r['min_ess_per_s']:.0f} | {r['log_or_ess_per_s']:.0f} | {r['divergences']} | {r['max_rhat']:.3f} |")
    machine = f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs"
    text = (f"# Hierarchical adverse-event fit (benchmarks/fit_ae.py)\n\nCommand: `python {' '.join(['benchmarks/fit_ae.py', *(argv or sys.argv[1:])])}`\n\n"
            f"Machine: {machine}\n\nnutpie, {args.chains} chains x {args.draws} draws after 1000 warm-up, "
            "target_accept 0.95; ESS per second of sampling time (compile excluded).\n\n" + "\n".join(lines) + "\n")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
