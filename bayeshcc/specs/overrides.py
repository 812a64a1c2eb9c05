"""``--set KEY=VALUE`` overrides of a spec's fields, applied to the parsed TOML before validation.

``KEY`` is the dotted path of the field as the spec writes it (``design.n_patients``,
``simulation.n_trials``, ``design.analyses[1].events``); ``VALUE`` is a TOML value (``400``,
``0.7``, ``[1.0, 0.6]``, ``"dask"``, ``{ method = "power", a0 = 0.5 }``) or, when it does not parse
as one, a bare string. In a spec with a list of scenarios (``[[scenarios]]``), ``scenario.KEY``
sets ``KEY`` in every scenario that fixes it (design priors from a fitted study are left alone, and so
is a hand-written prior for the key it draws, e.g. ``hazard_ratio`` beside ``log_hr``) and
``scenarios.NAME.KEY`` (or ``scenarios[i].KEY``) in one.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Sequence
from typing import Any

from bayeshcc.errors import SpecError

__all__ = ["apply_overrides", "parse_value"]

_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_ -]*)((?:\[\d+\])*)$")


def parse_value(text: str) -> Any:
    """A TOML value (number, boolean, string, array, inline table), else the text itself."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _split(key: str, option: str) -> list[str | int]:
    path: list[str | int] = []
    for part in key.split("."):
        m = _PART.match(part.strip())
        if not m:
            raise SpecError(f"{option} {key!r}: expected a dotted key such as design.n_patients or design.analyses[1].events")
        path.append(m.group(1).strip())
        path.extend(int(i) for i in re.findall(r"\[(\d+)\]", m.group(2)))
    return path


def _set(node: Any, path: list[str | int], value: Any, key: str, option: str) -> None:
    for i, step in enumerate(path[:-1]):
        where = ".".join(str(p) for p in path[: i + 1])
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise SpecError(f"{option} {key!r}: {where} does not exist (the spec has {size} entries)")
            node = node[step]
        else:
            if not isinstance(node, dict):
                raise SpecError(f"{option} {key!r}: {where} is not a table in the spec")
            node = node.setdefault(step, {})
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise SpecError(f"{option} {key!r}: entry {last} does not exist")
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SpecError(f"{option} {key!r}: the parent of {last!r} is not a table in the spec")


#: Keys a design prior draws (or takes from its source) rather than fixes.
_DRAWN = {"hazard_ratio": ("log_hr", "from_fit"), "response_rates": ("from_fit",)}


def _takes(entry: dict, key: object) -> bool:
    """Whether ``scenario.KEY`` applies to this ``[[scenarios]]`` entry: not a design prior from a fitted
    study (its truths come from the fit), and not a hand-written prior for the key it draws."""
    if "from_fit" in entry:
        return False
    if key == "response_rates" and any(isinstance(v, dict) for v in (entry.get("response_rates") or {}).values()):
        return False
    return not any(k in entry for k in _DRAWN.get(key, ()))


def apply_overrides(raw: dict[str, Any], sets: Sequence[str], *, option: str = "--set") -> dict[str, Any]:
    """A copy of the parsed spec ``raw`` with every ``KEY=VALUE`` of ``sets`` applied in order.

    Raises
    ------
    SpecError
        An override without ``=``, a malformed key, a path through a value that is not a table,
        or a scenario name the spec does not have. Unknown keys are left to the spec reader,
        which names them and lists the allowed ones.
    """
    out = copy.deepcopy(raw)
    for item in sets:
        if "=" not in item:
            raise SpecError(f"{option} {item!r}: expected KEY=VALUE, e.g. scenario.hazard_ratio=1.0")
        key, text = (s.strip() for s in item.split("=", 1))
        value = parse_value(text)
        path = _split(key, option)
        if path[0] == "scenario" and isinstance(out.get("scenarios"), list):
            takers = [e for e in out["scenarios"] if isinstance(e, dict) and _takes(e, path[1])]
            if not takers:
                names = [e.get("name") for e in out["scenarios"] if isinstance(e, dict)]
                raise SpecError(f"{option} {key!r}: no scenario of {names} takes {path[1]!r}; set one with "
                                f"scenarios.NAME.{'.'.join(str(p) for p in path[1:])}=...")
            for entry in takers:
                _set(entry, path[1:], copy.deepcopy(value), key, option)
            continue
        if path[0] == "scenarios" and len(path) > 2 and isinstance(path[1], str):
            named = [s for s in out.get("scenarios", []) if isinstance(s, dict) and s.get("name") == path[1]]
            if not named:
                have = [s.get("name") for s in out.get("scenarios", []) if isinstance(s, dict)]
                raise SpecError(f"{option} {key!r}: no scenario named {path[1]!r}; the spec has {have}")
            _set(named[0], path[2:], value, key, option)
            continue
        if len(path) == 1:
            out[path[0]] = value
        else:
            _set(out, path, value, key, option)
    return out
