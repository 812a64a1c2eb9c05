"""Exceptions and warnings raised by bayeshcc.

``DataError`` and ``SpecError`` subclass :class:`ValueError` so that code catching ``ValueError``
keeps working; their messages name the field, the offending rows or values, and what was expected.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ConvergenceWarning", "DataError", "SparseLookWarning", "SpecError", "format_rows"]


class DataError(ValueError):
    """Invalid data: a column, row or value that does not meet what a container expects."""


class SpecError(ValueError):
    """Invalid model, design or spec-file settings (unknown key, wrong type, impossible value)."""


class ConvergenceWarning(UserWarning):
    """MCMC diagnostics failed one of their thresholds (R-hat, ESS, divergences, BFMI)."""


class SparseLookWarning(UserWarning):
    """Simulated trials stopped at a look whose data had an arm (or an arm's interval) without events,
    so the decision there rested on the analysis prior."""


def format_rows(rows: Sequence[int], limit: int = 8) -> str:
    """Format row labels for an error message: ``rows 4, 17, 52`` (truncated after ``limit``)."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {shown}{more}"
