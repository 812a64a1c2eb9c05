"""Recycled buffers: never handed out while in use, reused once free, bounded."""

import numpy as np
import pytest

from bayeshcc.design import _scratch


@pytest.fixture(autouse=True)
def empty_pool(monkeypatch):
    monkeypatch.setattr(_scratch._pool, "buffers", [])


def test_a_buffer_in_use_is_never_handed_out_again():
    a = _scratch.empty((400, 300))
    a.fill(1.0)
    b = _scratch.empty((400, 300))
    assert not np.shares_memory(a, b)
    view = b[:, :5]  # a view keeps its buffer in use
    del b
    c = _scratch.empty((400, 300))
    assert not np.shares_memory(view, c) and not np.shares_memory(a, c)
    assert np.all(a == 1.0)


def test_a_free_buffer_is_reused_for_any_dtype_that_fits():
    a = _scratch.empty((400, 300))
    address = a.__array_interface__["data"][0]
    del a
    b = _scratch.empty((400, 300), np.int64)
    assert b.__array_interface__["data"][0] == address and b.dtype == np.int64
    del b
    c = _scratch.full((300, 300), 2.5)  # smaller, within a factor 2: same buffer
    assert c.__array_interface__["data"][0] == address and np.all(c == 2.5)
    assert len(_scratch._pool.buffers) == 1


def test_small_arrays_are_not_pooled_and_the_pool_is_bounded(monkeypatch):
    _scratch.empty((10, 10))
    assert _scratch._pool.buffers == []
    monkeypatch.setattr(_scratch, "MAX_BYTES", 3 * 400 * 300 * 8)
    kept = [_scratch.empty((400, 300)) for _ in range(5)]
    assert len(_scratch._pool.buffers) == 3  # the rest came from numpy
    assert len({x.__array_interface__["data"][0] for x in kept}) == 5
    del kept
    # Free buffers are dropped, largest first, to make room for a larger one.
    big = _scratch.empty((800, 300))
    assert big.nbytes in [b.nbytes for b in _scratch._pool.buffers]
    assert sum(b.nbytes for b in _scratch._pool.buffers) <= _scratch.MAX_BYTES
