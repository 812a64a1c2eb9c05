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
from bayeshcc.data._covariates import row_labels
from bayeshcc.errors import DataError, SpecError, format_rows

__all__ = ["MAX_STRATA", "DesignRows", "design_scaling", "likelihood_arrays", "pattern_arrays", "formula_variables",
           "model_matrix", "normalise_formula", "require_finite_design"]

#: Most levels a ``strata`` column may have: each stratum has its own baseline hazard per interval.
MAX_STRATA = 20


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
    """Columns the formula may read: ``arm`` (categorical, control level first) and the covariates
    (text covariates as categoricals, so formulas treat them as factors)."""
    levels = [control, *[a for a in data.arms if a != control]]
    arms = data.frame["arm"].astype(str) if arm is None else pd.Series(arm, index=data.frame.index)
    out = pd.DataFrame({"arm": pd.Categorical(arms, categories=levels)}, index=data.frame.index)
    for c in data.covariates:
        out[c] = data.frame[c]
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
    single = [c for c in sorted(formula_variables(formula) - {"arm"})
              if isinstance(data.frame[c].dtype, pd.CategoricalDtype) and data.frame[c].nunique() < 2]
    if single:
        levels = {c: list(data.frame[c].dropna().unique()) for c in single}
        raise DataError(f"formula: categorical covariate(s) with one level only {levels}; their effect "
                        "cannot be estimated (every patient has the reference level)")
    rhs = formula.replace(" ", "")
    if rhs.startswith(("0+", "-1+")) or rhs.endswith(("-1", "+0")) or "+0+" in rhs or "-1+" in rhs:
        raise SpecError(f"formula: {formula!r} removes the intercept; a Cox model's baseline hazard plays "
                        "that role, so every level of a factor would be collinear with it: drop '0' / '-1'")
    rows, gaps = missing_rows(data, sorted(formula_variables(formula) - {"arm"}))
    if rows.size:
        raise DataError(f"formula: covariate(s) {gaps} are missing in {format_rows(row_labels(data, rows))}; "
                        "a design matrix needs complete rows")
    try:  # no missing inputs; missing or infinite outputs (np.log(0)) are refused below, naming the rows
        with np.errstate(all="ignore"):
            mm = Formula(f"1 + {formula}").get_model_matrix(model_frame(data, control), na_action="ignore")
    except (DataError, SpecError):
        raise
    except Exception as e:  # formulaic's own errors: a bad reference level, an unknown function, ...
        raise DataError(f"formula: {formula!r} could not be applied to the data: {str(e).splitlines()[0]}") from None
    cols = [c for c in mm.columns if c != "Intercept"]
    if not cols:
        raise SpecError(f"formula: {formula!r} has no terms besides the intercept")
    x = np.asarray(mm[cols], dtype=float)
    require_finite_design(x, cols, lambda i: row_labels(data, i), formula=formula)
    return x, tuple(cols), mm.model_spec


def require_finite_design(x: np.ndarray, cols: Sequence[str], labels, *, formula: str) -> None:
    """DataError naming each design column with a missing or infinite value (``np.log(0)``,
    ``1 / x`` at 0) and its rows; ``labels`` maps row positions to the labels a message names."""
    bad = ~np.isfinite(x)
    if not bad.any():
        return
    where = "; ".join(
        f"{c!r} is {'/'.join(sorted({'NaN' if np.isnan(v) else f'{v:g}' for v in x[bad[:, j], j]}))} in "
        f"{format_rows(labels(np.flatnonzero(bad[:, j])))}"
        for j, c in enumerate(cols) if bad[:, j].any()
    )
    raise DataError(f"formula: {formula!r} gives design values that are not finite numbers: {where}; "
                    "change the transform (e.g. np.log1p for a covariate with zeros) or the data")


