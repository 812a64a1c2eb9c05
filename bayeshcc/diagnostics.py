"""MCMC convergence diagnostics via ArviZ: R-hat, bulk/tail ESS, divergences, BFMI.

All ArviZ diagnostic calls live here, so the move to ArviZ 1.x touches one module.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.errors import ConvergenceWarning

__all__ = ["Diagnostics", "diagnose"]


@dataclass(frozen=True, eq=False)
class Diagnostics:
    """Convergence verdict: one row per check with its value, threshold and pass/fail.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``check, value, threshold, ok, detail``.
    per_variable : pandas.DataFrame
        ArviZ's per-parameter ``r_hat``, ``ess_bulk``, ``ess_tail``, ``mcse_mean``.
    """

    table: pd.DataFrame
    per_variable: pd.DataFrame

    @property
    def ok(self) -> bool:
        """True when every check passes."""
        return bool(self.table["ok"].all())

    @property
    def failed(self) -> list[str]:
        """Human-readable lines for the checks that failed."""
        bad = self.table[~self.table["ok"]]
        return [f"{r.check}: {r.detail}" for r in bad.itertuples()]

    def verdict(self) -> str:
        """One line: all passed, or which checks failed."""
        if self.ok:
            return "Diagnostics: all checks passed (" + ", ".join(self.table["check"]) + ")"
        return "Diagnostics: FAILED - " + "; ".join(self.failed)

    def __repr__(self) -> str:
        return f"{self.table.to_string(index=False)}\n{self.verdict()}"


def diagnose(
    idata,
    *,
    var_names: list[str] | None = None,
    r_hat: float = 1.01,
    ess_per_chain: float = 100.0,
    max_divergences: int = 0,
    bfmi: float = 0.3,
    warn: bool = False,
) -> Diagnostics:
    """Run ArviZ diagnostics and compare each with its threshold.

    Parameters
    ----------
    idata : arviz.InferenceData
    var_names : list of str, optional
        Variables to check (default: all posterior variables).
    r_hat : float
        Largest acceptable rank-normalised split R-hat (Vehtari et al. 2021 recommend 1.01).
    ess_per_chain : float
        Smallest acceptable bulk and tail ESS per chain (100 per chain, Vehtari et al. 2021).
    max_divergences : int
        Largest acceptable number of divergent transitions after warm-up.
    bfmi : float
        Smallest acceptable E-BFMI of any chain (Betancourt 2016 suggests 0.3).
    warn : bool
        Also emit a :class:`ConvergenceWarning` when a check fails.

    Returns
    -------
    Diagnostics
    """
    import arviz as az

    post = idata.posterior
    chains = int(post.sizes["chain"])
    with warnings.catch_warnings():
        # a variable that never moves gives 0/0 inside ArviZ; its NaN is reported as a failure below
        warnings.simplefilter("ignore", RuntimeWarning)
        summ = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    ess_min = ess_per_chain * chains
    rows = []
    if chains > 1:
        rows.append(_check(summ, "r_hat", f"<= {r_hat}", lambda v: v <= r_hat, worst=max))
    else:
        rows.append(("r_hat", np.nan, f"<= {r_hat}", False, "needs 2 or more chains"))
    for col in ("ess_bulk", "ess_tail"):
        rows.append(_check(summ, col, f">= {ess_min:g}", lambda v: v >= ess_min, worst=min))
    stats = idata.sample_stats
    div = int(stats["diverging"].sum()) if "diverging" in stats else 0
    rows.append(("divergences", float(div), f"<= {max_divergences}", div <= max_divergences,
                 f"{div} divergent transitions"))
    if "energy" in stats:
        b = np.atleast_1d(az.bfmi(idata))
        worst = float(np.min(b))
        rows.append(("bfmi", worst, f">= {bfmi}", worst >= bfmi,
                     f"lowest E-BFMI {worst:.2f} (chain {int(np.argmin(b))})"))
    table = pd.DataFrame(rows, columns=["check", "value", "threshold", "ok", "detail"])
    out = Diagnostics(table=table, per_variable=summ)
    if warn and not out.ok:
        warnings.warn(out.verdict(), ConvergenceWarning, stacklevel=2)
    return out


def _check(summ: pd.DataFrame, col: str, threshold: str, passes, *, worst) -> tuple:
    """One table row: the worst value of ``col`` over variables; NaN (undefined) fails."""
    values = summ[col]
    undefined = values.index[values.isna()].tolist()
    if undefined:
        return (col, np.nan, threshold, False,
                f"undefined (NaN) for {', '.join(map(str, undefined[:5]))}: a variable did not move")
    idx = values.idxmax() if worst is max else values.idxmin()
    v = float(values[idx])
    word = "worst" if worst is max else "lowest"
    return (col, v, threshold, bool(passes(v)), f"{word} {v:.3g} at {idx}")
