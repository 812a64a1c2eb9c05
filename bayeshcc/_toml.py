"""The only place bayeshcc reads TOML (tomllib; no eval, no pickle): spec files and the bundled
dataset registry.

Every problem with a spec is a :class:`~bayeshcc.errors.SpecError` naming the file or the dotted key
path as the user wrote it, and what was expected. (It sits below ``data`` and ``datasets`` in the
import order so the registry can use it; ``specs/`` builds on it.)
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bayeshcc.errors import SpecError

__all__ = ["NUMBER", "check_table", "parse_toml", "read_text", "read_toml"]

#: TOML types accepted for a number.
NUMBER = (int, float)
#: Largest spec file read (a spec is a few kilobytes; anything larger is not a spec).
_MAX_BYTES = 1_000_000


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML spec file.

    Raises
    ------
    SpecError
        The path does not exist, is a directory or not a regular file, is unreadable, is binary
        or not UTF-8, is larger than 1 MB, or is not valid TOML.
    """
    return parse_toml(read_text(path, kind="spec file", max_bytes=_MAX_BYTES), source=str(path))


def read_text(path: str | Path, *, kind: str, field: str = "", max_bytes: int | None = None) -> str:
    """A user's text file (a spec, a data CSV) as UTF-8 text, or a one-line SpecError.

    Parameters
    ----------
    path : path
    kind : str
        What the file should be, for messages ("spec file", "CSV file").
    field : str
        The spec key that named the file (e.g. ``'data.file'``), prefixed to messages.
    max_bytes : int, optional
        Refuse larger files (read no more than this, so a device or huge file cannot exhaust memory).
    """
    p = Path(path)
    head = f"{field}: " if field else ""
    if not p.exists():
        raise SpecError(f"{head}{kind} not found: {p}")
    if p.is_dir():
        raise SpecError(f"{head}{p} is a directory; expected a {kind}")
    if not p.is_file():
        raise SpecError(f"{head}{p} is not a regular file; expected a {kind}")
    try:
        with p.open("rb") as fh:
            raw = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except OSError as e:
        raise SpecError(f"{head}cannot read {p} ({e.strerror or e})") from None
    if max_bytes is not None and len(raw) > max_bytes:
        raise SpecError(f"{head}{p} is larger than {max_bytes:,} bytes; not a {kind}")
    if b"\x00" in raw:
        raise SpecError(f"{head}{p} is a binary file, not a {kind}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(f"{head}{p} is not UTF-8 text (byte {e.start}); save it as UTF-8") from None


def parse_toml(text: str, *, source: str) -> dict[str, Any]:
    """Parse TOML text; bad syntax is a SpecError naming ``source``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{source}: not valid TOML: {e}") from None


def _type_names(types: tuple[type, ...]) -> str:
    names = {int: "integer", float: "number", str: "string", list: "list", dict: "table", bool: "true/false"}
    return " or ".join(dict.fromkeys(names.get(t, t.__name__) for t in types))


def check_table(value: Any, path: str, allowed: dict[str, Any], required: tuple[str, ...] = ()) -> dict:
    """Check one table: known keys, required keys, value types; nested dicts recurse.

    Parameters
    ----------
    value
        The parsed table.
    path : str
        Its dotted path as the user wrote it (``"design.accrual"``; ``""`` for the top level).
    allowed : dict
        Key -> a type, a tuple of types, or a dict (a sub-table checked the same way). A list whose
        type is ``list`` must hold numbers unless the key is in ``allowed['__lists_of_tables__']``.
    required : tuple of str

    Returns
    -------
    dict
        ``value`` itself.
    """
    where = f"'{path}'" if path else "the spec"
    if not isinstance(value, dict):
        raise SpecError(f"{where} must be a table, got {type(value).__name__}")
    tables_of = allowed.get("__lists_of_tables__", ())
    keys = sorted(k for k in allowed if not k.startswith("__"))
    for key, v in value.items():
        name = f"{path}.{key}" if path else key
        if key not in keys:
            raise SpecError(f"unknown key '{name}'; expected one of {keys}")
        kind = allowed[key]
        if isinstance(kind, dict):
            check_table(v, name, kind)
            continue
        types = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(v, types) and not (isinstance(v, bool) and bool not in types)
        if not ok:
            raise SpecError(f"'{name}' must be {_type_names(types)}, got {v!r} ({type(v).__name__})")
        if isinstance(v, list) and key not in tables_of:
            for i, item in enumerate(v):
                if isinstance(item, bool) or not isinstance(item, NUMBER):
                    raise SpecError(f"'{name}[{i}]' must be a number, got {item!r}")
    for key in required:
        if key not in value:
            name = f"{path}.{key}" if path else key
            raise SpecError(f"'{name}' is required")
    return value
