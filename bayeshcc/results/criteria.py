"""Several response fits side by side (criteria x models): one summary table, one verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from bayeshcc.diagnostics import Diagnostics
    from bayeshcc.results.comparison import Comparison
    from bayeshcc.results.fit import Fit

__all__ = ["ResponseAnalysis"]


@dataclass(eq=False, repr=False)
class ResponseAnalysis:
    """Fits and comparisons of response by criterion and model (:func:`bayeshcc.analyse_response`).

    Attributes
    ----------
    fits, comparisons : dict
        Keyed by ``(criterion, model)``, the model named by its spec family (e.g.
        ``("mRECIST", "ordinal_response")``), criteria in the order asked for.
    diagnostics : dict
        Each fit's :class:`~bayeshcc.diagnostics.Diagnostics`, keyed alike.
    """

    fits: dict[tuple[str, str], Fit]
    comparisons: dict[tuple[str, str], Comparison]
    diagnostics: dict[tuple[str, str], Diagnostics] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every fit's convergence checks passed (exact fits always do)."""
        return all(d.ok for d in self.diagnostics.values())

    def summary(self, prob: float | None = None) -> pd.DataFrame:
        """Every comparison in one table: columns ``criterion, model, not_evaluated`` (how the model
        counts patients not evaluated: a binary model counts them as non-responders, the ordinal model
        excludes them by default) then those of :meth:`Comparison.summary` (``prob``: interval mass,
        default each comparison's)."""
        from bayeshcc.models.response_analysis import not_evaluated_handling

        table = _stack({k: c.summary(prob) for k, c in self.comparisons.items()})
        handling = {k: not_evaluated_handling(f.model) for k, f in self.fits.items()}
        table.insert(2, "not_evaluated", [handling[(c, m)] for c, m in zip(table["criterion"], table["model"],
                                                                             strict=True)])
        return table

    def diagnostics_table(self) -> pd.DataFrame:
        """Every fit's convergence checks in one table: columns ``criterion, model, check, ...``."""
        return _stack({k: d.table for k, d in self.diagnostics.items()})

    def __repr__(self) -> str:
        keys = ", ".join(f"{c} {m}" for c, m in self.fits)
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            return f"ResponseAnalysis({keys})\n{self.summary().to_string(index=False)}"


def _stack(tables: dict[tuple[str, str], pd.DataFrame]) -> pd.DataFrame:
    frames = [t.assign(criterion=c, model=m)[["criterion", "model", *t.columns]] for (c, m), t in tables.items()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["criterion", "model"])
