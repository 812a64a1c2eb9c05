"""Random streams: one ``SeedSequence`` child per block of trials, and draws made block by block.

Every random number of a simulated trial comes from its block's stream, so results are identical
for any chunk size or number of workers. Used by the simulator and by the closed-form posteriors'
Monte Carlo quantities (:mod:`bayeshcc.conjugate`).
"""

from __future__ import annotations

import numpy as np

from bayeshcc.errors import SpecError

__all__ = [
    "TRIALS_PER_STREAM",
    "BlockRNG",
    "blocks",
    "chunk_rng",
    "seed_sequence",
    "stream",
]

#: Trials per random stream. Results are identical for any chunk size that is a multiple of it.
TRIALS_PER_STREAM = 250


class BlockRNG:
    """Random draws for a chunk of trials, each block of trials from its own generator.

    Every draw is made block by block with shape ``(block size, *shape)`` and concatenated along the
    trial axis, so a trial's numbers depend only on its block's stream and the order of calls.
    """

    def __init__(self, generators: list[np.random.Generator], sizes: list[int]) -> None:
        self.generators = generators
        self.sizes = sizes

    def __getattr__(self, method: str):
        if method.startswith("__"):
            raise AttributeError(method)

        def draw(*shape: int, **kwargs) -> np.ndarray:
            return np.concatenate(
                [
                    getattr(g, method)(size=(s, *shape), **kwargs)
                    for g, s in zip(self.generators, self.sizes, strict=True)
                ]
            )

        return draw


def seed_sequence(seed: int | np.random.SeedSequence | np.random.Generator) -> np.random.SeedSequence:
    """The root ``SeedSequence`` of a run.

    A Generator is advanced (a child stream is spawned from it), so successive calls with one
    generator give fresh streams and the same generator state gives the same streams.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return seed.spawn(1)[0].bit_generator.seed_seq
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0:
        return np.random.SeedSequence(int(seed))
    raise SpecError(f"seed: expected a non-negative integer, SeedSequence or Generator, got {seed!r}")


def stream(root: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """The ``SeedSequence`` of block ``index`` of a run: the root's child with key ``index``."""
    return np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, index), pool_size=root.pool_size
    )


def blocks(n_trials: int) -> list[tuple[int, int]]:
    """``(index, size)`` of every block of a run of ``n_trials`` trials (the last may be short)."""
    n = -(-n_trials // TRIALS_PER_STREAM)
    return [(i, min(TRIALS_PER_STREAM, n_trials - i * TRIALS_PER_STREAM)) for i in range(n)]


def chunk_rng(root: np.random.SeedSequence, chunk: list[tuple[int, int]]) -> BlockRNG:
    """The BlockRNG of a chunk given as ``(index, size)`` blocks (see :func:`blocks`)."""
    return BlockRNG(
        [np.random.Generator(np.random.PCG64(stream(root, i))) for i, _ in chunk],
        [size for _, size in chunk],
    )


