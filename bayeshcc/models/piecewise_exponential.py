"""Piecewise-exponential survival model for patient-level data and life tables."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import xarray as xr

from bayeshcc.data import IntervalData, SurvivalData
from bayeshcc.data._checks import as_cutpoints
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import DataError, SpecError
from bayeshcc.models._survival import add_terms, interval_labels, prepare_survival
from bayeshcc.models.base import Model, Prepared
from bayeshcc.models.priors import LogNormal, Normal, Prior
from bayeshcc.piecewise import overlap
from bayeshcc.results.survival import SurvivalFit

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["DEFAULT_BASELINE_PRIOR", "DEFAULT_LOG_HR_PRIOR", "PiecewiseExponential"]

#: Hazards per month between about 0.001 and 2.5 (95%): medians from 0.3 to 700 months.
DEFAULT_BASELINE_PRIOR = LogNormal(mu=math.log(0.05), sigma=2.0)
#: Hazard ratios between about 0.02 and 50 (95%), centred on no effect.
DEFAULT_LOG_HR_PRIOR = Normal(mu=0.0, sigma=2.0)


@dataclass(frozen=True, kw_only=True, repr=False)
class PiecewiseExponential(Model):
    """Piecewise-exponential (piecewise-constant hazard) survival model with a treatment effect.

    Parameters
    ----------
    cutpoints : sequence of float
        Interval starts, beginning at 0; the last interval ``[cutpoints[-1], inf)`` is open.
    effect : {"proportional", "per_arm"}
        ``"proportional"``: ``hazard[arm, k] = baseline_hazard[k] * exp(log_hr)`` for the
        non-control arm (two arms). ``"per_arm"``: an independent hazard for every arm and
        interval (any number of arms); the hazard ratio then varies by interval.
    control : str, optional
        Reference arm for ``log_hr``. Defaults to the control the data name (bundled studies do),
        else the first arm of the data.
    baseline_prior : Prior
        Prior for each interval hazard (of the control arm, or of every arm with ``per_arm``).
        Default ``LogNormal(log 0.05, 2)``: weakly informative for hazards per month.
    log_hr_prior : Prior
        Prior for the log hazard ratio (``proportional`` only). Default ``Normal(0, 2)``.

    Notes
    -----
    **Patient-level data** (:class:`SurvivalData`) enter through the Poisson representation:
    events in arm ``a`` and interval ``k`` are Poisson with mean ``hazard[a, k] * exposure[a, k]``,
    whose likelihood equals the exact piecewise-exponential likelihood up to a constant
    (Holford 1980; Laird and Olivier 1981).

    **Life tables** (:class:`IntervalData`) use the grouped likelihood row by row, with
    ``H`` the cumulative hazard over the row:

    * closed rows: ``events ~ Binomial(at_risk, 1 - exp(-H(start, end)))`` (exact);
    * rows with a follow-up window ``[u, v]``: every patient at risk has a potential follow-up end
      ``C ~ Uniform(u, v)`` and dies first with probability ``1 - E[exp(-H(start, C))]``, computed
      in closed form (exact under uniform accrual and administrative censoring);
    * actuarial rows (censored, no window): censored patients count as half at risk
      (Cutler-Ederer), an approximation.

    Posterior variables: ``hazard`` (arm, interval) always; ``baseline_hazard`` (interval) and
    ``log_hr`` (scalar, non-control vs control arm) for the proportional effect.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> study = bh.datasets.load_huang2022()
    >>> model = bh.PiecewiseExponential(cutpoints=[0, 6, 12, 18], control="Sorafenib")
    >>> fit = model.fit(study.os, draws=500, chains=2, seed=1)  # doctest: +SKIP
    """

    family: ClassVar[str] = "piecewise_exponential"
    endpoint: ClassVar[str] = "survival"
    data_types: ClassVar[tuple[type, ...]] = (SurvivalData, IntervalData)
    result: ClassVar[type] = SurvivalFit

    cutpoints: tuple[float, ...]
    effect: Literal["proportional", "per_arm"] = "proportional"
    control: str | None = None
    baseline_prior: Prior = DEFAULT_BASELINE_PRIOR
    log_hr_prior: Prior = DEFAULT_LOG_HR_PRIOR

    def __post_init__(self) -> None:
        cuts = as_cutpoints(self.cutpoints, error=SpecError)
        object.__setattr__(self, "cutpoints", tuple(float(c) for c in cuts))
        if self.effect not in ("proportional", "per_arm"):
            raise SpecError(f"effect must be 'proportional' or 'per_arm', got {self.effect!r}")
        if isinstance(self.control, int) and not isinstance(self.control, bool):
            object.__setattr__(self, "control", str(self.control))  # numeric arm codes, stored as text
        if self.control is not None and not isinstance(self.control, str):
            raise SpecError(f"control must be an arm name (str, or an integer code), got {self.control!r}")
        for name, support in (("baseline_prior", "positive"), ("log_hr_prior", "real")):
            p = getattr(self, name)
            if not isinstance(p, Prior):
                raise SpecError(f"{name} must be a bayeshcc prior (e.g. bh.Normal), got {p!r}")
            if p.support != support:
                want = "a hazard needs a prior on (0, inf), e.g. bh.LogNormal or bh.Gamma" if support == "positive" \
                    else "a log hazard ratio needs a prior on the real line, e.g. bh.Normal"
                raise SpecError(f"{name}: {p} has {p.support} support; {want}")
        if self.effect == "per_arm" and self.log_hr_prior != DEFAULT_LOG_HR_PRIOR:
            raise SpecError(
                f"log_hr_prior: effect='per_arm' has no hazard ratio parameter, so {self.log_hr_prior} "
                "would be ignored; leave log_hr_prior at its default or use effect='proportional'"
            )

    def describe(self) -> str:
        parts = [f"cutpoints={list(self.cutpoints)}", f"effect={self.effect!r}"]
        if self.control is not None:
            parts.append(f"control={self.control!r}")
        parts.append(f"baseline_prior={self.baseline_prior}")
        if self.effect == "proportional":
            parts.append(f"log_hr_prior={self.log_hr_prior}")
        return ", ".join(parts)

    def _arms(self, data: SurvivalData | IntervalData) -> tuple[tuple[str, ...], str]:
        arms = data.arms
        control = self.control or data.control or arms[0]
        check_arms(arms, [control], field="control")
        if self.effect == "proportional" and len(arms) != 2:
            raise DataError(
                f"effect='proportional' needs exactly 2 arms, the data have {len(arms)} "
                f"({list(arms)}); use effect='per_arm' for one arm or more than two"
            )
        # the control arm comes first so that log_hr is always treatment vs control
        return (control, *[a for a in arms if a != control]), control

    def prepare(self, data: SurvivalData | IntervalData) -> Prepared:
        """Arrays of the likelihood terms the data carry (see :mod:`bayeshcc.models._survival`)."""
        self.check_data(data)
        arms, control = self._arms(data)
        if isinstance(data, SurvivalData) and data.covariates:
            warnings.warn(
                f"PiecewiseExponential has no covariate effects: covariates {list(data.covariates)} "
                "of the data are not used",
                UserWarning,
                stacklevel=3,
            )
        structure, arrays = prepare_survival(data, np.asarray(self.cutpoints), arms)
        coords = {"arm": list(arms), "interval": interval_labels(self.cutpoints)}
        extra = {}
        if isinstance(data, SurvivalData):
            f = data.frame
            extra = {"time": f["time"].to_numpy(float), "event": f["event"].to_numpy(float),
                     "arm_index": f["arm"].map({a: i for i, a in enumerate(arms)}).to_numpy(int)}
        return Prepared(arrays=arrays, structure=structure, arms=arms, control=control, coords=coords,
                        extra=extra)

    def pointwise_log_likelihood(self, prepared: Prepared, posterior) -> xr.Dataset | None:
        """Patient-level data: each patient's exact log-likelihood ``d log h(t) - H(t)`` per draw.

        The sampler sees patients summarised as Poisson counts per arm and interval (the same
        posterior, faster); LOO needs one term per patient, and these do not depend on the
        cutpoints' bookkeeping constant, so models with different cutpoints compare fairly. Life
        tables keep one term per row (PyMC computes them).
        """
        if prepared.structure[0] != "ipd":
            return None
        e = prepared.extra
        hazard = posterior["hazard"].transpose("chain", "draw", "arm", "interval").values
        c = np.asarray(self.cutpoints)
        # the interval holding each time, with an event at a cutpoint in the interval it ends, as in
        # SurvivalData.split (the sampled Poisson likelihood uses that split)
        k = np.maximum(np.searchsorted(c, e["time"], side="left") - 1, 0)
        at_t = hazard[:, :, e["arm_index"], k]  # (chain, draw, patient)
        exposure = overlap(c, np.zeros_like(e["time"]), e["time"])  # (patient, interval)
        H = np.empty_like(at_t)
        for a in range(hazard.shape[2]):  # per arm: no (draw, patient, interval) array
            sel = e["arm_index"] == a
            H[:, :, sel] = np.einsum("cdk,pk->cdp", hazard[:, :, a, :], exposure[sel])
        with np.errstate(divide="ignore"):
            ll = np.where(e["event"] > 0, np.log(at_t), 0.0) - H
        return xr.Dataset({"patients": (("chain", "draw", "patient"), ll)},
                          coords={"chain": posterior.coords["chain"], "draw": posterior.coords["draw"]})

    def check_compare(self, data: SurvivalData | IntervalData, prepared: Prepared, *,
                      treatment: str | None = None, control: str | None = None,
                      times=None, tau: float | None = None, prob: float = 0.95) -> None:
        """Arms, times and RMST horizon of a comparison, checked against the data before sampling."""
        from bayeshcc.results.fit import resolve_pair
        from bayeshcc.results.survival import check_compare_args

        treatment, control = resolve_pair(prepared.arms, prepared.control, treatment, control)
        check_compare_args(prepared.arms, data.horizon, np.asarray(self.cutpoints), treatment=treatment,
                           control=control, times=times, tau=tau, prob=prob, time_unit=data.time_unit)

    def build(self, prepared: Prepared) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        with pm.Model(coords=prepared.coords) as model:
            data = {k: pm.Data(k, v) for k, v in prepared.arrays.items()}
            if self.effect == "proportional":
                base = self.baseline_prior.to_pymc("baseline_hazard", dims="interval")
                log_hr = self.log_hr_prior.to_pymc("log_hr")
                scale = pt.stack([pt.ones(()), pt.exp(log_hr)])
                hazard = pm.Deterministic("hazard", scale[:, None] * base[None, :], dims=("arm", "interval"))
            else:
                hazard = self.baseline_prior.to_pymc("hazard", dims=("arm", "interval"))
            add_terms(hazard, prepared.structure, data)
        return model
