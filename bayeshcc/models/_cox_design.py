"""Design matrices of :class:`~bayeshcc.models.cox.CoxPH`: formula, centring, strata, clusters, collapse.

Pure numpy and pandas (formulaic for the formula); no PyMC. Everything the model samples and
everything a result needs to recompute a patient's hazard (g-computation, pointwise
log-likelihood) comes from here, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bayeshcc.data import SurvivalData
from bayeshcc.errors import DataError, SpecError, format_rows

__all__ = ["DesignRows", "collapse_cells", "formula_variables", "model_matrix", "normalise_formula"]


def normalise_formula(formula: object) -> str:
    """The right-hand side of a formula (a leading ``~`` is allowed; a left-hand side is not)."""
    if not isinstance(formula, str) or not formula.strip():
        raise SpecError(f"formula: expected the right-hand side of a model formula such as 'arm + age', got {formula!r}")
    lhs, tilde, rhs = formula.partition("~")
    if tilde and lhs.strip():
        raise SpecError(
            f"formula: give the right-hand side only ({rhs.strip()!r}); time and event come from the "
            f"SurvivalData, not from {lhs.strip()!r}"
        )
    rhs = (rhs if tilde else lhs).strip()
    if not rhs:
        raise SpecError("formula: the right-hand side is empty; name at least one covariate")
    return rhs


def formula_variables(formula: str) -> set[str]:
    """Data columns the formula reads."""
    from formulaic import Formula

    try:
        return set(Formula(formula).required_variables)
    except Exception as e:  # formulaic raises several parser errors  # noqa: BLE001
        raise SpecError(f"formula: {formula!r} is not a valid formula ({e})") from None


def model_frame(data: SurvivalData, control: str, arm: str | None = None) -> pd.DataFrame:
    """Columns the formula may read: ``arm`` (categorical, control level first) and the covariates."""
    levels = [control, *[a for a in data.arms if a != control]]
    arms = data.frame["arm"].astype(str) if arm is None else pd.Series(arm, index=data.frame.index)
    out = pd.DataFrame({"arm": pd.Categorical(arms, categories=levels)}, index=data.frame.index)
    for c in data.covariates:
        out[c] = data.frame[c].to_numpy()
    return out


def model_matrix(formula: str, data: SurvivalData, control: str) -> tuple[np.ndarray, tuple[str, ...], Any]:
    """The design matrix of ``formula`` on ``data`` (no intercept column), its column names and formulaic spec."""
    from formulaic import Formula

    missing = sorted(formula_variables(formula) - {"arm", *data.covariates})
    if missing:
        raise DataError(
            f"formula: variable(s) {missing} are not in the data; the data have 'arm' and covariates "
            f"{list(data.covariates)} (SurvivalData.from_frame(..., covariates=[...]))"
        )
    rhs = formula.replace(" ", "")
    if rhs.startswith(("0+", "-1+")) or rhs.endswith(("-1", "+0")) or "+0+" in rhs or "-1+" in rhs:
        raise SpecError(f"formula: {formula!r} removes the intercept; a Cox model's baseline hazard plays "
                        "that role, so every level of a factor would be collinear with it: drop '0' / '-1'")
    try:
        mm = Formula(f"1 + {formula}").get_model_matrix(model_frame(data, control), na_action="raise")
    except (DataError, SpecError):
        raise
    except Exception as e:  # formulaic's own errors: a bad reference level, an unknown function, ...
        raise DataError(f"formula: {formula!r} could not be applied to the data: {str(e).splitlines()[0]}") from None
    cols = [c for c in mm.columns if c != "Intercept"]
    if not cols:
        raise SpecError(f"formula: {formula!r} has no terms besides the intercept")
    return np.asarray(mm[cols], dtype=float), tuple(cols), mm.model_spec


@dataclass(frozen=True, eq=False)
class DesignRows:
    """Each patient's linear-predictor inputs, centred at the fitted data's column means.

    The hazard of row ``i`` in interval ``k`` is ``baseline_hazard[stratum[i], k] *
    exp(const[i] @ log_hr + tv[i] @ log_hr_tv[:, k] + frailty[cluster[i]])``, with every
    coefficient on the original scale of its design column.

    Attributes
    ----------
    const : numpy.ndarray
        ``(patient, term)``: design columns with a constant log HR, centred.
    tv : numpy.ndarray
        ``(patient, tv_term)``: design columns with a log HR per interval, centred.
    stratum, cluster : numpy.ndarray
        Integer index of each patient's stratum and frailty cluster (0 where there are none).
    """

    const: np.ndarray
    tv: np.ndarray
    stratum: np.ndarray
    cluster: np.ndarray

    def unique(self) -> tuple[DesignRows, np.ndarray]:
        """The distinct rows and how many patients share each (the collapsed covariate patterns)."""
        key = np.column_stack([self.const, self.tv, self.stratum, self.cluster])
        uniq, counts = np.unique(key, axis=0, return_counts=True)
        p, q = self.const.shape[1], self.tv.shape[1]
        rows = DesignRows(const=uniq[:, :p], tv=uniq[:, p:p + q], stratum=uniq[:, p + q].astype(int),
                          cluster=uniq[:, p + q + 1].astype(int))
        return rows, counts.astype(float)


def level_index(data: SurvivalData, column: str | None, field: str) -> tuple[np.ndarray, list[str]]:
    """Index of each patient's level of ``column`` (strata, frailty clusters) and the level labels."""
    n = len(data.frame)
    if column is None:
        return np.zeros(n, dtype=int), ["all"]
    if column not in data.covariates:
        raise DataError(
            f"{field}: column {column!r} is not among the data's covariates {list(data.covariates)}; "
            "add it with SurvivalData.from_frame(..., covariates=[...])"
        )
    codes, levels = pd.factorize(data.frame[column], sort=True)
    return codes.astype(int), [f"{v:g}" if isinstance(v, float) else str(v) for v in levels]


