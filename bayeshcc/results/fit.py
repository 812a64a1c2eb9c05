"""``Fit``: what every family's ``fit`` returns (posterior draws, settings, diagnostics, LOO)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bayeshcc.errors import SpecError

if TYPE_CHECKING:
    from bayeshcc.diagnostics import Diagnostics
    from bayeshcc.results.comparison import Comparison

__all__ = ["Fit", "resolve_pair"]


def _label(arms: tuple[str, ...], arm):
    if arm is None or arm in arms or isinstance(arm, bool):
        return arm
    if isinstance(arm, int | np.integer) and str(int(arm)) in arms:
        return str(int(arm))
    return arm


def resolve_pair(arms: tuple[str, ...], default_control: str | None, treatment: str | None,
                 control: str | None) -> tuple[str, str]:
    """Treatment and control arms, checked against ``arms``, with the defaults of ``Fit.pair``."""
    from bayeshcc.data.survival import check_arms
    from bayeshcc.errors import DataError

    # arm labels are stored as text; numeric codes (0/1, as in most patient-level data) match them
    treatment, control = (_label(arms, a) for a in (treatment, control))
    control = (default_control if default_control is not None else arms[0]) if control is None else control
    check_arms(arms, [control], field="control")
    if treatment is None:
        others = [a for a in arms if a != control]
        if not others:
            raise DataError(f"compare needs two arms; the data have {len(arms)} ({list(arms)})")
        if len(others) != 1:
            raise DataError(f"treatment: name one of {others} (the fit has {len(arms)} arms)")
        treatment = others[0]
    check_arms(arms, [treatment], field="treatment")
    if treatment == control:
        raise DataError(f"treatment and control must differ, both are {treatment!r}")
    return treatment, control


@dataclass(eq=False)
class Fit:
    """Posterior of a model fitted to one dataset.

    Attributes
    ----------
    model : Model
        The settings that produced this fit.
    data
        The data it was fitted to.
    idata : arviz.InferenceData
        Posterior draws (dims ``chain, draw`` and the family's own), sampler statistics and, when
        asked for, the pointwise log-likelihood.
    arms : tuple of str
        Arms in model order (control first where the model has one).
    control : str or None
    seed : int
    sampler : str
        ``"nutpie"``, ``"pymc"`` or ``"exact"`` (independent draws from a closed-form posterior).
    timings : dict
        Wall seconds: ``compile`` (0 when a compiled model was reused) and ``sample``.
    priors : str
        The priors as applied to this data, defaults resolved (e.g. the data-relative centre of
        the piecewise-exponential baseline prior).
    """

    model: Any
    data: Any
    idata: Any
    arms: tuple[str, ...]
    control: str | None
    seed: int
    sampler: str
    timings: dict[str, float] = field(default_factory=dict)
    priors: str = ""

    @property
    def n_draws(self) -> int:
        """Total posterior draws (chains x draws)."""
        post = self.idata.posterior
        return int(post.sizes["chain"] * post.sizes["draw"])

    def diagnostics(self, *, var_names: list[str] | None = None, **thresholds: float) -> Diagnostics:
        """Convergence diagnostics (R-hat, bulk and tail ESS, divergences, E-BFMI) via ArviZ.

        Independent draws from an exact posterior have nothing to converge: their verdict says so.
        Keyword arguments override thresholds; see :func:`bayeshcc.diagnostics.diagnose`.
        """
        from bayeshcc.diagnostics import diagnose, exact_verdict

        if self.sampler == "exact":
            return exact_verdict(self.n_draws)
        return diagnose(self.idata, var_names=var_names, **thresholds)

    def summary(self, prob: float = 0.95, *, var_names: list[str] | None = None) -> pd.DataFrame:
        """Parameter table: mean, sd, median, equal-tailed interval (mass in the column names), ESS, R-hat.

        Parameters
        ----------
        prob : float
            Interval mass, e.g. 0.95 gives columns ``eti95_lower`` and ``eti95_upper``.
        var_names : list of str, optional
            Posterior variables (default: all).
        """
        from bayeshcc.diagnostics import parameter_summary

        return parameter_summary(self.idata, prob=prob, var_names=var_names)

    def loo(self, *, pointwise: bool = False):
        """PSIS-LOO of the fit (ArviZ's ``ELPDData``), with Pareto-k warnings.

        Needs the pointwise log-likelihood: fit with ``log_likelihood=True``.
        """
        from bayeshcc.diagnostics import loo

        if "log_likelihood" not in self.idata.groups():
            raise SpecError(
                "loo: this fit has no pointwise log-likelihood; fit again with log_likelihood=True"
            )
        return loo(self.idata, pointwise=pointwise)

    def compare(self, *, treatment: str | None = None, control: str | None = None, **kwargs: Any) -> Comparison:
        """Posterior contrasts of ``treatment`` against ``control`` (the family's quantities)."""
        raise NotImplementedError(f"{type(self).__name__} has no arm comparison")

    def pair(self, treatment: str | None = None, control: str | None = None) -> tuple[str, str]:
        """``(treatment, control)`` with defaults: the fit's control, and the other arm of two."""
        return resolve_pair(self.arms, self.control, treatment, control)

    def __repr__(self) -> str:
        post = self.idata.posterior
        return (
            f"{type(self).__name__}({self.model!r}; {self.data!r}; {post.sizes['chain']} chains x "
            f"{post.sizes['draw']} draws, sampler={self.sampler}, seed={self.seed})"
            + (f"\npriors: {self.priors}" if self.priors else "")
        )
