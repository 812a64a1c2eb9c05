"""Logistic response with covariates on patient-level binary data (formulaic design matrices)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from bayeshcc.data.binary_patients import BinaryPatientData
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import DataError, SpecError
from bayeshcc.models import _cox_design as cd
from bayeshcc.models.base import Model, Prepared
from bayeshcc.models.priors import Normal, Prior
from bayeshcc.results.logistic import LogisticFit

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["LogisticResponse"]


@dataclass(frozen=True, kw_only=True, repr=False)
class LogisticResponse(Model):
    """Probability of response as a logistic regression on arm and covariates (PyMC).

    ``bh.BinomialResponse(formula=...)`` returns one of these: a formula means patient-level data
    and a regression, which has no closed-form posterior, so it is its own (MCMC) family
    rather than a mode of the exact :class:`~bayeshcc.BinomialResponse`.

    Parameters
    ----------
    formula : str
        ``"response ~ arm + pvtt"`` in `formulaic <https://matthewwardrop.github.io/formulaic/>`_
        syntax. The left side names the data's response column; the right side uses the arm
        column and the data's covariates (interactions and transforms as formulaic allows).
    reference : mapping of str -> str, optional
        Reference level of categorical covariates, e.g. ``{"pvtt": "absent"}``; the arm's
        reference is ``control``. Others default to their first level in sorted order.
    intercept_prior : Prior, default ``Normal(0, 2.5)``
        Log-odds of response of a control patient with average (numeric) covariates. A formula
        without intercept (``"response ~ 0 + arm"``) has one log-odds per arm instead, each with
        ``coef_prior``; ``coef_prior=bh.Logistic(0, 1)`` is then exactly a uniform prior on each
        arm's rate, the exact model's default ``Beta(1, 1)``.
    coef_prior : Prior, default ``Normal(0, 2.5)``
        Every coefficient, per unit of a 0/1 design column (a categorical level, the arm) and per
        standard deviation of any other design column (a numeric covariate, a transform such as
        ``np.log(afp)``, an interaction): Gelman et al. 2008's weakly informative scale.
    control : str, optional
        Reference arm; defaults to the data's control, else its first arm.

    Notes
    -----
    :math:`\\operatorname{logit} P(y_i = 1) = \\alpha + x_i^\\top \\beta`. The design matrix is built
    from the data as they are (``np.log(afp)`` is the log of AFP); for sampling, each design
    column that is not 0/1 is centred and scaled by its sample mean and sd (as
    :class:`~bayeshcc.CoxPH` does), so the priors mean the same whatever a covariate's unit.
    The posterior ``coef`` is on that sampling scale; :meth:`LogisticFit.coefficients` reports
    each coefficient per unit of its design column (the original scale). Arm contrasts
    (:meth:`LogisticFit.compare`) are standardised over the sample (g-computation): every patient
    is predicted under each arm with their own covariates and the predictions are averaged, so
    risk difference, risk ratio, odds ratio and number needed to treat are marginal, not
    conditional on a covariate value.
    """

    family: ClassVar[str] = "logistic_response"
    endpoint: ClassVar[str] = "response"
    data_types: ClassVar[tuple[type, ...]] = (BinaryPatientData,)
    result: ClassVar[type] = LogisticFit

    formula: str
    reference: Mapping[str, str] = field(default_factory=dict)
    intercept_prior: Prior = Normal(0.0, 2.5)
    coef_prior: Prior = Normal(0.0, 2.5)
    control: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.formula, str) or "~" not in self.formula:
            raise SpecError(f"formula: expected 'response ~ arm + ...', got {self.formula!r}")
        lhs, rhs = (s.strip() for s in self.formula.split("~", 1))
        if not lhs.isidentifier() or not rhs:
            raise SpecError(f"formula: the left side must name the response column and the right side "
                            f"its terms, got {self.formula!r}")
        for name in ("intercept_prior", "coef_prior"):
            p = getattr(self, name)
            if not isinstance(p, Prior) or p.support != "real":
                raise SpecError(f"{name} must be a prior on the real line (e.g. bh.Normal), got {p!r}")
        if not isinstance(self.reference, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.reference.items()):
            raise SpecError(f"reference: expected a mapping of column -> reference level, got {self.reference!r}")
        object.__setattr__(self, "reference", tuple(sorted(self.reference.items())))  # hashable
        if self.control is not None and not isinstance(self.control, str):
            raise SpecError(f"control must be an arm name, got {self.control!r}")

    @property
    def sides(self) -> tuple[str, str]:
        """``(response column, right-hand side)`` of the formula."""
        lhs, rhs = (s.strip() for s in self.formula.split("~", 1))
        return lhs, rhs

    def describe(self) -> str:
        ref = f", reference={dict(self.reference)}" if self.reference else ""
        control = f", control={self.control!r}" if self.control is not None else ""
        return (f"formula={self.formula!r}{ref}, intercept_prior={self.intercept_prior}, "
                f"coef_prior={self.coef_prior}{control}")

    def prior_text(self, prepared: Prepared, time_unit: str = "time units") -> str:
        return (f"intercept (log-odds, control arm, reference levels, average of other design columns) ~ "
                f"{self.intercept_prior}; each coefficient (per unit of a 0/1 design column, per sd of "
                f"others) ~ {self.coef_prior}")

    def _frame(self, data: BinaryPatientData, control: str) -> pd.DataFrame:
        """The data with the arm and categorical covariates as ordered categoricals (reference
        first); numeric covariates as they are."""
        frame = data.frame.copy()
        refs = dict(self.reference)
        unknown = sorted(set(refs) - set(data.covariates))
        if unknown:
            raise DataError(f"reference: {unknown} are not covariates of the data ({list(data.covariates)})")
        for col in (data.arm, *data.covariates):
            values = frame[col]
            if col != data.arm and pd.api.types.is_numeric_dtype(values.dtype):
                continue
            levels = sorted(set(values))
            ref = control if col == data.arm else refs.get(col, levels[0])
            if ref not in levels:
                raise DataError(f"reference.{col}: {ref!r} is not a level of '{col}' ({levels})")
            frame[col] = pd.Categorical(values, categories=[ref, *[v for v in levels if v != ref]])
        return frame

    def prepare(self, data: BinaryPatientData) -> Prepared:
        """Design matrices (observed, and with every patient set to each arm) and the outcome."""
        from formulaic import model_matrix
        from formulaic.errors import FormulaicError

        self.check_data(data)
        lhs, rhs = self.sides
        if lhs != data.response:
            raise DataError(f"formula: the left side {lhs!r} is not the data's response column {data.response!r}")
        control = self.control or data.control or data.arms[0]
        check_arms(data.arms, [control], field="control")
        arms = (control, *[a for a in data.arms if a != control])
        frame = self._frame(data, control)
        try:  # complete data (BinaryPatientData refuses gaps): NaN or inf come from a transform, refused below
            with np.errstate(all="ignore"):
                mm = model_matrix(rhs, frame, ensure_full_rank=True, na_action="ignore")
        except (FormulaicError, NameError, KeyError, ValueError, TypeError) as e:
            raise DataError(f"formula: {rhs!r} cannot be built from the data's columns "
                            f"{[data.arm, *data.covariates]} ({type(e).__name__}: {e})") from None
        cols = [c for c in mm.columns if c != "Intercept"]
        # which columns involve which data columns, from formulaic's term structure (a name match
        # would take a covariate "AFP" for the arm "A")
        spec = mm.model_spec
        variables = {spec.column_names[i]: set() for i in range(len(spec.column_names))}
        for var, indices in spec.variable_indices.items():
            for i in indices:
                variables[spec.column_names[i]].add(var)
        if not any(data.arm in variables[c] for c in cols):
            raise DataError(f"formula: {rhs!r} has no term for the arm column {data.arm!r}; arms cannot be compared")
        intercept = "Intercept" in mm.columns
        x = np.asarray(mm[cols], dtype=float)
        labels = data.frame.index.to_numpy()
        cd.require_finite_design(x, [str(c) for c in cols], lambda i: labels[i], formula=rhs)
        # sampling scale: 0/1 columns as they are, others centred and scaled by their sd (as CoxPH)
        centre, scale, binary = cd.design_scaling(x, [str(c) for c in cols], ddof=1)
        centre = np.where(binary, 0.0, centre)
        per_arm = []
        for a in arms:
            cf = frame.copy()
            cf[data.arm] = pd.Categorical([a] * len(cf), categories=frame[data.arm].cat.categories)
            per_arm.append((np.asarray(mm.model_spec.get_model_matrix(cf)[cols], dtype=float) - centre) / scale)
        y = frame[data.response].to_numpy(dtype=np.int64)
        return Prepared(
            arrays={"x": (x - centre) / scale, "y": y, "x_arm": np.stack(per_arm)},
            structure=("logistic", arms, tuple(cols), len(y), intercept),
            arms=arms, control=control,
            coords={"arm": list(arms), "term": [str(c) for c in cols], "patient": list(range(len(y)))},
            extra={"centre": centre, "scale": scale, "indicator": binary,
                   "variables": {str(c): frozenset(variables[c]) for c in cols}},
        )

    def build(self, prepared: Prepared) -> pm.Model:
        import pymc as pm

        with pm.Model(coords=prepared.coords) as model:
            x = pm.Data("x", prepared.arrays["x"], dims=("patient", "term"))
            y = pm.Data("y", prepared.arrays["y"], dims="patient")
            x_arm = pm.Data("x_arm", prepared.arrays["x_arm"], dims=("arm", "patient", "term"))
            # "response ~ 0 + arm" has no intercept: one log-odds per arm (cell means)
            alpha = self.intercept_prior.to_pymc("intercept") if prepared.structure[-1] else 0.0
            beta = self.coef_prior.to_pymc("coef", dims="term")
            pm.Bernoulli("response", logit_p=alpha + pm.math.dot(x, beta), observed=y, dims="patient")
            # g-computation: each arm's response rate averaged over the sample's covariates
            pm.Deterministic("rate", pm.math.sigmoid(alpha + pm.math.dot(x_arm, beta)).mean(axis=1), dims="arm")
        return model
