"""Piecewise-exponential survival model for patient-level data and life tables."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import xarray as xr

from bayeshcc.data import IntervalData, SurvivalData
from bayeshcc.data.cutpoints import parse_cutpoints, quantiles_count
from bayeshcc.data.evidence import EVIDENCE, Sources, as_sources
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import DataError, SpecError
from bayeshcc.models._evidence import add_source_terms, prepare_sources, sources_crude_rate
from bayeshcc.models._survival import (
    add_terms,
    interval_labels,
    patient_arrays,
    patient_loglik,
    prepare_survival,
)
from bayeshcc.models.base import Model, Prepared
from bayeshcc.models.priors import Normal, Prior
from bayeshcc.models.smoothing import RandomWalk
from bayeshcc.results.survival import SurvivalFit

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["DEFAULT_BASELINE_SIGMA", "DEFAULT_LOG_HR_PRIOR", "PiecewiseExponential", "crude_rate"]

#: Log-scale sd of the default baseline prior ``LogNormal(log r, 2)``, ``r`` the pooled crude event
#: rate of the data: hazards within a factor of about 50 of ``r`` either way (95%).
DEFAULT_BASELINE_SIGMA = 2.0
#: Hazard ratios between about 0.02 and 50 (95%), centred on no effect.
DEFAULT_LOG_HR_PRIOR = Normal(mu=0.0, sigma=2.0)


@dataclass(frozen=True, kw_only=True, repr=False)
class PiecewiseExponential(Model):
    """Piecewise-exponential (piecewise-constant hazard) survival model with a treatment effect.

    Parameters
    ----------
    cutpoints : sequence of float or str
        Interval starts, beginning at 0; the last interval ``[cutpoints[-1], inf)`` is open. Or
        ``"quantiles:N"``: starts at the event-time quantiles of the data it is fitted to
        (:func:`bayeshcc.data.quantile_cutpoints`; patient-level data), resolved when fitting;
        the fit's ``model.cutpoints`` report the values used.
    effect : {"proportional", "per_arm"}
        ``"proportional"``: ``hazard[arm, k] = baseline_hazard[k] * exp(log_hr)`` for the
        non-control arm (two arms). ``"per_arm"``: an independent hazard for every arm and
        interval (any number of arms); the hazard ratio then varies by interval.
    control : str, optional
        Reference arm for ``log_hr``. Defaults to the control the data name (bundled studies do),
        else the first arm of the data.
    baseline_prior : Prior, optional
        Prior for each interval's baseline hazard: with ``proportional``, the geometric mean of the
        two arms' hazards (see Notes); with ``per_arm``, every arm's hazard. Default (None): the
        data-relative ``LogNormal(log r, 2)``, with ``r`` the pooled crude event rate of the data
        (all events / all exposure, both arms, in the data's unit of time; see
        :func:`crude_rate`): hazards within a factor of about 50 of ``r`` either way (95%). It
        does not depend on the unit of time or on which arm is the control; the value used is
        reported in ``fit.priors`` and in the CLI output.
    log_hr_prior : Prior
        Prior for the log hazard ratio (``proportional`` only). Default ``Normal(0, 2)``: hazard
        ratios between about 0.02 and 50 (95%).
    likelihood_weight : float, default 1
        Power-prior weight a0 in (0, 1] on the data's log-likelihood (patient data and life tables):
        the posterior is proportional to ``L(data)^a0 x prior``, so each patient counts as a0 of a
        patient (Ibrahim and Chen 2000). Used to discount a source study (``bh.PowerPrior``).

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

    **Symmetric parameterisation.** With the proportional effect,
    ``hazard[control, k] = baseline_hazard[k] * exp(-log_hr / 2)`` and
    ``hazard[treatment, k] = baseline_hazard[k] * exp(log_hr / 2)``: the baseline is the
    geometric mean of the two arms' hazards, so the prior treats both arms alike and swapping
    which arm is the control only flips the sign of ``log_hr`` (P(HR < 1) in one labelling equals
    P(HR > 1) in the other). A prior placed on the control arm's hazard alone would shrink the
    control towards the prior centre and the treatment arm through ``log_hr``, a bias that grows
    with the number of intervals.

    Cutpoints must lie before the data's last follow-up time (DataError otherwise): an interval
    that no patient reaches would carry the prior alone.

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
    data_types: ClassVar[tuple[type, ...]] = (SurvivalData, IntervalData, Sources)
    result: ClassVar[type] = SurvivalFit
    samplers: ClassVar[tuple[str, ...]] = ("nutpie", "pymc", "numpy")

    cutpoints: tuple[float, ...] | str
    effect: Literal["proportional", "per_arm", "time_varying"] = "proportional"
    control: str | None = None
    baseline_prior: Prior | RandomWalk | None = None
    log_hr_prior: Prior | RandomWalk = DEFAULT_LOG_HR_PRIOR
    likelihood_weight: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.cutpoints, str):
            quantiles_count(self.cutpoints)  # the form is checked now, the values when fitting
        else:
            object.__setattr__(self, "cutpoints", parse_cutpoints(self.cutpoints))
        if self.effect not in ("proportional", "per_arm", "time_varying"):
            raise SpecError(f"effect must be 'proportional', 'per_arm' or 'time_varying', got {self.effect!r}")
        if isinstance(self.control, int) and not isinstance(self.control, bool):
            object.__setattr__(self, "control", str(self.control))  # numeric arm codes, stored as text
        if self.control is not None and not isinstance(self.control, str):
            raise SpecError(f"control must be an arm name (str, or an integer code), got {self.control!r}")
        for name, support in (("baseline_prior", "positive"), ("log_hr_prior", "real")):
            p = getattr(self, name)
            if (p is None and name == "baseline_prior") or isinstance(p, RandomWalk):
                continue
            if not isinstance(p, Prior):
                raise SpecError(f"{name} must be a bayeshcc prior (e.g. bh.Normal), got {p!r}")
            if p.support != support:
                want = "a hazard needs a prior on (0, inf), e.g. bh.LogNormal or bh.Gamma" if support == "positive" \
                    else "a log hazard ratio needs a prior on the real line, e.g. bh.Normal"
                raise SpecError(f"{name}: {p} has {p.support} support; {want}")
        w = self.likelihood_weight
        if isinstance(w, bool) or not isinstance(w, int | float | np.floating) or not 0 < w <= 1:
            raise SpecError(f"likelihood_weight: expected a power-prior weight in (0, 1], got {w!r}")
        if isinstance(self.log_hr_prior, RandomWalk) and self.effect != "time_varying":
            raise SpecError(f"log_hr_prior: {self.log_hr_prior} walks across periods; it needs "
                            f"effect='time_varying', got effect={self.effect!r}")
        if self.effect == "per_arm" and self.log_hr_prior != DEFAULT_LOG_HR_PRIOR:
            raise SpecError(
                f"log_hr_prior: effect='per_arm' has no hazard ratio parameter, so {self.log_hr_prior} "
                "would be ignored; leave log_hr_prior at its default or use effect='proportional'"
            )

    @property
    def target_accept(self) -> float | None:
        """0.99 when a random walk's scale has a prior (a funnel: smaller steps avoid divergences),
        else None (the sampler's default 0.8)."""
        walks = [p for p in (self.baseline_prior, self.log_hr_prior) if isinstance(p, RandomWalk)]
        return 0.99 if any(isinstance(w.scale, Prior) for w in walks) else None

    def coerce(self, data):
        """Patient data and life tables as they are; a SurvivalSummary, an evidence object or a list
        of sources gathered into :class:`~bayeshcc.data.evidence.Sources`."""
        from bayeshcc.data import SurvivalSummary

        if isinstance(data, (list, tuple, SurvivalSummary, *EVIDENCE)):
            return as_sources(data)
        return data

    def bind(self, data: SurvivalData | IntervalData) -> PiecewiseExponential:
        """This model with ``"quantiles:N"`` cutpoints resolved against ``data``."""
        if isinstance(self.cutpoints, str):
            return replace(self, cutpoints=parse_cutpoints(self.cutpoints, data))
        return self

    def describe(self) -> str:
        cuts = self.cutpoints if isinstance(self.cutpoints, str) else list(self.cutpoints)
        parts = [f"cutpoints={cuts!r}", f"effect={self.effect!r}"]
        if self.control is not None:
            parts.append(f"control={self.control!r}")
        parts.append(f"baseline_prior={self.baseline_prior if self.baseline_prior is not None else 'default'}")
        if self.effect != "per_arm":
            parts.append(f"log_hr_prior={self.log_hr_prior}")
        if self.likelihood_weight != 1:
            parts.append(f"likelihood_weight={self.likelihood_weight:g}")
        return ", ".join(parts)

    def _arms(self, data: SurvivalData | IntervalData) -> tuple[tuple[str, ...], str]:
        arms = data.arms
        control = self.control or data.control or arms[0]
        check_arms(arms, [control], field="control")
        if self.effect in ("proportional", "time_varying") and len(arms) != 2:
            raise DataError(
                f"effect={self.effect!r} needs exactly 2 arms, the data have {len(arms)} "
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
        last = max(data.horizon.values())
        beyond = [c for c in self.cutpoints if c > 0 and c >= last]
        if beyond:
            raise DataError(
                f"cutpoints {beyond} lie at or beyond the data's last follow-up time {last:g} "
                f"{data.time_unit}: an interval no patient reaches would carry the prior alone; "
                f"use cutpoints below {last:g}"
            )
        if isinstance(data, Sources):
            if self.likelihood_weight != 1:
                raise SpecError("likelihood_weight: a power-prior weight applies to patient data and life tables, "
                                f"not to published-summary sources; got {self.likelihood_weight:g}")
            structure, arrays = prepare_sources(data, np.asarray(self.cutpoints), arms, self.effect)
            rate = sources_crude_rate(data) if self.baseline_prior is None or _data_relative_walk(
                self.baseline_prior) else 1.0
        else:
            structure, arrays = prepare_survival(data, np.asarray(self.cutpoints), arms)
            rate = crude_rate(data)
        if self.baseline_prior is None or _data_relative_walk(self.baseline_prior):
            arrays["baseline_mu"] = np.asarray(math.log(rate))
        coords = {"arm": list(arms), "interval": interval_labels(self.cutpoints)}
        if self.effect == "time_varying":
            coords["period"] = coords["interval"]  # one log HR per interval
        extra = {}
        if isinstance(data, SurvivalData):
            extra = patient_arrays(data, arms)
        elif isinstance(data, Sources):
            patients = {i: patient_arrays(s, arms) for i, s in enumerate(data.sources) if isinstance(s, SurvivalData)}
            if patients:
                extra = {"patients": patients}
        extra["crude_rate"] = rate
        return Prepared(arrays=arrays, structure=structure, arms=arms, control=control, coords=coords,
                        extra=extra)

    def prior_text(self, prepared: Prepared, time_unit: str = "time units") -> str:
        """The priors as used for this data, with the default's data-relative centre written out."""
        what = "each arm's hazard" if self.effect == "per_arm" else "geometric mean of the arms' hazards"
        centre = (f"centred on the pooled crude event rate {prepared.extra.get('crude_rate', float('nan')):.4g} "
                  f"per {_singular(time_unit)}")
        if self.baseline_prior is None:
            r = prepared.extra["crude_rate"]
            base = f"LogNormal(mu=log({r:.4g}), sigma={DEFAULT_BASELINE_SIGMA:g}) [default: {centre}]"
        elif _data_relative_walk(self.baseline_prior):
            base = f"{self.baseline_prior} [first interval Normal(log({prepared.extra['crude_rate']:.4g}), " \
                   f"{DEFAULT_BASELINE_SIGMA:g}): {centre}]"
        else:
            base = str(self.baseline_prior)
        out = f"baseline hazard per interval ({what}) ~ {base}"
        if self.effect == "time_varying":
            out += f"; log_hr per period ~ {self.log_hr_prior}"
        if self.effect == "proportional":
            tag = " [default]" if self.log_hr_prior == DEFAULT_LOG_HR_PRIOR else ""
            out += f"; log_hr ~ {self.log_hr_prior}{tag}"
        return out

    def density(self, prepared: Prepared):
        """Numpy log density for ``sampler="numpy"`` (every data type; None with random walks or mixture priors)."""
        from bayeshcc.models._survival_numpy import piecewise_density

        return piecewise_density(self, prepared)

    def pointwise_log_likelihood(self, prepared: Prepared, posterior) -> xr.Dataset | None:
        """Patient-level data: each patient's exact log-likelihood per draw: ``d log h(t) - H(entry, t)``,
        or ``-H(entry, L) + log(1 - exp(-H(L, U)))`` for an event censored in ``(L, U]``.

        The sampler sees patients summarised as Poisson counts per arm and interval (the same
        posterior, faster); LOO needs one term per patient, and these do not depend on the
        cutpoints' bookkeeping constant, so models with different cutpoints compare fairly. Life
        tables keep one term per row (PyMC computes them).
        """
        hazard = posterior["hazard"].transpose("chain", "draw", "arm", "interval").values
        coords = {"chain": posterior.coords["chain"], "draw": posterior.coords["draw"]}
        if prepared.structure[0] == "ipd":
            ll = patient_loglik(hazard, np.asarray(self.cutpoints), prepared.extra)
            return xr.Dataset({"patients": (("chain", "draw", "patient"), ll)}, coords=coords)
        if prepared.structure[0] != "sources" or "patients" not in prepared.extra:
            return None
        # several sources with patient data: one exact term per patient of each, PyMC's for the rest
        import arviz as az

        from bayeshcc.sampling import pymc_log_likelihood

        out = pymc_log_likelihood(self, prepared, az.InferenceData(posterior=posterior))
        for i, extra in prepared.extra["patients"].items():
            out = out.drop_vars([v for v in (f"s{i}_events_ipd", f"s{i}_events_interval") if v in out])
            ll = patient_loglik(hazard, np.asarray(self.cutpoints), extra)
            out[f"s{i}_patients"] = xr.DataArray(ll, dims=("chain", "draw", f"s{i}_patient"), coords=coords)
        return out

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
            k = len(prepared.coords["interval"])
            if self.effect == "proportional":
                base = self._baseline("baseline_hazard", "interval", data, k)
                log_hr = self.log_hr_prior.to_pymc("log_hr")
                # symmetric in the arms: the baseline is the geometric mean of the two hazards
                scale = pt.stack([pt.exp(-log_hr / 2), pt.exp(log_hr / 2)])
                hazard = pm.Deterministic("hazard", scale[:, None] * base[None, :], dims=("arm", "interval"))
            elif self.effect == "time_varying":
                base = self._baseline("baseline_hazard", "interval", data, k)
                if isinstance(self.log_hr_prior, RandomWalk):
                    log_hr = pm.Deterministic("log_hr", self.log_hr_prior.to_pymc_log("log_hr", dims="period", n=k),
                                              dims="period")
                else:
                    log_hr = self.log_hr_prior.to_pymc("log_hr", dims="period")
                scale = pt.stack([pt.exp(-log_hr / 2), pt.exp(log_hr / 2)])  # (arm, period = interval)
                hazard = pm.Deterministic("hazard", scale * base[None, :], dims=("arm", "interval"))
            else:
                hazard = self._baseline("hazard", ("arm", "interval"), data, k)
            if prepared.structure[0] == "sources":
                add_source_terms(hazard, log_hr if self.effect == "proportional" else None, prepared.structure,
                                 data, self.cutpoints)
            else:
                add_terms(hazard, prepared.structure, data, weight=self.likelihood_weight)
        return model

    def _baseline(self, name: str, dims, data: dict, k: int):
        import pymc as pm
        import pytensor.tensor as pt

        if isinstance(self.baseline_prior, RandomWalk):  # log hazards walk across the intervals
            centre = data.get("baseline_mu")
            log_h = self.baseline_prior.to_pymc_log(name, dims=dims, n=k, centre=centre,
                                                    spread=DEFAULT_BASELINE_SIGMA)
            return pm.Deterministic(name, pt.exp(log_h), dims=dims)
        if self.baseline_prior is not None:
            return self.baseline_prior.to_pymc(name, dims=dims)
        # the data-relative default: its centre is model data, so new data reuse the compiled model
        return pm.LogNormal(name, mu=data["baseline_mu"], sigma=DEFAULT_BASELINE_SIGMA, dims=dims)


def _data_relative_walk(prior) -> bool:
    return isinstance(prior, RandomWalk) and prior.first is None


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") and unit != "time units" else ("time unit" if unit == "time units" else unit)


def crude_rate(data: SurvivalData | IntervalData) -> float:
    """Pooled crude event rate: all events over all exposure, both arms, per unit of the data's time.

    Patient-level data: events / total follow-up time. Life tables: events / approximate
    person-time, each row contributing ``(at_risk - (events + censored) / 2)`` times its length
    (open rows with a follow-up window: up to the window's midpoint; open rows without one carry
    no exposure information and are skipped). With no events, half an event is counted, so the
    rate stays positive. Used only to centre the default baseline prior.
    """
    if isinstance(data, SurvivalData):
        f = data.frame
        events, exposure = float(f["event"].sum()), float(f["time"].sum())
    else:
        f = data.frame
        end = f["end"].to_numpy(float)
        mid = ((f["censor_from"] + f["censor_to"]) / 2).to_numpy(float)
        stop = np.where(np.isnan(mid), end, np.minimum(end, mid))  # a window ends follow-up early
        length = stop - f["start"].to_numpy(float)
        length = np.where(np.isfinite(length), np.clip(length, 0.0, None), 0.0)
        n = (f["at_risk"] - (f["events"] + f["censored"].fillna(0)) / 2).to_numpy(float)
        events, exposure = float(f["events"].sum()), float((n * length).sum())
    if not exposure > 0:
        raise DataError("the data have no follow-up time (total exposure 0): nothing to fit")
    return max(events, 0.5) / exposure
