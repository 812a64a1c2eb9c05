"""Ordinal best response (CR / PR / SD / PD): a cumulative-logit model with an arm effect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np

from bayeshcc.data import OrdinalData
from bayeshcc.data.survival import check_arms
from bayeshcc.errors import DataError, SpecError
from bayeshcc.models.base import Model, Prepared
from bayeshcc.models.priors import Normal, Prior
from bayeshcc.results.ordinal import OrdinalFit

if TYPE_CHECKING:
    import pymc as pm

__all__ = ["OrdinalResponse"]


def _names(value: object, field: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        raise SpecError(f"{field}: expected a non-empty list of category names, got {value!r}")
    if not all(isinstance(v, str) for v in value):
        raise SpecError(f"{field}: category names must be text, got {list(value)!r}")
    return tuple(value)


@dataclass(frozen=True, kw_only=True, repr=False)
class OrdinalResponse(Model):
    """Best overall response as an ordered outcome, with a common odds ratio between arms.

    Parameters
    ----------
    effect : {"proportional", "per_arm"}, default ``"proportional"``
        ``"proportional"``: the cumulative-logit (proportional-odds) model below, one odds ratio
        between arms. ``"per_arm"``: each arm its own category probabilities, each
        ``Dirichlet(1, ..., 1)`` (no assumption tying the arms; the posterior is Dirichlet, and
        the rates and differences are those of the observed proportions, lightly smoothed). Use
        it where proportional odds does not hold (compare :meth:`OrdinalFit.category_probabilities`
        with the observed proportions).
    effect_prior : Prior, default ``Normal(0, 2.5)``
        Prior of the log odds ratio of a better response between any two arms (a log odds ratio
        of 2.5 is an odds ratio of 12; the default puts 95% of its mass between 1/135 and 135).
        A centred ``Normal(0, sigma)`` gives exchangeable, sum-to-zero arm effects (below), the
        same whichever arm is control, for any number of arms. Any other prior on the real line
        (a non-zero mean, a ``Logistic``, a mixture) is a directional prior on the treatment
        vs control log odds ratio and needs exactly two arms.
    responders : sequence of str, default ``("CR", "PR")``
        Categories that count as objective response.
    disease_control : sequence of str, default ``("CR", "PR", "SD")``
        Categories that count as disease control.
    not_evaluated : {"exclude", "worst"}, default ``"exclude"``
        What to do with categories that are not responses (``not_evaluated_labels``, e.g. ``NE``):
        ``"exclude"`` fits the evaluable patients only (rates are among evaluable patients; the
        number excluded is stated in the fit and its comparison); ``"worst"`` keeps them as a
        category worse than every assessed one (intention to treat: a patient not evaluated is
        neither a responder nor disease-controlled).
    not_evaluated_labels : sequence of str, default ``("NE", "NA", "not evaluated")`` (compared ignoring case and surrounding spaces)
    control : str, optional
        Reference arm; defaults to the data's control, else its first arm.

    Notes
    -----
    Categories are ordered best first (:math:`k = 1` is CR). For arm :math:`a`,

    .. math:: P(Y \\le k \\mid a) = \\operatorname{logit}^{-1}(c_k + \\eta_a), \\qquad k < K,

    so :math:`\\exp(\\eta_T - \\eta_C)` is the common odds ratio of a *better* response (above 1
    favours the treatment) at every split of the categories (proportional odds). The arm effects
    sum to zero: with ``effect_prior = Normal(0, s)`` they are a zero-sum normal vector with scale
    :math:`s/\\sqrt{2}` (exchangeable arms), so every pairwise log odds ratio
    :math:`\\eta_a - \\eta_b` has prior :math:`N(0, s^2)` and relabelling the arms (or choosing
    another control) changes no posterior comparison; for two arms this is
    :math:`\\eta_C = -\\beta/2`, :math:`\\eta_T = \\beta/2` with :math:`\\beta \\sim N(0, s^2)`.
    A directional ``effect_prior`` (two arms only) is the prior of :math:`\\beta` itself. The
    cutpoints are those of the average arm, :math:`c_k = \\operatorname{logit}(\\pi_1 + \\dots + \\pi_k)`
    with :math:`\\pi \\sim \\mathrm{Dirichlet}(1, \\dots, 1)`: a uniform prior on the category
    probabilities, the same whichever arm is called control. A single arm (e.g. one cohort) has
    no effect: the model is then the Dirichlet-multinomial of its categories. Objective response
    (``responders``) and disease control (``disease_control``) rates and their differences are
    functions of the category probabilities, computed from the draws (:meth:`OrdinalFit.compare`).

    Examples
    --------
    >>> import bayeshcc as bh
    >>> study = bh.datasets.load_huang2022()
    >>> fit = bh.OrdinalResponse().fit(study.ordinal_response["mRECIST"], seed=1)  # doctest: +SKIP
    >>> fit.compare().prob("objective_response_difference", ">", 0)  # doctest: +SKIP
    """

    family: ClassVar[str] = "ordinal_response"
    endpoint: ClassVar[str] = "response"
    data_types: ClassVar[tuple[type, ...]] = (OrdinalData,)
    result: ClassVar[type] = OrdinalFit

    effect: Literal["proportional", "per_arm"] = "proportional"
    effect_prior: Prior = Normal(0.0, 2.5)
    responders: tuple[str, ...] = ("CR", "PR")
    disease_control: tuple[str, ...] = ("CR", "PR", "SD")
    not_evaluated: Literal["exclude", "worst"] = "exclude"
    not_evaluated_labels: tuple[str, ...] = ("NE", "NA", "not evaluated")
    control: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.effect_prior, Prior) or self.effect_prior.support != "real":
            raise SpecError(f"effect_prior must be a prior on the real line (e.g. bh.Normal), got {self.effect_prior!r}")
        for name in ("responders", "disease_control", "not_evaluated_labels"):
            object.__setattr__(self, name, _names(getattr(self, name), name))
        missing = [c for c in self.responders if c not in self.disease_control]
        if missing:
            raise SpecError(f"disease_control: must include every responder category; {missing} are missing")
        if self.effect not in ("proportional", "per_arm"):
            raise SpecError(f"effect: expected 'proportional' or 'per_arm', got {self.effect!r}")
        if self.not_evaluated not in ("exclude", "worst"):
            raise SpecError(f"not_evaluated: expected 'exclude' or 'worst', got {self.not_evaluated!r}")
        if self.control is not None and not isinstance(self.control, str):
            raise SpecError(f"control must be an arm name, got {self.control!r}")

    def describe(self) -> str:
        control = f", control={self.control!r}" if self.control is not None else ""
        return (f"effect={self.effect!r}, effect_prior={self.effect_prior}, responders={list(self.responders)}, "
                f"disease_control={list(self.disease_control)}, not_evaluated={self.not_evaluated!r}{control}")

    def prior_text(self, prepared: Prepared, time_unit: str = "time units") -> str:
        k = len(prepared.coords["category"])
        flat = f"Dirichlet({', '.join(['1'] * k)}) [uniform]"
        if self.effect == "per_arm" or len(prepared.arms) == 1:
            return f"category probabilities of each arm ~ {flat}"
        text = f"category probabilities of the average arm ~ {flat}"
        if self._zero_sum_scale() is not None:
            return (text + f"; log odds ratio of a better response between any two arms ~ {self.effect_prior} "
                    "(sum-to-zero arm effects: the same whichever arm is control)")
        return text + f"; log odds ratio of a better response, treatment vs control ~ {self.effect_prior}"

    def _zero_sum_scale(self) -> float | None:
        """Scale of the zero-sum normal arm effects, when the effect prior is a centred Normal."""
        if isinstance(self.effect_prior, Normal) and self.effect_prior.mu == 0:
            return self.effect_prior.sigma / np.sqrt(2.0)
        return None

    def check_compare(self, data: OrdinalData, prepared: Prepared, **settings) -> None:
        """One arm (a single cohort) has rates but no contrast: nothing to check unless arms are named."""
        if len(prepared.arms) == 1 and settings.get("treatment") is None and settings.get("control") in (None, *prepared.arms):
            return
        super().check_compare(data, prepared, **settings)

    def prepare(self, data: OrdinalData) -> Prepared:
        """Counts per arm and category (control first), not-evaluated categories resolved."""
        self.check_data(data)
        control = self.control or data.control or data.arms[0]
        check_arms(data.arms, [control], field="control")
        arms = (control, *[a for a in data.arms if a != control])
        table = data.table.loc[list(arms)]
        labels = {str(x).strip().casefold() for x in self.not_evaluated_labels}
        ne = [c for c in data.categories if str(c).strip().casefold() in labels]  # "NE", "ne", " Ne " alike
        assessed = [c for c in data.categories if c not in ne]
        for field, names in (("responders", self.responders), ("disease_control", self.disease_control)):
            unknown = [c for c in names if c not in assessed]
            if unknown:
                raise DataError(f"{field}: categories {unknown} are not among the data's assessed categories {assessed}")
        if len(assessed) < 2:
            raise DataError(f"OrdinalResponse needs at least two assessed categories, got {assessed}")
        excluded = table[ne].sum(axis=1).astype(int) if ne else table.iloc[:, :0].sum(axis=1).astype(int)
        if self.not_evaluated == "worst" and ne:
            counts = np.column_stack([table[assessed].to_numpy(), table[ne].sum(axis=1).to_numpy()])
            categories = [*assessed, "not evaluated"]
        else:
            counts = table[assessed].to_numpy()
            categories = list(assessed)
        counts = counts.astype(np.int64)
        if self.effect == "proportional" and len(arms) > 2 and self._zero_sum_scale() is None:
            raise SpecError(
                f"effect_prior: with {len(arms)} arms the arm effects are exchangeable (sum to zero), "
                f"which needs a centred Normal(0, sigma), the prior of every pairwise log odds ratio; "
                f"got {self.effect_prior} (a directional prior needs exactly two arms)"
            )
        empty = [a for a, row in zip(arms, counts, strict=True) if row.sum() == 0]
        if empty:
            raise DataError(f"OrdinalResponse: arm(s) {empty} have no evaluable patients")
        in_responders = np.isin(categories, self.responders)
        in_control = np.isin(categories, self.disease_control)
        return Prepared(
            arrays={"counts": counts, "n": counts.sum(axis=1)},
            structure=("ordinal", arms, tuple(categories)),
            arms=arms, control=control,
            coords={"arm": list(arms), "category": categories,
                    **({"effect_arm": list(arms[1:])} if len(arms) > 1 else {})},
            extra={"excluded": excluded.to_numpy(), "responders": in_responders, "disease_control": in_control},
        )

    def build(self, prepared: Prepared) -> pm.Model:
        import pymc as pm
        import pytensor.tensor as pt

        arms, cats = prepared.coords["arm"], prepared.coords["category"]
        k = len(cats)
        coords = {"arm": arms, "category": cats, "split": [f"{a}|{b}" for a, b in zip(cats[:-1], cats[1:], strict=True)]}
        if len(arms) > 1:
            coords["effect_arm"] = arms[1:]
        with pm.Model(coords=coords) as model:
            counts = pm.Data("counts", prepared.arrays["counts"], dims=("arm", "category"))
            n = pm.Data("n", prepared.arrays["n"], dims="arm")
            if self.effect == "per_arm" or len(arms) == 1:
                probs = pm.Dirichlet("probs", a=np.ones((len(arms), k)), dims=("arm", "category"))
                pm.Multinomial("best_response", n=n, p=probs, observed=counts, dims=("arm", "category"))
                return model
            pi = pm.Dirichlet("average_probs", a=np.ones(k), dims="category")
            cum = pt.clip(pt.cumsum(pi)[:-1], 1e-12, 1 - 1e-12)
            cut = pm.Deterministic("cutpoints", pt.log(cum) - pt.log1p(-cum), dims="split")
            scale = self._zero_sum_scale()
            if scale is not None:  # exchangeable arms: no arm is special, whichever is control
                eta = pm.ZeroSumNormal("arm_effect", sigma=scale, dims="arm")
                pm.Deterministic("log_odds_ratio", eta[1:] - eta[0], dims="effect_arm")
            else:  # two arms, a directional prior on treatment vs control
                beta = self.effect_prior.to_pymc("log_odds_ratio", dims="effect_arm")
                eta = pm.Deterministic("arm_effect", pt.concatenate([-beta / 2, beta / 2]), dims="arm")
            cdf = pm.math.sigmoid(cut[None, :] + eta[:, None])
            full = pt.concatenate([pt.zeros((len(arms), 1)), cdf, pt.ones((len(arms), 1))], axis=1)
            probs = pm.Deterministic("probs", full[:, 1:] - full[:, :-1], dims=("arm", "category"))
            pm.Multinomial("best_response", n=n, p=probs, observed=counts, dims=("arm", "category"))
        return model