def design_scaling(x: np.ndarray, cols: Sequence[str], *, ddof: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column means, sampling scales and 0/1-indicator flags of a design matrix.

    A 0/1 column has scale 1 (its coefficient is per unit: the level's effect); any other column
    is scaled by its standard deviation (``ddof``), so a coefficient's prior does not depend on
    the covariate's unit; the coefficient per unit of the column is the standardised one over
    the scale. DataError for a column taking one value (its effect is not identified).
    """
    centre = x.mean(axis=0)
    binary = np.all((x == 0) | (x == 1), axis=0)
    sd = x.std(axis=0, ddof=ddof) if len(x) > ddof else np.zeros(x.shape[1])
    constant = [c for c, v in zip(cols, x.std(axis=0), strict=True) if v == 0]
    if constant:
        raise DataError(f"formula: term(s) {constant} take one value in the data; their effect is not identified")
    return centre, np.where(binary, 1.0, sd), binary


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
    col = data.frame[column]
    if not isinstance(col.dtype, pd.CategoricalDtype):
        x = col.to_numpy(float)
        frac = x != np.round(x)
        if frac.any():
            raise DataError(
                f"{field}: column {column!r} has non-integer values ({', '.join(f'{v:g}' for v in x[frac][:3])}"
                f"{', ...' if frac.sum() > 3 else ''} in {format_rows(row_labels(data, np.flatnonzero(frac)))}); a {field} column "
                "must be discrete: text labels or whole-number codes"
            )
    codes, levels = pd.factorize(col, sort=True)
    if field == "strata" and len(levels) > MAX_STRATA:
        raise DataError(
            f"strata: column {column!r} has {len(levels)} distinct values; expected a discrete column with at most "
            f"{MAX_STRATA} levels (each stratum has its own baseline hazard per interval). A continuous "
            "covariate belongs in the formula; many clusters (e.g. centres) suit frailty="
        )
    return codes.astype(int), [f"{v:g}" if isinstance(v, float) else str(v) for v in levels]


def likelihood_arrays(split: pd.DataFrame, xs: np.ndarray, const: Sequence[int], tv: Sequence[int],
                      stratum: np.ndarray, cluster: np.ndarray, n_intervals: int, *, collapse: str | bool,
                      auto_ratio: float, patient_likelihood: bool) -> tuple[dict[str, np.ndarray], str, int, int]:
    """The likelihood's data from the split patients: arrays, their kind, cells and covariate patterns.

    Kinds: ``"patterns"`` (collapsed: ``(pattern, interval)`` matrices, :func:`pattern_arrays`),
    ``"patients"`` (per patient, :func:`patient_arrays`; uncollapsed without time-varying terms)
    or ``"cells"`` (one row per patient and interval). ``collapse="auto"`` collapses when there
    are at most ``auto_ratio`` patterns per patient.
    """
    p = split["patient"].to_numpy()
    cells = {"X": xs[p][:, const], "X_tv": xs[p][:, tv], "interval_idx": split["interval"].to_numpy(),
             "stratum_idx": stratum[p], "cluster_idx": cluster[p],
             "events": split["event"].to_numpy(np.int64), "exposure": split["exposure"].to_numpy(float)}
    _, pattern = np.unique(np.column_stack([xs, stratum, cluster]), axis=0, return_inverse=True)
    pattern = pattern.ravel()
    n_patterns = int(pattern.max()) + 1
    if collapse is True or (collapse == "auto" and n_patterns <= auto_ratio * len(xs)):
        out = pattern_arrays(cells, pattern[p], pattern, n_intervals, xs, const, tv, stratum, cluster)
        return out, "patterns", int(np.count_nonzero(out["exposure"])), n_patterns
    cells["exposure"] = np.maximum(cells["exposure"], 1e-12)
    if not len(tv) and patient_likelihood:
        out = patient_arrays(cells, p, len(xs), n_intervals, xs[:, const], stratum, cluster)
        return out, "patients", len(cells["events"]), n_patterns
    return cells, "cells", len(cells["events"]), n_patterns


def pattern_arrays(cells: dict[str, np.ndarray], cell_pattern: np.ndarray, pattern: np.ndarray, n_intervals: int,
                   xs: np.ndarray, const: Sequence[int], tv: Sequence[int], stratum: np.ndarray,
                   cluster: np.ndarray) -> dict[str, np.ndarray]:
    """Events and exposure summed per covariate pattern and interval, ``(pattern, interval)`` matrices.

    ``pattern`` is each patient's pattern (its design row, stratum and cluster), ``cell_pattern``
    each split cell's. The Poisson log-likelihood of the summed cells differs from the
    per-patient one by a constant (``sum d_i log e_i - D log E`` per group), so the posterior is
    the same. An event with no exposure (at time 0) gets exposure 1e-12, as the cells do.
    """
    n_patterns = int(pattern.max()) + 1
    first = np.zeros(n_patterns, dtype=int)
    first[pattern[::-1]] = np.arange(len(pattern))[::-1]  # a representative patient of each pattern
    events = np.zeros((n_patterns, n_intervals))
    exposure = np.zeros((n_patterns, n_intervals))
    np.add.at(events, (cell_pattern, cells["interval_idx"]), cells["events"])
    np.add.at(exposure, (cell_pattern, cells["interval_idx"]), cells["exposure"])
    exposure = np.where(events > 0, np.maximum(exposure, 1e-12), exposure)
    return {"X": xs[first][:, list(const)], "X_tv": xs[first][:, list(tv)], "stratum_idx": stratum[first],
            "cluster_idx": cluster[first], "events": events.astype(np.int64), "exposure": exposure}


def missing_rows(data: SurvivalData, columns: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Positions of patients missing a value in any of ``columns``, and the columns with gaps
    (:func:`~bayeshcc.data._covariates.row_labels` names them in messages)."""
    cols = [c for c in columns if c in data.covariates]
    if not cols:
        return np.array([], dtype=int), []
    gaps = data.frame[cols].isna()
    return np.flatnonzero(gaps.any(axis=1).to_numpy()), [c for c in cols if gaps[c].any()]


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
