"""Does the default prior decide the answer?  Piecewise-exponential default priors against Cox.

For lifelines' bundled ``rossi`` (weeks), ``gbsg2`` (days) and ``lung`` (days) data, fit
``bh.PiecewiseExponential(cutpoints=<event-time quantiles>)`` with its default priors to the arm
indicator alone and compare the posterior mean log hazard ratio with lifelines' ``CoxPHFitter``
(Efron ties): the shift in Cox standard errors. Then refit with times rescaled (days <-> weeks <->
months) and with the control label swapped: P(HR < 1) in one labelling should equal P(HR > 1) in
the other.

Run on this tree, and on an older tree for the "before" table::

    python benchmarks/default_priors.py
    git worktree add /tmp/before <commit> && PYTHONPATH=/tmp/before python benchmarks/default_priors.py

The event-time quantiles are computed here (numpy ``inverted_cdf``), so the script runs on trees
without ``cutpoints="quantiles:N"``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd

import bayeshcc as bh

DATASETS = {
    # name: (loader, time column, event column, arm column, control, unit, event-value map)
    "rossi": ("load_rossi", "week", "arrest", "fin", 0, "weeks"),
    "gbsg2": ("load_gbsg2", "time", "cens", "horTh", "no", "days"),
    "lung": ("load_lung", "time", "status", "sex", 1, "days"),
}
#: time unit -> factor from the data's own unit (rossi in weeks, the others in days)
RESCALE = {"weeks": {"days": 7.0, "weeks": 1.0, "months": 12 / 52.1775},
           "days": {"days": 1.0, "weeks": 1 / 7, "months": 12 / 365.25}}


def load(name: str) -> tuple[pd.DataFrame, str]:
    from lifelines import datasets

    loader, t, e, a, control, unit = DATASETS[name]
    df = getattr(datasets, loader)()
    out = pd.DataFrame({"time": df[t].astype(float), "event": df[e].astype(int), "arm": df[a].astype(str)})
    return out, unit


def cox(df: pd.DataFrame, control: str) -> tuple[float, float]:
    from lifelines import CoxPHFitter

    x = df.assign(trt=(df["arm"] != control).astype(float))[["time", "event", "trt"]]
    c = CoxPHFitter().fit(x, "time", "event")
    return float(c.params_["trt"]), float(c.standard_errors_["trt"])


def quantile_cuts(df: pd.DataFrame, n: int) -> list[float]:
    t = np.sort(df.loc[df["event"] == 1, "time"].to_numpy())
    q = np.quantile(t, np.arange(1, n) / n, method="inverted_cdf")
    q = np.unique(q[(q > 0) & (q < df["time"].max())])
    return [0.0, *q.tolist()]


def fit_log_hr(df, unit, cuts, control, treatment, seed, draws):
    data = bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", time_unit=unit)
    model = bh.PiecewiseExponential(cutpoints=cuts, control=control)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(data, draws=draws, tune=1000, chains=4, seed=seed)
    lhr = fit.idata.posterior["log_hr"].values.ravel()
    ess = float(fit.diagnostics().table.query("parameter == 'log_hr'")["ess_bulk"].iloc[0]) \
        if "parameter" in fit.diagnostics().table else float("nan")
    return lhr, ess


def markdown(df: pd.DataFrame) -> str:
    """A pandas table as Markdown (without the optional tabulate dependency)."""
    cells = [[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row] for row in df.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=2000)
    p.add_argument("--intervals", type=int, nargs="+", default=[10, 40])
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    print(f"bayeshcc {bh.__version__} from {bh.__file__}; {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}; {args.draws} draws x 4 chains")
    rows, sym = [], []
    t0 = time.perf_counter()
    for name, (_, _, _, _, control, unit) in DATASETS.items():
        df, unit = load(name)
        control = str(control)
        treatment = next(a for a in df["arm"].unique() if a != control)
        beta, se = cox(df, control)
        for n in args.intervals:
            for target in ("days", "weeks", "months"):
                f = RESCALE[unit][target]
                d = df.assign(time=df["time"] * f)
                cuts = [c * f for c in quantile_cuts(df, n)]
                lhr, _ = fit_log_hr(d, target, cuts, control, treatment, args.seed, args.draws)
                mcse = lhr.std() / np.sqrt(len(lhr) / 2)  # a conservative ESS of half the draws
                rows.append({"data": name, "intervals": len(cuts), "time unit": target,
                             "cox log HR": beta, "cox SE": se, "posterior mean log HR": lhr.mean(),
                             "shift (Cox SE)": (lhr.mean() - beta) / se, "MCSE (Cox SE)": mcse / se,
                             "P(HR<1)": (lhr < 0).mean()})
            # label swap, in the data's own unit
            cuts = quantile_cuts(df, n)
            a, _ = fit_log_hr(df, unit, cuts, control, treatment, args.seed, args.draws)
            b, _ = fit_log_hr(df, unit, cuts, treatment, control, args.seed + 1, args.draws)
            pa, pb = (a < 0).mean(), (b > 0).mean()
            se_diff = np.sqrt(pa * (1 - pa) / (len(a) / 2) + pb * (1 - pb) / (len(b) / 2))
            sym.append({"data": name, "intervals": len(cuts), "control": f"{control} / {treatment}",
                        "P(HR<1), first labelling": pa, "P(HR>1), swapped": pb, "difference": pa - pb,
                        "MCSE of difference": se_diff})
    print(markdown(pd.DataFrame(rows)))
    print()
    sym = pd.DataFrame(sym)
    print(markdown(sym))
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
