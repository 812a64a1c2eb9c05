"""Three-level hierarchical model for adverse-event tables (Berry and Berry 2004)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import xarray as xr

from bayeshcc.data import AETable
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import DataError, SpecError, format_rows
from bayeshcc.models.base import Model, Prepared
from bayeshcc.models.priors import HalfNormal, Normal, Prior
from bayeshcc.results.ae import AEFit

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["GRADE_BANDS", "HierarchicalAE"]

#: Grade bands the model analyses: any grade, and grade 3-4 (a subset of the same patients).
GRADE_BANDS = ("any", "3-4")


@dataclass(frozen=True, kw_only=True, repr=False)
class HierarchicalAE(Model):
    """Berry and Berry's three-level hierarchical model for adverse events by body system.

    Parameters
    ----------
    effect_prior : {"shrinkage", "point_mass"}
        ``"shrinkage"`` (default): each event's log odds ratio is normal about its body system's
        mean, body-system means normal about the table's; half-normal scales. ``"point_mass"``:
        Berry and Berry's mixture, each log odds ratio exactly 0 with probability ``pi`` of its
        body system, else drawn as under ``"shrinkage"``; ``logit(pi)`` exchangeable across body
        systems. The indicator is summed out of the likelihood (see Notes).
    control : str, optional
        Reference arm; defaults to the control the data name (bundled studies do), else the first.
    grades : sequence of {"any", "3-4"}, optional
        Grade bands to analyse (default: every band in the data). Rows of other listed bands are
        ignored; rows of a band that is neither ``"any"`` nor ``"3-4"`` are refused.
    between_sd, within_sd : Prior or float
        Standard deviation of body-system mean log odds ratios about the table's mean, and of
        events' log odds ratios about their body system's mean. A prior (default
        ``HalfNormal(1)``: the sd is below about 2, an odds-ratio spread of about 7-fold, with
        95% probability) or a number to fix it (a huge fixed value makes every event its own
        analysis).
    effect_mean_prior : Normal
        Prior of the table-level mean log odds ratio (default ``Normal(0, 1)``, centred on no
        effect).
    baseline_prior : Normal
        Prior of the table-level mean log-odds of an event (default ``Normal(-2, 2)``: centred on
        a rate of about 12%); body-system means and events scatter about it with half-normal(1)
        scales.

    Notes
    -----
    For grade band ``g``, body system ``b`` and event ``j`` with counts ``y_C`` of ``n_C`` and
    ``y_T`` of ``n_T`` (Berry and Berry 2004, with their control log-odds replaced by the mean of
    the arms' log-odds so that the prior treats both arms alike)::

        logit p_C = gamma_bj - theta_bj / 2,        logit p_T = gamma_bj + theta_bj / 2
        gamma_bj ~ N(mu_gamma_b, sigma_gamma^2),    mu_gamma_b ~ N(mu_gamma0, tau_gamma^2)
        theta_bj ~ N(mu_theta_b, within_sd^2),      mu_theta_b ~ N(mu_theta0, between_sd^2)

    ``theta`` is the log odds ratio of treatment vs control; swapping the arms flips its sign
    and changes nothing else. Every level is non-centred (``theta = mu + sd * z`` with
    ``z ~ N(0, 1)``), which removes the funnel between a scale and its members that causes
    divergences when a scale is small.

    **Why continuous shrinkage by default.** It has no discrete parameter, so NUTS samples it
    directly with good geometry; each event's likelihood is one term, so LOO is well defined;
    and it shrinks small effects strongly and large ones little, without a prior weight on
    "exactly no effect" that the table cannot check. ``"point_mass"`` is Berry and Berry's model:
    ``theta_bj = 0`` with probability ``pi_b``, else the normal above. NUTS cannot sample the
    0/1 indicator, so it is summed out: each event's likelihood is the two-component mixture
    ``pi_b L(y | theta = 0) + (1 - pi_b) L(y | theta_bj)`` (both arms' counts, since both depend
    on ``theta``), with ``logit pi_b ~ N(mu_pi, tau_pi^2)``, ``mu_pi ~ N(0, 1.5)``,
    ``tau_pi ~ HalfNormal(1)``. The posterior probability that the effect is 0,
    ``P(theta_bj = 0 | data)``, is the component weight averaged over draws (``p_zero``).

    **Grade bands are analysed separately.** Grade 3-4 patients are among the any-grade
    patients, so the two bands are not independent evidence: a joint likelihood would count the
    same patients twice. Each band has its own hierarchy (every hyperparameter has a ``grade``
    dimension); they are fitted together in one PyMC model only to share one compile and one
    result.

    **Where this deviates from Berry and Berry (2004).** Their model is
    ``theta_bj ~ pi_b [0] + (1 - pi_b) N(mu_theta_b, sigma2_theta_b)`` with the control arm's
    log-odds ``gamma_bj`` as baseline; here:

    - *Baseline.* Their ``gamma_bj`` is the control arm's log-odds and the treatment's is
      ``gamma_bj + theta_bj``, so the treatment arm's rate gets the wider prior; here ``gamma_bj``
      is the mean of the two arms' log-odds (``gamma -/+ theta / 2``), the same whichever arm is
      control.
    - *Within-system sd.* They give every body system its own variance, ``sigma2_theta_b``
      (and ``sigma2_gamma_b``) ~ inverse-gamma. Here one within-system sd per grade band is
      shared by the band's body systems (``within_sd``; the baseline's event-level sd likewise):
      a body system of one to five events (Table 4 of huang2022) cannot estimate its own spread,
      and per-system inverse-gamma variances, which put almost no mass near 0, make the
      small-variance funnel a sampling problem for NUTS. Every scale is a sd with a half-normal
      prior (Gelman 2006) rather than an inverse-gamma variance, so complete pooling (sd near
      0) stays possible.
    - *Zero-probability component* (``"point_mass"``). They take ``pi_b ~ Beta(alpha_pi,
      beta_pi)`` with exponential priors on ``alpha_pi, beta_pi`` (truncated above 1) and
      sample the 0/1 indicators by Gibbs; here ``logit pi_b`` is normal about a table mean
      (logit-normal, exchangeable across body systems, non-centred) and the indicator is summed
      out, so every parameter is continuous for NUTS and the likelihood stays pointwise for LOO.
    - *Default.* Continuous shrinkage, not their mixture (why: above); their model is
      ``effect_prior="point_mass"``.
    - *Grade bands.* One hierarchy per band (above); their paper analyses one table.

    Posterior variables: ``log_or`` and ``baseline_logit`` (``gamma``) per ``cell`` (one event in
    one grade band), hyperparameters per ``group`` (body system in a band) and per ``grade``;
    with ``"point_mass"`` also ``p_zero`` per cell.

    References
    ----------
    Berry SM, Berry DA. Accounting for multiplicities in assessing drug safety: a three-level
    hierarchical mixture model. Biometrics 2004; 60: 418-426.
    Gelman A. Prior distributions for variance parameters in hierarchical models. Bayesian
    Analysis 2006; 1: 515-534.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> study = bh.datasets.load_huang2022()
    >>> fit = bh.HierarchicalAE().fit(study.adverse_events, seed=1)  # doctest: +SKIP
    >>> fit.compare().flagged(threshold=0.9)  # doctest: +SKIP
    """

    family: ClassVar[str] = "hierarchical_ae"
    endpoint: ClassVar[str] = "adverse_events"
    data_types: ClassVar[tuple[type, ...]] = (AETable,)
    result: ClassVar[type] = AEFit
    #: NUTS acceptance target: extreme cells (21 of 55 vs 0 of 59) give long thin tails that the
    #: default 0.8 crosses with a few divergences; 0.95 takes smaller steps.
    target_accept: ClassVar[float] = 0.95

    effect_prior: Literal["shrinkage", "point_mass"] = "shrinkage"
    control: str | None = None
    grades: tuple[str, ...] | None = None
    between_sd: Prior | float = HalfNormal(1.0)
    within_sd: Prior | float = HalfNormal(1.0)
    effect_mean_prior: Normal = Normal(0.0, 1.0)
    baseline_prior: Normal = Normal(-2.0, 2.0)

    def __post_init__(self) -> None:
        if self.effect_prior not in ("shrinkage", "point_mass"):
            raise SpecError(f"effect_prior must be 'shrinkage' or 'point_mass', got {self.effect_prior!r}")
        if isinstance(self.control, int) and not isinstance(self.control, bool):
            object.__setattr__(self, "control", str(self.control))
        if self.control is not None and not isinstance(self.control, str):
            raise SpecError(f"control must be an arm name (str, or an integer code), got {self.control!r}")
        if self.grades is not None:
            grades = (self.grades,) if isinstance(self.grades, str) else tuple(self.grades)
            bad = [g for g in grades if g not in GRADE_BANDS]
            if bad or not grades or len(set(grades)) != len(grades):
                raise SpecError(f"grades must list distinct bands of {list(GRADE_BANDS)}, got {list(grades)!r}")
            object.__setattr__(self, "grades", tuple(g for g in GRADE_BANDS if g in grades))
        for name in ("between_sd", "within_sd"):
            v = getattr(self, name)
            if isinstance(v, Prior):
                if v.support != "positive":
                    raise SpecError(f"{name}: {v} has {v.support} support; a standard deviation needs a "
                                    "prior on (0, inf), e.g. bh.HalfNormal")
            elif isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < np.inf:
                raise SpecError(f"{name} must be a prior on (0, inf) or a fixed number > 0, got {v!r}")
            else:
                object.__setattr__(self, name, float(v))
        for name in ("effect_mean_prior", "baseline_prior"):
            if not isinstance(getattr(self, name), Normal):
                raise SpecError(f"{name} must be a bh.Normal on the log-odds scale, got {getattr(self, name)!r}")

    def describe(self) -> str:
        parts = [f"effect_prior={self.effect_prior!r}"]
        if self.control is not None:
            parts.append(f"control={self.control!r}")
        if self.grades is not None:
            parts.append(f"grades={list(self.grades)!r}")
        parts += [f"between_sd={self.between_sd}", f"within_sd={self.within_sd}",
                  f"effect_mean_prior={self.effect_mean_prior}", f"baseline_prior={self.baseline_prior}"]
        return ", ".join(parts)

    def prior_text(self, prepared: Prepared, time_unit: str = "time units") -> str:
        """The hierarchy's priors in words, per grade band."""
        mix = ("; log OR = 0 with probability pi per body system, logit pi ~ N(mu_pi, tau_pi), "
               "mu_pi ~ Normal(0, 1.5), tau_pi ~ HalfNormal(1)") if self.effect_prior == "point_mass" else ""
        return (f"per grade band: event log OR ~ N(body-system mean, within_sd), within_sd ~ {self.within_sd}; "
                f"body-system mean ~ N(table mean, between_sd), between_sd ~ {self.between_sd}; "
                f"table mean log OR ~ {self.effect_mean_prior}; mean log-odds of an event: table level "
                f"~ {self.baseline_prior}, body-system and event scales ~ HalfNormal(1){mix}")

    def prepare(self, data: AETable) -> Prepared:
        """One ``cell`` per event and grade band (control and treatment counts), checked row by row."""
        self.check_data(data)
        if len(data.arms) != 2:
            raise DataError(f"HierarchicalAE compares two arms; the data have {len(data.arms)} ({list(data.arms)})")
        control = self.control or data.control or data.arms[0]
        check_arms(data.arms, [control], field="control")
        treatment = next(a for a in data.arms if a != control)
        f = data.frame
        other = ~f["grade"].isin(GRADE_BANDS)
        if other.any():
            raise DataError(
                f"AETable: grade bands {sorted(set(f.loc[other, 'grade']))} in {format_rows(f.index[other])} "
                f"are not analysed by HierarchicalAE; expected {list(GRADE_BANDS)}"
            )
        grades = self.grades or tuple(g for g in GRADE_BANDS if g in set(f["grade"]))
        missing = [g for g in grades if g not in set(f["grade"])]
        if missing:
            raise DataError(f"grades: the data have no rows for grade band(s) {missing}")
        f = f[f["grade"].isin(grades)]
        wide = f.pivot_table(index=["grade", "system", "event"], columns="arm", values="count",
                             aggfunc="first", sort=False)
        for arm in (control, treatment):
            if arm not in wide.columns:
                wide[arm] = np.nan
        lacking = wide[[control, treatment]].isna().any(axis=1)
        if lacking.any():
            g, s, e = wide.index[lacking][0]
            arm = control if np.isnan(wide.loc[(g, s, e), control]) else treatment
            rows = f.index[(f["grade"] == g) & (f["system"] == s) & (f["event"] == e)]
            raise DataError(
                f"AETable: event {e!r} ({s}, grade {g}) has no row for arm {arm!r} "
                f"(it has {format_rows(rows)}); give both arms' counts, zeros included"
            )
        systems = list(dict.fromkeys(f["system"]))
        order = {g: i for i, g in enumerate(grades)}
        cells = wide.reset_index()
        cells["_g"] = cells["grade"].map(order)
        cells["_s"] = cells["system"].map({s: i for i, s in enumerate(systems)})
        cells = cells.sort_values(["_g", "_s"], kind="stable").reset_index(drop=True)
        groups = cells[["grade", "system"]].drop_duplicates().reset_index(drop=True)
        group_index = cells.merge(groups.reset_index(), on=["grade", "system"])["index"].to_numpy()
        n = data.n
        events = list(dict.fromkeys(cells["event"]))
        label = {e: e if cells.loc[cells["event"] == e, "system"].nunique() == 1 else None for e in events}
        cell_labels = [f"{label[e] or f'{s}: {e}'} [{g}]" for g, s, e in cells[["grade", "system", "event"]].itertuples(index=False)]
        counts = np.stack([cells[control].to_numpy(), cells[treatment].to_numpy()], axis=1).astype(np.int64)
        arrays = {
            "events": counts,
            "patients": np.broadcast_to(np.array([n[control], n[treatment]], dtype=np.int64), counts.shape).copy(),
        }
        coords = {
            "grade": list(grades),
            "group": [f"{s} [{g}]" for g, s in groups.itertuples(index=False)],
            "cell": cell_labels,
            "arm": [control, treatment],
        }
        # the labels are in the compiled model's coords, so they are part of its structure
        structure = ("ae", *(tuple(v) for v in coords.values()), tuple(group_index))
        extra = {
            "cell_grade": cells["grade"].to_numpy(str), "cell_system": cells["system"].to_numpy(str),
            "cell_event": cells["event"].to_numpy(str), "cell_grade_index": cells["_g"].to_numpy(int),
            "cell_group": group_index, "group_grade": groups["grade"].map(order).to_numpy(int),
        }
        return Prepared(arrays=arrays, structure=structure, arms=(control, treatment), control=control,
                        coords=coords, extra=extra)

    def build(self, prepared: Prepared) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        x = prepared.extra
        cg, cgrp, gg = x["cell_grade_index"], x["cell_group"], x["group_grade"]
        with pm.Model(coords=prepared.coords) as model:
            y = pm.Data("events", prepared.arrays["events"], dims=("cell", "arm"))
            n = pm.Data("patients", prepared.arrays["patients"], dims=("cell", "arm"))
            # mean log-odds of the two arms: table -> body system -> event, non-centred
            mu0 = self.baseline_prior.to_pymc("baseline_mean", dims="grade")
            tau_b = pm.HalfNormal("baseline_between_sd", 1.0, dims="grade")
            sd_b = pm.HalfNormal("baseline_within_sd", 1.0, dims="grade")
            centred = self._centred(prepared)  # counts pin each event's rates: centred mixes better
            if centred:
                mu_gb = pm.Normal("baseline_group", mu=mu0[gg], sigma=tau_b[gg], dims="group")
                gamma = pm.Normal("baseline_logit", mu=mu_gb[cgrp], sigma=sd_b[cg], dims="cell")
            else:
                z_gb = pm.Normal("baseline_group_z", 0.0, 1.0, dims="group")
                mu_gb = mu0[gg] + tau_b[gg] * z_gb
                z_b = pm.Normal("baseline_z", 0.0, 1.0, dims="cell")
                gamma = pm.Deterministic("baseline_logit", mu_gb[cgrp] + sd_b[cg] * z_b, dims="cell")
            # log odds ratio: the same three levels
            m0 = self.effect_mean_prior.to_pymc("log_or_mean", dims="grade")
            between = _scale(self.between_sd, "log_or_between_sd")
            within = _scale(self.within_sd, "log_or_within_sd")
            if centred:
                mu_gt = pm.Normal("log_or_group", mu=m0[gg], sigma=between[gg], dims="group")
                theta = pm.Normal("log_or_cell", mu=mu_gt[cgrp], sigma=within[cg], dims="cell")
            else:
                z_gt = pm.Normal("log_or_group_z", 0.0, 1.0, dims="group")
                z_t = pm.Normal("log_or_z", 0.0, 1.0, dims="cell")
                mu_gt = pm.Deterministic("log_or_group", m0[gg] + between[gg] * z_gt, dims="group")
                theta = mu_gt[cgrp] + within[cg] * z_t
            if self.effect_prior == "shrinkage":
                theta = pm.Deterministic("log_or", theta, dims="cell")
                logit = pt.stack([gamma - theta / 2, gamma + theta / 2], axis=1)
                pm.Binomial("events_obs", n=n, logit_p=logit, observed=y, dims=("cell", "arm"))
            else:
                slab = pm.Deterministic("log_or_slab", theta, dims="cell")
                mu_pi = pm.Normal("zero_logit_mean", 0.0, 1.5, dims="grade")
                tau_pi = pm.HalfNormal("zero_logit_sd", 1.0, dims="grade")
                z_pi = pm.Normal("zero_z", 0.0, 1.0, dims="group")
                pi = pm.Deterministic("zero_prob", pm.math.invlogit(mu_pi[gg] + tau_pi[gg] * z_pi), dims="group")
                log_pi = pt.log(pi)[cgrp]
                log_1m = pt.log1p(-pi)[cgrp]
                zero, one = _binom2(y, n, gamma, gamma), _binom2(y, n, gamma - slab / 2, gamma + slab / 2)
                a, b = log_pi + zero, log_1m + one
                pm.Deterministic("p_zero", pt.exp(a - pt.logaddexp(a, b)), dims="cell")
                pm.CustomDist("events_obs", gamma, slab, log_pi, n, logp=_mixture_logp, observed=y,
                              signature="(),(),(),(a)->(a)", dims=("cell", "arm"))
        return model

    #: Smallest arm size from which the hierarchy is sampled centred (about 100 patients per arm make
    #: each event's counts informative about its own rates: the non-centred form then mixes badly,
    #: R-hat 1.08 on a 500-event table of 200 per arm; smaller trials keep the non-centred form).
    CENTRED_FROM: ClassVar[int] = 100

    def _centred(self, prepared: Prepared) -> bool:
        return bool(np.min(prepared.arrays["patients"]) >= self.CENTRED_FROM)

    def pointwise_log_likelihood(self, prepared: Prepared, posterior: xr.Dataset) -> xr.Dataset:
        """Log-likelihood of each event's two counts (one LOO unit per event and grade band)."""
        from scipy import stats
        from scipy.special import logsumexp

        y, n = prepared.arrays["events"], prepared.arrays["patients"]
        gamma = posterior["baseline_logit"].transpose("chain", "draw", "cell").values[..., None]
        theta_name = "log_or" if self.effect_prior == "shrinkage" else "log_or_slab"
        theta = posterior[theta_name].transpose("chain", "draw", "cell").values[..., None]
        half = np.array([-0.5, 0.5])

        def ll(logit):
            return stats.binom.logpmf(y, n, 1 / (1 + np.exp(-logit))).sum(axis=-1)

        out = ll(gamma + theta * half)
        if self.effect_prior == "point_mass":
            pi = posterior["zero_prob"].transpose("chain", "draw", "group").values[..., prepared.extra["cell_group"]]
            out = logsumexp(np.stack([np.log(pi) + ll(gamma + 0 * half), np.log1p(-pi) + out]), axis=0)
        coords = {"chain": posterior.coords["chain"], "draw": posterior.coords["draw"],
                  "cell": list(prepared.coords["cell"])}
        return xr.Dataset({"events": (("chain", "draw", "cell"), out)}, coords=coords)


def _scale(value: Prior | float, name: str):
    import pymc as pm

    if isinstance(value, Prior):
        return value.to_pymc(name, dims="grade")
    import pytensor.tensor as pt

    return pt.as_tensor_variable(np.full(len(pm.modelcontext(None).coords["grade"]), value))


def _binom2(y, n, logit_c, logit_t):
    """Log-likelihood of a cell's control and treatment counts (summed over the two arms)."""
    import pymc as pm

    lc = pm.logp(pm.Binomial.dist(n=n[..., 0], logit_p=logit_c), y[..., 0])
    lt = pm.logp(pm.Binomial.dist(n=n[..., 1], logit_p=logit_t), y[..., 1])
    return lc + lt


def _mixture_logp(value, gamma, slab, log_pi, n):
    """Both counts of an event under ``pi * [log OR = 0] + (1 - pi) * [log OR = slab]``."""
    import pytensor.tensor as pt

    zero = _binom2(value, n, gamma, gamma)
    one = _binom2(value, n, gamma - slab / 2, gamma + slab / 2)
    return pt.logaddexp(log_pi + zero, pt.log1mexp(log_pi) + one)

