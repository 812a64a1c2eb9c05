"""Design priors built from a fitted model (:func:`prior_from_fit`) or by hand (:func:`prior_by_hand`).

This is the one place that branches on the kind of fit: :func:`source_truths` is a ``functools.singledispatch`` over the result classes: a
:class:`~bayeshcc.SurvivalFit` gives control hazards and hazard ratios per interval, a
:class:`~bayeshcc.results.response.ResponseFit` (exact Beta or logistic) gives response rates per
arm. A new family registers its own result class here.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from bayeshcc import _random
from bayeshcc.design._validate import ARMS, _int
from bayeshcc.design.design_prior import DesignPrior
from bayeshcc.design.discount import Discount, PowerPrior, RobustMixture, discount_from_dict
from bayeshcc.errors import ConvergenceWarning, SpecError
from bayeshcc.models.priors import Beta, Logistic, Normal
from bayeshcc.results.response import ResponseFit
from bayeshcc.results.survival import SurvivalFit

__all__ = ["prior_by_hand", "prior_from_fit", "resolve_arms", "source_truths"]


def resolve_arms(fit, arms: Mapping[str, str] | None, field: str) -> tuple[str, str]:
    """The fit's arm labels playing the design's control and treatment.

    ``arms=None`` takes the fit's control and its other arm (two-arm fits only).
    """
    labels = list(getattr(fit, "arms", ()))
    if arms is None:
        if len(labels) != 2:
            raise SpecError(f"arms: {field} has arms {labels}; say which play the design's roles, "
                            "arms={'control': ..., 'treatment': ...}")
        treatment, control = fit.pair()
        return control, treatment
    if not isinstance(arms, Mapping) or set(arms) != set(ARMS):
        raise SpecError(f"arms: expected {{'control': <arm of the fit>, 'treatment': <arm of the fit>}}, got {arms!r}")
    out = []
    for role in ARMS:
        label = arms[role]
        label = str(label) if isinstance(label, int | np.integer) and not isinstance(label, bool) else label
        if label not in labels:
            raise SpecError(f"arms['{role}']: {label!r} is not an arm of {field}; its arms are {labels}")
        out.append(label)
    if out[0] == out[1]:
        raise SpecError(f"arms: control and treatment are the same arm {out[0]!r}")
    return out[0], out[1]


@functools.singledispatch
def source_truths(fit, *, control: str, treatment: str, field: str) -> tuple[dict, str]:
    """Candidate truths from ``fit``'s posterior draws (chains x draws flattened, in order).

    Returns
    -------
    truths : dict
        ``cutpoints``, ``control_hazards`` and ``hazard_ratios`` (survival, shape
        ``(draw, period)``), or ``response_rates`` (response, shape ``(draw, arm)``).
    kind : {"survival", "response"}
    """
    raise SpecError(
        f"{field}: expected a SurvivalFit (bh.PiecewiseExponential) or a ResponseFit "
        f"(bh.BinomialResponse), got {type(fit).__name__}"
    )


@source_truths.register
def _(fit: SurvivalFit, *, control: str, treatment: str, field: str) -> tuple[dict, str]:
    if fit.time_unit != "months":
        raise SpecError(f"{field}: the simulator works in months and the fit's time is in {fit.time_unit}; "
                        "refit with times in months")
    h = fit.hazard.transpose("chain", "draw", "arm", "interval")
    hc = h.sel(arm=control).values.reshape(-1, h.sizes["interval"])
    ht = h.sel(arm=treatment).values.reshape(-1, h.sizes["interval"])
    if not (np.all(hc > 0) and np.all(np.isfinite(ht)) and np.all(ht > 0)):
        raise SpecError(f"{field}: posterior hazards must be positive and finite to serve as truths")
    cuts = tuple(float(c) for c in fit.cutpoints)
    return {"cutpoints": cuts, "control_hazards": hc, "hazard_ratios": ht / hc}, "survival"


@source_truths.register
def _(fit: ResponseFit, *, control: str, treatment: str, field: str) -> tuple[dict, str]:
    r = fit.rate.transpose("chain", "draw", "arm")
    rates = np.stack([r.sel(arm=a).values.reshape(-1) for a in (control, treatment)], axis=1)
    return {"response_rates": rates}, "response"


# --- builders --------------------------------------------------------------------------------------


def _child(root: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """A child sequence of ``root`` by key, without advancing ``root`` (the caller's object)."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size)


def _draw(prior: Normal | Logistic | Beta, rng: np.random.Generator, n: int) -> np.ndarray:
    if isinstance(prior, Normal):
        return rng.normal(prior.mu, prior.sigma, n)
    if isinstance(prior, Logistic):
        return rng.logistic(prior.mu, prior.s, n)
    return rng.beta(prior.alpha, prior.beta, n)


def _mix(arrays: dict, mixture: RobustMixture, rng: np.random.Generator) -> dict:
    """Replace the effect of a ``1 - weight`` share of the truths by the vague component's."""
    n = next(v for v in arrays.values() if isinstance(v, np.ndarray)).shape[0]
    keep = rng.random(n) < mixture.weight
    out = dict(arrays)
    if "hazard_ratios" in arrays:
        vague = np.exp(_draw(mixture.log_hr, rng, n))[:, None]
        out["hazard_ratios"] = np.where(keep[:, None], arrays["hazard_ratios"], vague)
    if "response_rates" in arrays:
        rates = arrays["response_rates"].copy()
        rates[:, 1] = np.where(keep, rates[:, 1], _draw(mixture.treatment_rate, rng, n))
        out["response_rates"] = rates
    return out


def prior_from_fit(fit, *, arms: Mapping[str, str] | None, discount: Discount | Mapping, draws: int | None,
                   seed) -> DesignPrior:
    """Candidate truths from a fitted model's posterior (or several fits' paired by draw index).

    See :meth:`bayeshcc.design.Scenario.from_fit`.
    """
    if discount is None:
        raise SpecError(
            "discount: state how the source is discounted: bh.PowerPrior(a0=...) or "
            "bh.RobustMixture(weight=...); bh.PowerPrior(a0=1) keeps the source posterior as it is"
        )
    discount = discount_from_dict(discount, field="discount")
    root = _random.seed_sequence(seed)
    rng = np.random.default_rng(_child(root, 0))
    fits = dict(fit) if isinstance(fit, Mapping) else {None: fit}
    if not fits:
        raise SpecError("fit: expected a fit or a mapping of fits, got an empty mapping")
    arrays: dict = {}
    sources = []
    for j, (name, f) in enumerate(fits.items()):
        field = "fit" if name is None else f"fit[{name!r}]"
        if source_truths.dispatch(type(f)) is source_truths.dispatch(object):  # not a fit with truths
            source_truths(f, control="", treatment="", field=field)
        control, treatment = resolve_arms(f, arms, field)
        if isinstance(discount, PowerPrior) and discount.a0 < 1:
            f = _refit(f, discount.a0, int(_child(root, 1, j).generate_state(1)[0]), field)
        part, kind = source_truths(f, control=control, treatment=treatment, field=field)
        clash = set(part) & set(arrays) - {"cutpoints"}
        if clash:
            raise SpecError(f"{field}: a second {kind} fit; give one survival fit and at most one response fit")
        n_have = next((v.shape[0] for v in arrays.values() if isinstance(v, np.ndarray)), None)
        n_new = next(v.shape[0] for v in part.values() if isinstance(v, np.ndarray))
        if n_have is not None and n_new != n_have and draws is None:
            raise SpecError(f"{field}: {n_new} posterior draws, the other fit {n_have}; pairing truths by draw "
                            "index needs equal numbers (or pass draws=)")
        arrays.update(part)
        sources.append(f"{kind}: {type(f.model).__name__} posterior of {f.data} ({control!r} control, "
                       f"{treatment!r} treatment)")
    n = min(v.shape[0] for v in arrays.values() if isinstance(v, np.ndarray))
    if draws is not None:
        if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or not 1 <= draws <= n:
            raise SpecError(f"draws: expected an integer from 1 to {n} (the posterior draws available), or None "
                            f"for all; got {draws!r}")
        pick = np.sort(rng.choice(n, int(draws), replace=False))
        arrays = {k: (v[pick] if isinstance(v, np.ndarray) else v) for k, v in arrays.items()}
    if isinstance(discount, RobustMixture):
        arrays = _mix(arrays, discount, rng)
        discount = discount._for_source(e for e, key in (("survival", "control_hazards"),
                                                          ("response", "response_rates")) if key in arrays)
    return DesignPrior(
        cutpoints=arrays.get("cutpoints", (0.0,)),
        control_hazards=arrays.get("control_hazards"),
        hazard_ratios=arrays.get("hazard_ratios"),
        response_rates=arrays.get("response_rates"),
        cure_fraction=(0.0, 0.0),
        source="; ".join(sources),
        discount=discount,
    )


def _refit(fit, a0: float, seed: int, field: str):
    """The source model refitted with its likelihood raised to ``a0`` (same chains and draws)."""
    model = fit.model
    if not hasattr(model, "likelihood_weight"):
        raise SpecError(f"discount: a power prior refits {field}'s model with likelihood_weight, which "
                        f"{type(model).__name__} does not have; use bh.RobustMixture(weight=...) instead")
    post = fit.idata.posterior
    kw = {"draws": int(post.sizes["draw"]), "chains": int(post.sizes["chain"]), "seed": seed}
    if fit.sampler in model.samplers:
        kw["sampler"] = fit.sampler
    try:
        refit = replace(model, likelihood_weight=a0 * model.likelihood_weight).fit(fit.data, check_convergence=False,
                                                                                   **kw)
    except SpecError as e:
        raise SpecError(f"discount: power prior on {field}: {e}") from None
    diag = refit.diagnostics()
    if not diag.ok:
        warnings.warn(f"discount: the power-prior refit of {field} (a0={a0:g}, {kw['chains']} chains of "
                      f"{kw['draws']} draws): {diag.verdict()}", ConvergenceWarning, stacklevel=4)
    return refit


def prior_by_hand(*, survival: tuple | None, log_hr, response_rates: Mapping | None, draws: int,
                  seed) -> DesignPrior:
    """Candidate truths drawn from priors written by hand; see ``Scenario.from_prior``.

    ``survival`` is ``(cutpoints, control hazards, cure fraction)`` of a validated fixed scenario.
    """
    n = _int("Scenario.draws", draws)
    rng = np.random.default_rng(_random.seed_sequence(seed))
    cuts, haz, cure, hr, rates = (0.0,), None, (0.0, 0.0), None, None
    described = []
    if survival is not None:
        if not isinstance(log_hr, Normal | Logistic):
            raise SpecError(f"Scenario.log_hr: expected a bh.Normal(mu, sigma) (or bh.Logistic) prior on the "
                            f"log hazard ratio, got {log_hr!r}")
        cuts, h0, cure = survival
        haz = np.tile(np.asarray(h0, dtype=float), (n, 1))
        hr = np.tile(np.exp(_draw(log_hr, rng, n))[:, None], (1, len(cuts)))
        described.append(f"log HR ~ {log_hr} with control hazards {[round(v, 5) for v in h0]} from {list(cuts)}")
    elif log_hr is not None:
        raise SpecError("Scenario.log_hr: a prior on the hazard ratio needs the control arm's median or hazards")
    if response_rates is not None:
        if not isinstance(response_rates, Mapping) or set(response_rates) != set(ARMS):
            raise SpecError(f"Scenario.response_rates: expected {{'control': bh.Beta(..), 'treatment': bh.Beta(..)}}"
                            f" (or probabilities), got {response_rates!r}")
        cols = []
        for arm in ARMS:
            p = response_rates[arm]
            if isinstance(p, Beta):
                cols.append(_draw(p, rng, n))
            elif isinstance(p, int | float | np.integer | np.floating) and not isinstance(p, bool) and 0 <= p <= 1:
                cols.append(np.full(n, float(p)))
            else:
                raise SpecError(f"Scenario.response_rates['{arm}']: expected a bh.Beta prior or a probability, "
                                f"got {p!r}")
            described.append(f"response rate {arm} ~ {p}")
        rates = np.stack(cols, axis=1)
    if haz is None and rates is None:
        raise SpecError("Scenario: give the control median or hazards with log_hr, or response_rates")
    return DesignPrior(cutpoints=tuple(cuts), control_hazards=haz, hazard_ratios=hr, response_rates=rates,
                       cure_fraction=tuple(cure), source="priors written by hand: " + ", ".join(described),
                       discount=None)
