"""MCMC diagnostics and model checks via ArviZ: R-hat, bulk/tail ESS, divergences, BFMI, LOO.

All ArviZ diagnostic calls live here, so the move to ArviZ 1.x touches one module.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bayeshcc.errors import ConvergenceWarning, SpecError

__all__ = ["Diagnostics", "bound_names", "check_prob", "diagnose", "exact_verdict", "joint_log_likelihood", "loo", "loo_compare",
           "parameter_summary"]


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
    if var_names is not None:
        unknown = [v for v in var_names if v not in post.data_vars]
        if unknown:
            raise SpecError(f"var_names: unknown variable(s) {unknown}; the posterior has {list(post.data_vars)}")
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
    stats = idata.sample_stats if "sample_stats" in idata.groups() else {}
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


def exact_verdict(n_draws: int) -> Diagnostics:
    """The verdict of independent draws from a closed-form posterior: nothing to converge."""
    table = pd.DataFrame(
        [("exact", np.nan, "closed form", True, f"{n_draws} independent draws from the exact posterior; no MCMC")],
        columns=["check", "value", "threshold", "ok", "detail"],
    )
    return Diagnostics(table=table, per_variable=pd.DataFrame())


def parameter_summary(idata, *, prob: float = 0.95, var_names: list[str] | None = None) -> pd.DataFrame:
    """Mean, sd, median, equal-tailed ``prob`` interval (mass in the column names), ESS and R-hat per parameter.

    The interval columns are named ``eti{100 prob}_lower`` / ``_upper`` (e.g. ``eti95_lower``).
    """
    import arviz as az

    check_prob(prob)
    post = idata.posterior if var_names is None else idata.posterior[var_names]
    lo_name, hi_name = bound_names(prob)
    q = post.quantile([(1 - prob) / 2, 0.5, (1 + prob) / 2], dim=("chain", "draw"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        diag = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    rows = []
    for name, da in post.data_vars.items():
        flat_mean = da.mean(dim=("chain", "draw"))
        flat_sd = da.std(dim=("chain", "draw"), ddof=1)
        other = [d for d in da.dims if d not in ("chain", "draw")]
        for idx in np.ndindex(*[da.sizes[d] for d in other]):
            sel = dict(zip(other, idx, strict=True))
            label = name + ("[" + ", ".join(str(da.coords[d].values[i]) for d, i in sel.items()) + "]" if sel else "")
            qs = q[name].isel(sel).values
            rows.append({
                "parameter": label,
                "mean": float(flat_mean.isel(sel)),
                "sd": float(flat_sd.isel(sel)),
                "median": float(qs[1]),
                lo_name: float(qs[0]),
                hi_name: float(qs[2]),
                "ess_bulk": float(diag["ess_bulk"].get(label, np.nan)),
                "ess_tail": float(diag["ess_tail"].get(label, np.nan)),
                "r_hat": float(diag["r_hat"].get(label, np.nan)),
            })
    return pd.DataFrame(rows)


def loo(idata, *, pointwise: bool = False):
    """PSIS-LOO (ArviZ ``az.loo``) over every likelihood term; a ``UserWarning`` names high Pareto k.

    A model whose likelihood has several terms (e.g. closed, window and actuarial life-table rows)
    has one log-likelihood variable per term; their observations are pooled into one
    ``observation`` dimension (labelled ``term[index]``), so each row is one LOO observation.
    """
    import arviz as az

    return az.loo(joint_log_likelihood(idata), pointwise=pointwise)


def loo_compare(idatas: dict, *, scale: str = "log"):
    """ArviZ's ``compare`` (PSIS-LOO) of several fits' pooled pointwise log-likelihoods."""
    import arviz as az

    return az.compare({k: joint_log_likelihood(v) for k, v in idatas.items()}, ic="loo", scale=scale)


def joint_log_likelihood(idata):
    """``idata`` with its log-likelihood terms pooled into one variable ``loglik`` (dim ``observation``)."""
    import arviz as az
    import xarray as xr

    ll = idata.log_likelihood
    parts, labels = [], []
    for name, da in ll.data_vars.items():
        other = [d for d in da.dims if d not in ("chain", "draw")]
        flat = da.stack(observation=other) if other else da.expand_dims(observation=[0])
        flat = flat.transpose("chain", "draw", "observation")
        parts.append(flat.values)
        labels += [f"{name}[{i}]" for i in range(flat.sizes["observation"])]
    values = np.concatenate(parts, axis=-1)
    joint = xr.Dataset({"loglik": (("chain", "draw", "observation"), values)},
                       coords={"chain": ll.coords["chain"], "draw": ll.coords["draw"], "observation": labels})
    return az.InferenceData(posterior=idata.posterior, log_likelihood=joint)


def check_prob(prob: float) -> None:
    """SpecError unless ``prob`` (an interval mass) is strictly between 0 and 1."""
    if not (isinstance(prob, float | int) and 0 < prob < 1):
        raise SpecError(f"prob must be strictly between 0 and 1, got {prob!r}")


def bound_names(prob: float) -> tuple[str, str]:
    """Interval column names with the mass in them: ``eti95_lower``, ``eti95_upper``."""
    pct = f"{100 * prob:.4g}"
    return f"eti{pct}_lower", f"eti{pct}_upper"
