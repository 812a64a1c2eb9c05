"""The truth a trial is simulated under."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bayeshcc.design._validate import ARMS, _cutpoints, _per_arm, _positive, _vector
from bayeshcc.design.design_prior import DesignPrior
from bayeshcc.design.discount import Discount
from bayeshcc.design.sources import prior_by_hand, prior_from_fit
from bayeshcc.errors import SpecError
from bayeshcc.models.priors import Beta, Logistic, Normal

__all__ = ["Scenario"]


@dataclass(frozen=True, init=False)
class Scenario:
    """The truth a trial is simulated under: fixed (:meth:`fixed`) or a design prior from which each
    trial draws its own (:meth:`from_fit`, :meth:`from_prior`).

    Attributes
    ----------
    cutpoints : tuple of float
        Start of each period of the piecewise-exponential truth (months).
    control_hazards, hazard_ratios : tuple of float
        Control hazard per month and treatment/control hazard ratio, per period.
    cure_fraction : (control, treatment)
        Proportion of patients who never have the event.
    response_rates : (control, treatment) or None
    prior : DesignPrior or None
        The candidate truths of a design prior; the fields above then hold its componentwise
        median (the truth :meth:`at_median` simulates, and the one design checks use).
    """

    cutpoints: tuple[float, ...]
    control_hazards: tuple[float, ...]
    hazard_ratios: tuple[float, ...]
    cure_fraction: tuple[float, float]
    response_rates: tuple[float, float] | None
    prior: DesignPrior | None = None

    @classmethod
    def fixed(
        cls,
        *,
        median: float | None = None,
        hazards: float | Sequence[float] | None = None,
        cutpoints: Sequence[float] = (0.0,),
        hazard_ratio: float | Sequence[float] = 1.0,
        cure_fraction: float | Mapping[str, float] = 0.0,
        response_rates: Mapping[str, float] | None = None,
    ) -> Scenario:
        """A scenario with fixed true parameters.

        Parameters
        ----------
        median : float, optional
            Control median (months) of an exponential control arm (exclusive with ``hazards``).
        hazards : float or sequence of float, optional
            Control hazard per month in each period starting at ``cutpoints``.
        cutpoints : sequence of float, default ``(0,)``
        hazard_ratio : float or sequence of float, default 1
            Constant, or one per period (delayed effects: ``[1, 0.6]`` with ``cutpoints=[0, 3]``).
        cure_fraction : float or mapping, default 0
            Scalar or ``{"control": .., "treatment": ..}``; cured patients never have the event.
        response_rates : mapping, optional
            ``{"control": p_c, "treatment": p_t}`` for the response endpoint.

        Notes
        -----
        Event times follow a mixture cure model with piecewise-exponential hazards:
        :math:`S_a(t) = \\pi_a + (1 - \\pi_a) \\exp(-H_a(t))` with
        :math:`h_{\\text{treatment}}(t) = \\text{HR}(t)\\, h_{\\text{control}}(t)`.
        A median :math:`m` means the hazard :math:`\\log 2 / m`.
        """
        self = object.__new__(cls)
        s = object.__setattr__
        if response_rates is not None:
            rates = (
                _per_arm("Scenario.response_rates", response_rates)
                if isinstance(response_rates, Mapping)
                else None
            )
            if rates is None:
                raise SpecError(
                    f"Scenario.response_rates: expected {{'control': p, 'treatment': p}}, got {response_rates!r}"
                )
            for arm, p in zip(ARMS, rates, strict=True):
                if p > 1:
                    raise SpecError(
                        f"Scenario.response_rates['{arm}']: expected a probability, got {p}"
                    )
            s(self, "response_rates", rates)
        else:
            s(self, "response_rates", None)
        if median is not None and hazards is not None:
            raise SpecError("Scenario: give median or hazards for the control arm, not both")
        cuts = _cutpoints("Scenario.cutpoints", cutpoints)
        if median is None and hazards is None:
            if response_rates is None:
                raise SpecError("Scenario: give the control median or hazards (or response_rates)")
            haz = ()
        elif median is not None:
            haz = (math.log(2) / _positive("Scenario.median", median),) * len(cuts)
        else:
            haz = _vector("Scenario.hazards", hazards)
            if len(haz) == 1:
                haz = haz * len(cuts)
            if len(haz) != len(cuts):
                raise SpecError(
                    f"Scenario.hazards: expected {len(cuts)} values (one per cutpoint), got {len(haz)}"
                )
            if haz[-1] <= 0:
                raise SpecError(
                    f"Scenario.hazards: the last period's hazard must be > 0, got {haz[-1]}"
                )
        hr = _vector("Scenario.hazard_ratio", hazard_ratio, allow_zero=False)
        if not haz:
            hr = ()
        elif len(hr) == 1:
            hr = hr * len(cuts)
        if haz and len(hr) != len(cuts):
            raise SpecError(
                f"Scenario.hazard_ratio: expected 1 or {len(cuts)} values, got {len(hr)}"
            )
        cure = _per_arm("Scenario.cure_fraction", cure_fraction)
        for arm, p in zip(ARMS, cure, strict=True):
            if p >= 1:
                raise SpecError(
                    f"Scenario.cure_fraction['{arm}']: expected a value in [0, 1), got {p}"
                )
        s(self, "cutpoints", cuts)
        s(self, "control_hazards", haz)
        s(self, "hazard_ratios", hr)
        s(self, "cure_fraction", cure)
        s(self, "prior", None)
        return self

    @classmethod
    def from_fit(
        cls,
        fit,
        *,
        arms: Mapping[str, str] | None = None,
        discount: Discount | Mapping,
        draws: int | None = None,
        seed: int | np.random.SeedSequence | np.random.Generator,
    ) -> Scenario:
        """A design prior from a fitted model's posterior: each simulated trial draws its own truth.

        Parameters
        ----------
        fit : SurvivalFit, ResponseFit or mapping of them
            A :class:`~bayeshcc.PiecewiseExponential` fit (control hazards and hazard ratios per
            interval; the periods are the fit's cutpoints, in months) or a response fit (rates
            per arm). A mapping such as ``{"os": os_fit, "response": resp_fit}`` gives joint
            truths, paired by draw index (one survival and at most one response fit).
        arms : mapping, optional
            ``{"control": <fit arm>, "treatment": <fit arm>}``; default the fit's control and its
            other arm.
        discount : PowerPrior, RobustMixture or mapping
            Always stated: ``bh.PowerPrior(a0=...)`` (refits the source with its likelihood raised
            to a0; ``a0=1`` keeps the posterior as it is) or ``bh.RobustMixture(weight=...)``; or
            the spec form (:func:`~bayeshcc.design.discount.discount_from_dict`).
        draws : int, optional
            Number of candidate truths, drawn without replacement from the posterior draws
            (default all of them).
        seed : int, SeedSequence or Generator
            For the refit, the subsample and the mixture.

        Returns
        -------
        Scenario
            Its ``prior`` holds the truths, its fixed fields their median; ``str`` states the
            source and the discount.

        Notes
        -----
        The design prior is what is true in the simulated trials; the trials are analysed with
        ``TrialDesign.analysis`` alone, which never sees it.
        """
        return cls._from_prior_object(prior_from_fit(fit, arms=arms, discount=discount, draws=draws, seed=seed))

    @classmethod
    def from_prior(
        cls,
        *,
        median: float | None = None,
        hazards: float | Sequence[float] | None = None,
        cutpoints: Sequence[float] = (0.0,),
        log_hr: Normal | Logistic | None = None,
        cure_fraction: float | Mapping[str, float] = 0.0,
        response_rates: Mapping[str, Beta | float] | None = None,
        draws: int = 10_000,
        seed: int | np.random.SeedSequence | np.random.Generator,
    ) -> Scenario:
        """A design prior written by hand: e.g. log HR ~ Normal(mu, sigma) with a fixed control arm.

        Parameters
        ----------
        median, hazards, cutpoints, cure_fraction
            The control arm, as in :meth:`fixed`.
        log_hr : Normal or Logistic, optional
            Prior of the log hazard ratio (the same in every period); needs the control arm.
        response_rates : mapping, optional
            ``{"control": bh.Beta(..) or p, "treatment": bh.Beta(..) or p}``.
        draws : int, default 10,000
            Number of candidate truths drawn from these priors.
        seed : int, SeedSequence or Generator

        Returns
        -------
        Scenario

        Examples
        --------
        >>> import bayeshcc as bh
        >>> s = bh.Scenario.from_prior(median=9, log_hr=bh.Normal(-0.36, 0.2), draws=1000, seed=1)
        >>> s.prior.n_draws, round(float(s.hazard_ratios[0]), 2)
        (1000, 0.69)
        """
        survival = None
        if median is not None or hazards is not None:
            base = cls.fixed(median=median, hazards=hazards, cutpoints=cutpoints, cure_fraction=cure_fraction)
            survival = (base.cutpoints, base.control_hazards, base.cure_fraction)
        prior = prior_by_hand(survival=survival, log_hr=log_hr, response_rates=response_rates, draws=draws,
                              seed=seed)
        return cls._from_prior_object(prior)

    @classmethod
    def _from_prior_object(cls, prior: DesignPrior) -> Scenario:
        self = cls.fixed(**prior.median_truth())
        object.__setattr__(self, "prior", prior)
        return self

    def at_median(self) -> Scenario:
        """The fixed scenario at the design prior's componentwise median truth (itself if fixed)."""
        if self.prior is None:
            return self
        return Scenario.fixed(**self.prior.median_truth())

    def for_endpoint(self, endpoint: str) -> Scenario:
        """The part of a joint scenario that one endpoint reads (``"survival"`` or ``"response"``)."""
        if endpoint not in ("survival", "response"):
            raise SpecError(f"endpoint: expected 'survival' or 'response', got {endpoint!r}")
        has = bool(self.control_hazards) if endpoint == "survival" else self.response_rates is not None
        if not has:
            raise SpecError(f"scenario: it has no {endpoint} truth ({self})")
        if self.prior is not None:
            return Scenario._from_prior_object(self.prior.restrict(endpoint))
        if endpoint == "response":
            return Scenario.fixed(response_rates=dict(zip(ARMS, self.response_rates, strict=True)))
        return Scenario.fixed(hazards=list(self.control_hazards), cutpoints=list(self.cutpoints),
                              hazard_ratio=list(self.hazard_ratios),
                              cure_fraction=dict(zip(ARMS, self.cure_fraction, strict=True)))

    def _pinned(self, root: np.random.SeedSequence) -> Scenario:
        """This scenario with its truth streams pinned to ``root`` (joint simulation)."""
        if self.prior is None:
            return self
        return Scenario._from_prior_object(replace(self.prior, truth_seed=root))

    def hazards(self) -> np.ndarray:
        """True hazards per arm and period, shape ``(2, periods)`` (control, treatment)."""
        h = np.asarray(self.control_hazards)
        return np.stack([h, h * np.asarray(self.hazard_ratios)])

    def __str__(self) -> str:
        if self.prior is not None:
            return f"Scenario: {self.prior.describe()}"
        if self.response_rates is not None:
            c, t = self.response_rates
            return f"Scenario: response rates control {c:g}, treatment {t:g}"
        hr = self.hazard_ratios
        hr_s = f"{hr[0]:g}" if len(set(hr)) == 1 else "[" + ", ".join(f"{h:g}" for h in hr) + "]"
        return (
            f"Scenario: control hazards {[round(h, 5) for h in self.control_hazards]} "
            f"from {list(self.cutpoints)}, HR {hr_s}, cure {self.cure_fraction}"
        )
