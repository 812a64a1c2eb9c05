"""Piecewise-exponential survival model for patient-level data and life tables."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from bayeshcc.data import IntervalData, SurvivalData
from bayeshcc.data._checks import as_cutpoints
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import ConvergenceWarning, DataError, SpecError
from bayeshcc.models.priors import LogNormal, Normal, Prior
from bayeshcc.piecewise import overlap

if TYPE_CHECKING:
    import pymc as pm

    from bayeshcc.fit import SurvivalFit

__all__ = ["DEFAULT_BASELINE_PRIOR", "DEFAULT_LOG_HR_PRIOR", "PiecewiseExponential"]

#: Hazards per month between about 0.001 and 2.5 (95%): medians from 0.3 to 700 months.
DEFAULT_BASELINE_PRIOR = LogNormal(mu=math.log(0.05), sigma=2.0)
#: Hazard ratios between about 0.02 and 50 (95%), centred on no effect.
DEFAULT_LOG_HR_PRIOR = Normal(mu=0.0, sigma=2.0)


class PiecewiseExponential:
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
        Reference arm for ``log_hr``. Defaults to the first arm of the data.
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

    def __init__(
        self,
        *,
        cutpoints: Sequence[float],
        effect: Literal["proportional", "per_arm"] = "proportional",
        control: str | None = None,
        baseline_prior: Prior = DEFAULT_BASELINE_PRIOR,
        log_hr_prior: Prior = DEFAULT_LOG_HR_PRIOR,
    ) -> None:
        self.cutpoints = as_cutpoints(cutpoints, error=SpecError)
        if effect not in ("proportional", "per_arm"):
            raise SpecError(f"effect must be 'proportional' or 'per_arm', got {effect!r}")
        for name, p in (("baseline_prior", baseline_prior), ("log_hr_prior", log_hr_prior)):
            if not isinstance(p, Prior):
                raise SpecError(f"{name} must be a bayeshcc prior (e.g. bh.Normal), got {p!r}")
        self.effect = effect
        self.control = control
        self.baseline_prior = baseline_prior
        self.log_hr_prior = log_hr_prior

    def __repr__(self) -> str:
        parts = [f"cutpoints={self.cutpoints.tolist()}", f"effect={self.effect!r}"]
        if self.control is not None:
            parts.append(f"control={self.control!r}")
        parts.append(f"baseline_prior={self.baseline_prior}")
        if self.effect == "proportional":
            parts.append(f"log_hr_prior={self.log_hr_prior}")
        return f"PiecewiseExponential({', '.join(parts)})"

    @property
    def _settings(self) -> tuple:
        return (
            type(self).__name__,
            tuple(self.cutpoints.tolist()),
            self.effect,
            self.baseline_prior,
            self.log_hr_prior,
        )

    # -- data preparation (numpy only) ------------------------------------------------------
    def _arms(self, data: SurvivalData | IntervalData) -> tuple[tuple[str, ...], str]:
        if not isinstance(data, SurvivalData | IntervalData):
            raise DataError(
                f"PiecewiseExponential fits SurvivalData or IntervalData, got {type(data).__name__}"
            )
        arms = data.arms
        control = self.control if self.control is not None else arms[0]
        check_arms(arms, [control], field="control")
        if self.effect == "proportional" and len(arms) != 2:
            raise DataError(
                f"effect='proportional' needs exactly 2 arms, the data have {len(arms)} "
                f"({list(arms)}); use effect='per_arm' for one arm or more than two"
            )
        # the control arm comes first so that log_hr is always treatment vs control
        ordered = (control, *[a for a in arms if a != control])
        return ordered, control

    def prepare(self, data: SurvivalData | IntervalData) -> tuple[tuple, dict[str, np.ndarray]]:
        """Turn data into the arrays the PyMC model reads.

        Returns
        -------
        structure : tuple
            Hashable description of everything that fixes the model graph (arms, shapes, row
            kinds); data with the same structure reuse one compiled model.
        arrays : dict of str -> numpy.ndarray
            Values of the model's ``pm.Data`` containers.
        """
        arms, _ = self._arms(data)
        c = self.cutpoints
        if isinstance(data, SurvivalData) and data.covariates:
            warnings.warn(
                f"PiecewiseExponential has no covariate effects: covariates {list(data.covariates)} "
                "of the data are not used",
                UserWarning,
                stacklevel=3,
            )
        if isinstance(data, SurvivalData):
            events, exposure = data.exposure_table(c)
            pos = [data.arms.index(a) for a in arms]
            arrays = {
                "events": events[pos],
                # exposure 0 (no one reached the interval) contributes nothing; keep shape fixed
                "exposure": np.maximum(exposure[pos], 1e-12),
            }
            return ("ipd", arms, c.size), arrays
        f = data.frame
        arm_idx = f["arm"].map({a: i for i, a in enumerate(arms)}).to_numpy()
        start, end = f["start"].to_numpy(), f["end"].to_numpy()
        has_window = f["censor_from"].notna().to_numpy()
        actuarial = ~has_window & (f["censored"].to_numpy() > 0)
        # rows that carry no information are left out of the likelihood (their probability is 1):
        # an open row with no censoring (everyone dies eventually) and a window at the row start
        # (everyone's follow-up ends before any event could be seen; validation ensures 0 events)
        closed = ~has_window & ~actuarial & np.isfinite(end)
        window = has_window & (f["censor_to"].to_numpy() > start)
        arrays: dict[str, np.ndarray] = {}
        for name, sel in (("closed", closed), ("actuarial", actuarial)):
            if sel.any():
                arrays[f"{name}_overlap"] = overlap(c, start[sel], end[sel])
                arrays[f"{name}_events"] = f["events"].to_numpy()[sel].astype(np.int64)
        if closed.any():
            arrays["closed_at_risk"] = f["at_risk"].to_numpy()[closed].astype(np.int64)
        if actuarial.any():
            a = f[actuarial]
            arrays["actuarial_at_risk"] = (a["at_risk"] - a["censored"] / 2).to_numpy(float)
        if window.any():
            w = f[window]
            u, v, s = w["censor_from"].to_numpy(), w["censor_to"].to_numpy(), start[window]
            right = np.append(c[1:], np.inf)
            lo = np.maximum(u[:, None], c[None, :])  # (R, K): piece k of the window
            hi = np.minimum(v[:, None], right[None, :])
            length = np.clip(hi - lo, 0.0, None)
            width = v - u
            point = width <= 0
            weight = np.where(point[:, None], 0.0, length / np.where(point, 1.0, width)[:, None])
            if point.any():  # a window of zero width is a single follow-up time
                k_point = np.searchsorted(c, u[point], side="right") - 1
                weight[np.flatnonzero(point), k_point] = 1.0
                length[np.flatnonzero(point)] = 0.0
            # cumulative hazard from the row start to each piece start within the window
            arrays["window_to_piece"] = overlap(c, s[:, None], np.maximum(lo, s[:, None]))
            arrays["window_length"] = length
            arrays["window_weight"] = weight
            arrays["window_at_risk"] = w["at_risk"].to_numpy(np.int64)
            arrays["window_events"] = w["events"].to_numpy(np.int64)
        structure = (
            "table",
            arms,
            c.size,
            tuple(arm_idx[closed]),
            tuple(arm_idx[actuarial]),
            tuple(arm_idx[window]),
        )
        return structure, arrays

    # -- the PyMC model ---------------------------------------------------------------------
    def build(self, data: SurvivalData | IntervalData) -> pm.Model:
        """Build the PyMC model for ``data`` (data held in ``pm.Data`` containers).

        Returns
        -------
        pymc.Model
        """
        structure, arrays = self.prepare(data)
        return self._build(structure, arrays)

    def _build(self, structure: tuple, arrays: dict[str, np.ndarray]) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        kind, arms = structure[0], structure[1]
        coords = {"arm": list(arms), "interval": _interval_labels(self.cutpoints)}
        with pm.Model(coords=coords) as model:
            data = {k: pm.Data(k, v) for k, v in arrays.items()}
            if self.effect == "proportional":
                base = self.baseline_prior.to_pymc("baseline_hazard", dims="interval")
                log_hr = self.log_hr_prior.to_pymc("log_hr")
                scale = pt.stack([pt.ones(()), pt.exp(log_hr)])
                hazard = pm.Deterministic("hazard", scale[:, None] * base[None, :], dims=("arm", "interval"))
            else:
                hazard = self.baseline_prior.to_pymc("hazard", dims=("arm", "interval"))
            if kind == "ipd":
                pm.Poisson(
                    "events_ipd",
                    mu=hazard * data["exposure"],
                    observed=data["events"],
                    dims=("arm", "interval"),
                )
            else:
                _, _, _, closed_arm, act_arm, win_arm = structure
                if closed_arm:
                    h = pt.sum(hazard[np.array(closed_arm)] * data["closed_overlap"], axis=-1)
                    # logit of 1 - exp(-H), stable for small and large H
                    pm.Binomial(
                        "events_closed",
                        n=data["closed_at_risk"],
                        logit_p=pt.log(-pt.expm1(-h)) + h,
                        observed=data["closed_events"],
                    )
                if act_arm:
                    h = pt.sum(hazard[np.array(act_arm)] * data["actuarial_overlap"], axis=-1)
                    d, n_eff = data["actuarial_events"], data["actuarial_at_risk"]
                    pm.Potential("actuarial_loglik", pt.sum(d * pt.log(-pt.expm1(-h)) - (n_eff - d) * h))
                if win_arm:
                    lam = hazard[np.array(win_arm)]  # (R, K)
                    # H from the row start to each piece's start inside the window: (R, K)
                    h_to = pt.sum(lam[:, None, :] * data["window_to_piece"], axis=-1)
                    x = lam * data["window_length"]
                    safe = pt.switch(x > 1e-8, x, 1.0)
                    g = pt.switch(x > 1e-8, -pt.expm1(-safe) / safe, 1.0 - x / 2)
                    surv = pt.sum(data["window_weight"] * pt.exp(-h_to) * g, axis=-1)
                    pm.Binomial(
                        "events_window",
                        n=data["window_at_risk"],
                        logit_p=pt.log1p(-surv) - pt.log(surv),
                        observed=data["window_events"],
                    )
        return model

    def fit(
        self,
        data: SurvivalData | IntervalData,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        seed: int | None = None,
        sampler: Literal["nutpie", "pymc"] = "nutpie",
        progress: bool = False,
        check_convergence: bool = True,
    ) -> SurvivalFit:
        """Sample the posterior.

        Parameters
        ----------
        data : SurvivalData or IntervalData
        draws, tune, chains : int
            Posterior draws and warm-up iterations per chain, and number of chains.
        seed : int, optional
            Random seed; the same seed gives the same draws. If omitted, one is drawn from
            fresh entropy and recorded in ``fit.seed``.
        sampler : {"nutpie", "pymc"}
            NUTS implementation. nutpie (default) is faster; see ``benchmarks/RESULTS.md``.
        progress : bool
            Show the sampler's progress bar.
        check_convergence : bool
            Run the diagnostics after sampling and emit a :class:`bayeshcc.ConvergenceWarning`
            if any check fails (default). Only loops that diagnose fits themselves turn it off.

        Returns
        -------
        SurvivalFit

        Notes
        -----
        The compiled model is cached by settings and data structure (arms, intervals, row
        kinds), so refitting new data of the same shape skips compilation.
        """
        from bayeshcc.fit import SurvivalFit, sample

        structure, arrays = self.prepare(data)
        arms, control = self._arms(data)
        idata, info = sample(
            self,
            structure,
            arrays,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            sampler=sampler,
            progress=progress,
        )
        fit = SurvivalFit(model=self, data=data, idata=idata, arms=arms, control=control, **info)
        if check_convergence:
            from bayeshcc.diagnostics import diagnose

            diag = diagnose(fit.idata)
            if not diag.ok:
                warnings.warn(diag.verdict(), ConvergenceWarning, stacklevel=2)
        return fit


def _interval_labels(cutpoints: np.ndarray) -> list[str]:
    right = [*(f"{x:g}" for x in cutpoints[1:]), "inf"]
    return [f"[{a:g}, {b})" for a, b in zip(cutpoints, right, strict=True)]