def collapse_cells(cells: dict[str, np.ndarray], keys: Sequence[str]) -> dict[str, np.ndarray]:
    """Sum ``events`` and ``exposure`` over cells that share every array in ``keys``.

    The Poisson log-likelihood of the summed cells differs from the per-patient one by a constant
    (``sum d_i log e_i - D log E`` per group), so the posterior is the same.
    """
    stacked = np.column_stack([np.asarray(cells[k], dtype=float).reshape(len(cells["events"]), -1) for k in keys])
    uniq, inverse = np.unique(stacked, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    out: dict[str, np.ndarray] = {}
    first = np.zeros(len(uniq), dtype=int)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]  # a representative row of each group
    for k in keys:
        out[k] = np.asarray(cells[k])[first]
    out["events"] = np.bincount(inverse, weights=cells["events"], minlength=len(uniq)).astype(np.int64)
    out["exposure"] = np.bincount(inverse, weights=cells["exposure"], minlength=len(uniq))
    return out


def missing_rows(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Index labels of rows with a missing value in any of ``columns``."""
    return df.index[df[list(columns)].isna().any(axis=1)].to_numpy()


def check_missing(df: pd.DataFrame, columns: Sequence[str], *, missing: str) -> tuple[pd.DataFrame, tuple]:
    """``df`` without rows missing a covariate (``missing="drop"``), or DataError listing them."""
    rows = missing_rows(df, columns)
    if rows.size == 0:
        return df, ()
    which = [c for c in columns if df[c].isna().any()]
    if missing == "error":
        raise DataError(
            f"CoxPH: covariate(s) {which} are missing in {format_rows(rows)}; remove those rows or "
            "pass missing='drop' to drop them (reported in fit.dropped_rows)"
        )
    return df.drop(index=rows), tuple(r.item() if hasattr(r, "item") else r for r in rows)


def patient_arrays(cells: dict[str, np.ndarray], patient: np.ndarray, n: int, n_intervals: int, x: np.ndarray,
                   stratum: np.ndarray, cluster: np.ndarray) -> dict[str, np.ndarray]:
    """Per-patient arrays of the split cells: design ``X``, ``exposure`` (patient x interval), events.

    ``interval_idx`` is the interval of the patient's event (0 for censored patients: it is then
    multiplied by zero events). Exposure is the cells' (clipped) exposure, so the per-patient
    likelihood is the cells' Poisson likelihood up to a constant.
    """
    exposure = np.zeros((n, n_intervals))
    np.add.at(exposure, (patient, cells["interval_idx"]), cells["exposure"])
    events = np.bincount(patient, weights=cells["events"], minlength=n).astype(np.int64)
    interval = np.zeros(n, dtype=np.int64)
    hit = cells["events"] > 0
    interval[patient[hit]] = cells["interval_idx"][hit]
    return {"X": x, "interval_idx": interval, "stratum_idx": stratum, "cluster_idx": cluster,
            "events": events, "exposure": exposure}
