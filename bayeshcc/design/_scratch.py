"""Recycled memory for the simulator's large ``(trial, patient)`` arrays.

A chunk of trials makes a dozen arrays of a few MB each, and freed memory of that size goes back to
the operating system, so the next chunk faults every page in again: measured, that was about 40% of
the simulator's time. :func:`empty` hands out arrays backed by buffers kept for reuse (per thread).
A buffer is handed out again only when no array refers to it any more (its reference count is back
to the pool's own), so reuse never changes a value that is still in use; the arrays behave like
``np.empty``'s (uninitialised). Small arrays come from numpy as usual.
"""

from __future__ import annotations

import math
import sys
import threading

import numpy as np

__all__ = ["MAX_BYTES", "MIN_BYTES", "empty", "full"]

#: Arrays smaller than this come from ``np.empty`` (the allocator keeps such memory anyway).
MIN_BYTES = 128 * 1024
#: Most memory kept for reuse, per thread; beyond it arrays come from ``np.empty``.
MAX_BYTES = 64 * 1024 * 1024


class _Pool(threading.local):
    def __init__(self) -> None:
        self.buffers: list[np.ndarray] = []


_pool = _Pool()


def _free(buffers: list[np.ndarray], i: int) -> bool:
    # Free when the only references are the pool's list and getrefcount's argument.
    return sys.getrefcount(buffers[i]) == 2


def empty(shape: tuple[int, ...], dtype: np.dtype | type = np.float64) -> np.ndarray:
    """An uninitialised array of ``shape`` and ``dtype`` (C order), from a recycled buffer."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    buffers = _pool.buffers
    best = -1
    for i in range(len(buffers)):
        # the smallest free buffer that fits without wasting more than half of it
        size = buffers[i].nbytes
        if nbytes <= size <= 2 * nbytes and (best < 0 or size < buffers[best].nbytes) and _free(buffers, i):
            best = i
    if best >= 0:
        return buffers[best][:nbytes].view(dtype).reshape(shape)
    held = sum(b.nbytes for b in buffers)
    for i in sorted(range(len(buffers)), key=lambda i: -buffers[i].nbytes):
        if held + nbytes <= MAX_BYTES:
            break
        if _free(buffers, i):  # make room: drop free buffers, largest first
            held -= buffers[i].nbytes
            buffers[i] = None
    buffers[:] = [b for b in buffers if b is not None]
    buf = np.empty(nbytes, dtype=np.uint8)
    if held + nbytes <= MAX_BYTES:
        buffers.append(buf)
    return buf[:nbytes].view(dtype).reshape(shape)


def full(shape: tuple[int, ...], value: float, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """An array of ``shape`` filled with ``value``, from a recycled buffer."""
    out = empty(shape, dtype)
    out.fill(value)
    return out
