"""Response by several criteria and models side by side (RECIST and mRECIST; binary and ordinal)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from bayeshcc.data import BinaryData, OrdinalData
from bayeshcc.errors import DataError, SpecError
from bayeshcc.models.base import ExactModel, Model
from bayeshcc.models.binomial import BinomialResponse
from bayeshcc.models.ordinal import OrdinalResponse
from bayeshcc.results.comparison import check_prob
from bayeshcc.results.criteria import ResponseAnalysis

if TYPE_CHECKING:
    from bayeshcc.datasets.study import Study

__all__ = ["analyse_response", "as_model_data"]


def as_model_data(model: Model | ExactModel, data: Any) -> Any:
    """``data`` in the form ``model`` fits.

    A best-response table (:class:`~bayeshcc.OrdinalData`) gives a binary-response model (one
    that fits :class:`~bayeshcc.BinaryData`, e.g. :class:`~bayeshcc.BinomialResponse`) its
    objective response: CR + PR out of all the arm's patients, a not-evaluated patient counting
    as a non-responder (:meth:`OrdinalData.to_binary`). Anything else is returned unchanged.
    """
    data = model.coerce(data)
    if isinstance(data, OrdinalData) and not isinstance(data, model.data_types) and BinaryData in model.data_types:
        return data.to_binary()
    return data


def not_evaluated_handling(model: Model | ExactModel) -> str:
    """How ``model`` counts patients whose response was not evaluated (side-by-side tables state it,
    since a binary and an ordinal model of one table can differ on exactly this)."""
    from bayeshcc.models.ordinal import OrdinalResponse

    if isinstance(model, OrdinalResponse):
        return "excluded" if model.not_evaluated == "exclude" else "counted in the worst category"
    return "counted as non-responders"


def analyse_response(
    data: Study | Mapping[str, OrdinalData | BinaryData] | OrdinalData,
    *,
    criteria: Sequence[str] | None = None,
    models: Sequence[Model | ExactModel] | None = None,
    treatment: str | None = None,
    control: str | None = None,
    prob: float = 0.95,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    seed: int | None = None,
    sampler: Literal["nutpie", "pymc"] | None = None,
) -> ResponseAnalysis:
    """Fit every response model to every criterion and compare the arms, side by side.

    Parameters
    ----------
    data : Study, mapping of criterion -> OrdinalData (or BinaryData), or OrdinalData
        A study (its :attr:`~bayeshcc.datasets.Study.ordinal_response`, e.g. RECIST and mRECIST
        of huang2022), the tables by criterion, or one table (keyed by its ``criterion``).
    criteria : sequence of str, optional
        Which criteria, in this order (default: all of ``data``'s).
    models : sequence of models, optional
        Default ``(BinomialResponse(), OrdinalResponse())``: the exact beta-binomial objective
        response and the cumulative-logit best response, each with its defaults. At most one
        model per family. A binary model is given each table's objective response (CR + PR of
        all patients; :func:`as_model_data`); a binary table cannot feed an ordinal model.
    treatment, control : str, optional
        Arms of every comparison (defaults as each fit's ``compare``).
    prob : float
        Interval mass of the comparisons (default 0.95).
    draws, tune, chains, seed
        Sampler settings of every fit (one seed for all: the same call gives the same numbers).
        Exact models draw ``chains x draws`` independent draws and ignore ``tune``.
    sampler : {"nutpie", "pymc"}, optional
        MCMC sampler of the MCMC models (default: each model's); exact models use their closed form.

    Returns
    -------
    ResponseAnalysis
        ``fits`` and ``comparisons`` keyed by ``(criterion, family)``; ``summary()`` is one table
        with ``criterion`` and ``model`` columns.

    Raises
    ------
    SpecError
        Unknown criteria, a model that is not a response model, two models of one family, bad
        sampler settings or ``prob``.
    DataError
        A table a model cannot fit, or arms the data do not have. Everything is checked before
        any model is sampled; messages name the criterion and the model.

    Notes
    -----
    Each fit is the model's own (see :class:`~bayeshcc.BinomialResponse` and
    :class:`~bayeshcc.OrdinalResponse`); this function only runs them on the same data and puts
    their comparisons in one table, so the exact ``rate`` / ``risk_difference`` of the binary
    model sits beside the ordinal model's ``objective_response`` /
    ``objective_response_difference`` and ``disease_control`` rates. With not-evaluated patients
    the binary model's rates are of all patients, the ordinal model's are among the evaluable
    ones unless ``OrdinalResponse(not_evaluated="worst")``.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> study = bh.datasets.load_huang2022()
    >>> both = bh.analyse_response(study, criteria=["RECIST", "mRECIST"],  # doctest: +SKIP
    ...                            models=[bh.BinomialResponse(), bh.OrdinalResponse(effect="per_arm")],
    ...                            treatment="FOLFOX-HAIC", control="Sorafenib", seed=1)
    >>> both.summary()  # doctest: +SKIP
    """
    from bayeshcc import sampling

    tables = _tables(data, criteria)
    models = (BinomialResponse(), OrdinalResponse()) if models is None else tuple(models)
    named = _named_models(models)
    check_prob(prob)
    settings = {"draws": draws, "tune": tune, "chains": chains, "seed": seed}
    runs = []
    for crit, table in tables.items():
        for family, model in named.items():
            chosen = _sampler(model, sampler)
            sampling.check_args(**settings, sampler=chosen, allowed=model.samplers)
            try:
                d = as_model_data(model, table)
                model.check_data(d)
                bound = model.bind(d)
                bound.check_compare(d, bound.prepare(d), treatment=treatment, control=control)
            except (DataError, SpecError) as e:
                raise type(e)(f"analyse_response ({crit!r}, {family}): {e}") from None
            runs.append((crit, family, model, d, chosen))
    fits, comparisons, diagnostics = {}, {}, {}
    for crit, family, model, d, chosen in runs:
        fit = model.fit(d, **settings, sampler=chosen)
        fits[(crit, family)] = fit
        diagnostics[(crit, family)] = fit.diagnostics()
        comparisons[(crit, family)] = fit.compare(treatment=treatment, control=control, prob=prob)
    return ResponseAnalysis(fits=fits, comparisons=comparisons, diagnostics=diagnostics)


def _tables(data: Any, criteria: Sequence[str] | None) -> dict[str, Any]:
    from bayeshcc.datasets.study import Study

    if isinstance(data, Study):
        tables = data.ordinal_response
    elif isinstance(data, OrdinalData | BinaryData):
        tables = {data.criterion or "": data}
    elif isinstance(data, Mapping):
        tables = dict(data)
    else:
        raise DataError(f"data: expected a Study, a mapping of criterion -> OrdinalData, or an OrdinalData; "
                        f"got {type(data).__name__}")
    if criteria is None:
        return tables
    if isinstance(criteria, str) or not isinstance(criteria, Sequence) or not criteria:
        raise SpecError(f"criteria: expected a non-empty list of criterion names, got {criteria!r}")
    unknown = [c for c in criteria if c not in tables]
    if unknown or len(set(criteria)) < len(criteria):
        raise SpecError(f"criteria: {unknown or list(criteria)} are not criteria of the data once each; "
                        f"available: {list(tables)}")
    return {c: tables[c] for c in criteria}


def _named_models(models: tuple) -> dict[str, Model | ExactModel]:
    named: dict[str, Model | ExactModel] = {}
    for i, m in enumerate(models):
        if not isinstance(m, Model | ExactModel) or m.endpoint != "response":
            raise SpecError(f"models[{i}]: expected a response model (e.g. bh.BinomialResponse(), "
                            f"bh.OrdinalResponse()), got {m!r}")
        if m.family in named:
            raise SpecError(f"models[{i}]: a second {m.family} model; give one model per family")
        named[m.family] = m
    if not named:
        raise SpecError("models: expected at least one response model")
    return named


def _sampler(model: Model | ExactModel, sampler: str | None) -> str:
    """The requested MCMC sampler for an MCMC model; an exact model's closed form otherwise."""
    if sampler is None or "exact" in model.samplers:
        return model.samplers[0]
    return sampler
