"""On-disk campaigns: fingerprints, manifests and atomically written result files.

A fingerprint is the SHA-256 of a canonical text of an object: dataclass fields (else the
instance's attributes) walked recursively, every number written as its exact float ``repr``, arrays
by their bytes. It never uses ``id()`` or ``hash()``, so it is the same in every process and run.
Names starting with ``_`` are left out: in the design objects they hold caches filled when an
object is used (``LogRank._bounds``, a bound rule's interval label, a batch's derived arrays),
which must not make an identical campaign look different.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from bayeshcc.errors import SpecError

__all__ = [
    "MANIFEST",
    "canonical",
    "check_manifest",
    "fingerprint",
    "manifest",
    "read_json",
    "remove_stale",
    "write_atomic",
    "write_json",
]

MANIFEST = "manifest.json"


def canonical(obj: object) -> str:
    """A deterministic text of ``obj`` (see the module docstring; ``_`` names are skipped)."""
    if obj is None or isinstance(obj, bool | str):
        return repr(obj)
    if isinstance(obj, int | float | np.integer | np.floating):
        return repr(float(obj))
    if isinstance(obj, np.ndarray):
        return f"array({obj.dtype.str}, {obj.shape}, {hashlib.sha256(obj.tobytes()).hexdigest()})"
    if isinstance(obj, np.random.SeedSequence):
        return f"SeedSequence(entropy={obj.entropy!r}, spawn_key={tuple(obj.spawn_key)!r})"
    if isinstance(obj, list | tuple):
        return "[" + ", ".join(canonical(v) for v in obj) + "]"
    if isinstance(obj, Mapping):
        items = sorted((canonical(k), canonical(v)) for k, v in obj.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(obj, set | frozenset):
        return "{" + ", ".join(sorted(canonical(v) for v in obj)) + "}"
    name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if dataclasses.is_dataclass(obj):
        fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if not f.name.startswith("_")}
        return f"{name}{canonical(fields)}"
    if hasattr(obj, "__dict__"):
        return f"{name}{canonical({k: v for k, v in vars(obj).items() if not k.startswith('_')})}"
    slots = [s for c in type(obj).__mro__ for s in getattr(c, "__slots__", ()) if not s.startswith("_")]
    if slots:
        return f"{name}{canonical({s: getattr(obj, s, None) for s in slots})}"
    text = repr(obj)
    if " at 0x" in text:
        raise SpecError(f"cannot fingerprint a {name} (its text names a memory address: {text})")
    return text


def fingerprint(obj: object) -> str:
    """SHA-256 (hex) of :func:`canonical`."""
    return hashlib.sha256(canonical(obj).encode()).hexdigest()


def write_atomic(path: Path, write) -> None:
    """Write a file whole or not at all: ``write(file)`` into a temporary file in the same
    directory, flushed to disk, then renamed over ``path`` (``os.replace``)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale(directory: Path) -> None:
    """Delete temporary files left by a run killed while writing (``.<name>.*.tmp``)."""
    for tmp in directory.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


def read_json(path: Path) -> dict:
    """A JSON file written by :func:`write_atomic`; SpecError naming it if it cannot be read."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise SpecError(f"directory: cannot read {path} ({err}); delete it or use another "
                        "directory") from None


def write_json(path: Path, content: dict) -> None:
    """Write ``content`` as JSON, atomically."""
    text = json.dumps(content, indent=1, sort_keys=True).encode()
    write_atomic(path, lambda f: f.write(text))


def manifest(fields: dict[str, tuple[str, str]], **extra) -> dict:
    """A manifest: per field its fingerprint and a readable text, and the whole's fingerprint."""
    from bayeshcc import __version__

    fields = {"bayeshcc_version": (__version__, __version__), **fields}
    body = {name: {"sha256": sha, "text": text} for name, (sha, text) in fields.items()}
    whole = hashlib.sha256(json.dumps({k: v["sha256"] for k, v in body.items()},
                                      sort_keys=True).encode()).hexdigest()
    return {"format": "bayeshcc-campaign/1", "fingerprint": whole, "fields": body, **extra}


def check_manifest(directory: Path, expected: dict, *, what: str) -> dict | None:
    """The manifest already in ``directory`` if it describes the same work as ``expected``.

    Returns None when there is none; raises SpecError saying what differs otherwise.
    """
    path = directory / MANIFEST
    if not path.exists():
        return None
    found = read_json(path)
    if found.get("format") == expected["format"] and found.get("fingerprint") == expected["fingerprint"]:
        return found
    old, new = found.get("fields", {}), expected["fields"]
    diffs = []
    for name, entry in new.items():
        if old.get(name, {}).get("sha256") != entry["sha256"]:
            was = old.get(name, {}).get("text", "(not recorded)")
            note = " (they print alike but differ beyond the printed digits)" if was == entry["text"] else ""
            diffs.append(f"{name}: the directory holds {_short(was)!r}, this run has "
                         f"{_short(entry['text'])!r}{note}")
    if not diffs:
        diffs.append(f"format: {found.get('format')!r}, expected {expected['format']!r}")
    raise SpecError(
        f"directory: {directory} holds another {what} (its {MANIFEST} differs in "
        f"{', '.join(d.split(':')[0] for d in diffs)}):\n  " + "\n  ".join(diffs)
        + "\nUse another directory for this run, or delete that one to start afresh."
    )


def _short(text: str, width: int = 300) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
