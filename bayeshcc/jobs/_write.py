"""Atomic output files: write to a temporary file beside the target, then rename it into place.

A job killed mid-write never leaves a half-written ``summary.csv`` or ``idata.nc``: the file is
either the old one (or absent) or the complete new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from bayeshcc.errors import SpecError

__all__ = ["atomic_write", "output_dir", "save_figure"]


def output_dir(out: str | Path) -> Path:
    """``out`` as a directory, created if missing; SpecError if it is a file or cannot be created."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise SpecError(f"--out {p} is a file; expected a directory for the outputs")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SpecError(f"--out {p}: cannot create the directory ({e.strerror or e})") from None
    return p


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary path in ``path``'s directory, then rename it to ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes it private; outputs are ordinary files
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
    return path


def save_figure(fig, path: Path, *, dpi: int = 120) -> Path:
    """Save a matplotlib figure atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix[1:]))
    finally:
        plt.close(fig)
