"""Block-by-block random draws written into one preallocated array.

:class:`~bayeshcc._random.BlockRNG` draws each block of trials and concatenates; for the large
``(trial, patient)`` arrays of the simulator that copy is a measurable share of the work, so
:func:`draw` lets each block's generator write straight into its rows. The numbers are the same
(each generator fills its own rows with the same calls, in the same order). The array comes from
:mod:`bayeshcc.design._scratch` (recycled memory).
"""

from __future__ import annotations

import numpy as np

from bayeshcc.design import _scratch

__all__ = ["draw"]


def draw(rng, method: str, *shape: int) -> np.ndarray:
    """``rng.<method>(*shape)``, shape ``(trial, *shape)``, each block's rows filled in place.

    ``method`` is a float64 Generator method that takes ``out=`` (``"standard_exponential"``,
    ``"random"``); any other ``rng`` (a test's fake) is called as ``rng.<method>(*shape)``.
    """
    generators, sizes = getattr(rng, "generators", None), getattr(rng, "sizes", None)
    if generators is None or sizes is None:
        return getattr(rng, method)(*shape)
    out = _scratch.empty((sum(sizes), *shape))
    lo = 0
    for g, size in zip(generators, sizes, strict=True):
        getattr(g, method)(out=out[lo : lo + size])
        lo += size
    return out
