"""Interval starts for piecewise models chosen from the data: event-time quantiles."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from bayeshcc.data._checks import as_cutpoints
from bayeshcc.data.intervals import IntervalData
from bayeshcc.data.survival import SurvivalData
from bayeshcc.errors import DataError, SpecError

__all__ = ["parse_cutpoints", "quantile_cutpoints"]

_QUANTILES = re.compile(r"quantiles:([0-9]+)")
_FORMS = "a list of interval starts such as [0, 6, 12], or 'quantiles:N' with N a whole number >= 1"


def quantile_cutpoints(data: SurvivalData, n: int) -> tuple[float, ...]:
    """Interval starts at the event-time quantiles of patient-level data, pooled over arms.

    Parameters
    ----------
    data : SurvivalData
        Patient-level data; the event times of all arms together are used (censored times are not).
    n : int
        Number of intervals wanted (>= 1). Ties can make it fewer; see Notes.

    Returns
    -------
    tuple of float
        ``(0.0, c_1, ..., c_k)`` with ``k <= n - 1``: strictly increasing interval starts, every
        ``c_j`` an observed event time, none at or beyond the last event time.

    Raises
    ------
    DataError
        ``data`` not a :class:`SurvivalData` (a life table has no event times: give its cutpoints
        explicitly, e.g. its own interval starts ``IntervalData.cutpoints``); ``n`` not a whole
        number >= 1; fewer events than ``n``.

    Notes
    -----
    With the ``m`` event times sorted, ``t_(1) <= ... <= t_(m)``, cutpoint ``j`` (``j = 1, ...,
    n - 1``) is the inverted-CDF quantile at ``j / n`` (Hyndman and Fan 1996, definition 1; numpy's
    ``method="inverted_cdf"``): the smallest event time at which the empirical distribution of
    event times reaches ``j / n``, i.e. ``t_(r)`` with ``r = ceil(j * m / n)``. The rank is computed
    in whole numbers, so ``j * m / n`` is never rounded up past a whole number (numpy's floating
    point can step one rank too far, e.g. ``m = 42, n = 14, j = 9`` gives it ``t_(28)``, not
    ``t_(27)``).

    Why this definition: the cutpoints are observed event times, reproducible by hand from the
    ranks. A time equal to a cutpoint belongs to the interval that ends there
    (:meth:`SurvivalData.split`), so without ties interval ``j`` holds events ``t_(r_{j-1}+1)``
    to ``t_(r_j)``: ``m / n`` events each when ``n`` divides ``m``, and never fewer than
    ``floor(m / n)``.

    Ties: when several quantiles fall on one event time (or on time 0) they give one cutpoint,
    so fewer than ``n`` intervals result. A cutpoint at the last event time is dropped as well:
    the interval after it would hold no events. Intervals are never added to make up the number.

    Examples
    --------
    >>> import pandas as pd, bayeshcc as bh
    >>> from bayeshcc.data import quantile_cutpoints
    >>> df = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "d": [1, 1, 1, 1, 1, 1]})
    >>> quantile_cutpoints(bh.SurvivalData.from_frame(df, time="t", event="d"), 3)
    (0.0, 2.0, 4.0)
    """
    what = "quantile_cutpoints"
    if isinstance(data, IntervalData):
        raise DataError(
            f"{what}: IntervalData is a life table and has no event times to take quantiles of; "
            f"give cutpoints explicitly, e.g. the table's own interval starts "
            f"{[float(c) for c in data.cutpoints]} (IntervalData.cutpoints)"
        )
    if not isinstance(data, SurvivalData):
        raise DataError(
            f"{what}: needs patient-level SurvivalData (event times), got {type(data).__name__}"
        )
    if isinstance(n, bool | np.bool_) or not isinstance(n, int | np.integer) or n < 1:
        raise DataError(f"{what}: n (the number of intervals) must be a whole number >= 1, got {n!r}")
    n = int(n)
    frame = data.frame
    times = np.sort(frame["time"].to_numpy()[frame["event"].to_numpy()])
    m = times.size
    if m < n:
        raise DataError(
            f"{what}: {n} intervals need at least {n} events, but the data have {m} "
            f"({data.events_by_arm}); ask for at most {m} intervals"
        )
    ranks = [-(-j * m // n) for j in range(1, n)]  # ceil(j * m / n) in whole numbers
    inner = np.unique(times[np.array(ranks, dtype=int) - 1])
    inner = inner[(inner > 0) & (inner < times[-1])]
    return (0.0, *(float(c) for c in inner))


def quantiles_count(spec: str) -> int:
    """``N`` of a ``"quantiles:N"`` cutpoint spec (SpecError for any other string or N < 1)."""
    match = _QUANTILES.fullmatch(spec)
    if match is None:
        raise SpecError(f"cutpoints: {spec!r} is not a form cutpoints take; expected {_FORMS}")
    n = int(match.group(1))
    if n < 1:
        raise SpecError(f"cutpoints: {spec!r} asks for {n} intervals; expected {_FORMS}")
    return n


def parse_cutpoints(
    spec: Sequence[float] | str, data: SurvivalData | IntervalData | None = None
) -> tuple[float, ...]:
    """Cutpoints from a list of interval starts or from ``"quantiles:N"``.

    Parameters
    ----------
    spec : sequence of float or str
        Interval starts (returned as floats, values unchanged; they must start at 0 and increase),
        or ``"quantiles:N"``, exactly so written with ``N`` a whole number >= 1, for
        :func:`quantile_cutpoints` ``(data, N)``.
    data : SurvivalData, optional
        Needed for ``"quantiles:N"`` only.

    Raises
    ------
    SpecError
        Any other string, ``N < 1``, a value that is not a list of numbers (text, True/False,
        a bare number, a mapping), or a list that is not valid interval starts.
    DataError
        From :func:`quantile_cutpoints`: ``data`` is not patient-level or has fewer than ``N``
        events.

    Examples
    --------
    >>> from bayeshcc.data import parse_cutpoints
    >>> parse_cutpoints([0, 6, 12])
    (0.0, 6.0, 12.0)
    """
    if isinstance(spec, str):
        return quantile_cutpoints(data, quantiles_count(spec))
    if isinstance(spec, np.ndarray) and spec.ndim == 1:
        spec = spec.tolist()
    if isinstance(spec, bytes) or not isinstance(spec, Sequence):
        raise SpecError(f"cutpoints: expected {_FORMS}; got {spec!r}")
    return tuple(float(c) for c in as_cutpoints(spec, error=SpecError))
