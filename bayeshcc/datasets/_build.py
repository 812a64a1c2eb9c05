"""Helpers shared by the dataset loaders: pick rows of a published-figures table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.datasets.study import PUBLISHED_COLUMNS
from bayeshcc.errors import DataError

DAYS_PER_MONTH = 30.4375  # 365.25 / 12


def published_frame(df: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """Check the columns of a published-figures table and return a clean copy."""
    if list(df.columns) != list(PUBLISHED_COLUMNS):
        raise DataError(f"{what}: columns {list(df.columns)}, expected {list(PUBLISHED_COLUMNS)}")
    return df.reset_index(drop=True)


def select(
    pub: pd.DataFrame, *, endpoint: str, quantity: str, expect: int | None = None, what: str
) -> pd.DataFrame:
    """Rows of ``pub`` for one endpoint and quantity; raise DataError if ``expect`` rows are not found."""
    rows = pub[(pub["endpoint"] == endpoint) & (pub["quantity"] == quantity)]
    if len(rows) == 0 or (expect is not None and len(rows) != expect):
        raise DataError(
            f"{what}: expected {expect or 'some'} row(s) with endpoint={endpoint!r}, "
            f"quantity={quantity!r} in the published figures, found {len(rows)}"
        )
    return rows


def medians(pub: pd.DataFrame, *, endpoint: str, arms: tuple[str, ...], what: str) -> pd.DataFrame:
    """Median rows for ``arms`` (in that order) as ``arm, estimate, lower, upper``."""
    rows = select(pub, endpoint=endpoint, quantity="median", what=what)
    rows = rows[rows["arm_or_contrast"].isin(arms)].set_index("arm_or_contrast")
    missing = [a for a in arms if a not in rows.index]
    if missing:
        raise DataError(f"{what}: no published {endpoint} median for arm(s) {missing}")
    rows = rows.loc[list(arms)]
    return pd.DataFrame(
        {
            "arm": list(arms),
            "estimate": rows["estimate"].to_numpy(dtype=float),
            "lower": rows["lower"].to_numpy(dtype=float),
            "upper": rows["upper"].to_numpy(dtype=float),
        }
    )


def split_contrast(label: str, *, what: str) -> tuple[str, str]:
    """``"A vs B"`` -> ``("A", "B")``."""
    parts = [p.strip() for p in str(label).split(" vs ")]
    if len(parts) != 2 or not all(parts):
        raise DataError(f"{what}: contrast {label!r} is not of the form 'A vs B'")
    return parts[0], parts[1]


def hazard_ratios(rows: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """Published hazard-ratio rows (``arm_or_contrast`` = ``"A vs B"``) in SurvivalSummary form."""
    pairs = [split_contrast(c, what=what) for c in rows["arm_or_contrast"]]
    model = [
        m if not str(t).startswith("<") else f"{m}; P {t} (p_value is the bound)"
        for m, t in zip(rows["model"], rows["p_value_text"], strict=True)
    ]
    return pd.DataFrame(
        {
            "treatment": [p[0] for p in pairs],
            "control": [p[1] for p in pairs],
            "estimate": rows["estimate"].to_numpy(dtype=float),
            "lower": rows["lower"].to_numpy(dtype=float),
            "upper": rows["upper"].to_numpy(dtype=float),
            "p_value": rows["p_value"].to_numpy(dtype=float),
            "model": model,
        }
    )


def landmarks(pub: pd.DataFrame, *, endpoint: str, what: str) -> pd.DataFrame:
    """Published landmark survival (percent) as ``arm, time, survival`` with proportions."""
    rows = select(pub, endpoint=endpoint, quantity="survival", what=what)
    if not (rows["unit"] == "%").all():
        raise DataError(f"{what}: {endpoint} survival rows must be in %")
    return pd.DataFrame(
        {
            "arm": rows["arm_or_contrast"].to_numpy(dtype=object),
            "time": rows["time"].to_numpy(dtype=float),
            "survival": rows["estimate"].to_numpy(dtype=float) / 100.0,
        }
    )


def counts(
    pub: pd.DataFrame, *, endpoint: str, quantity: str, arms: tuple[str, ...], what: str
) -> dict[str, int]:
    """Whole-number published figures (e.g. deaths) per arm."""
    rows = select(pub, endpoint=endpoint, quantity=quantity, what=what)
    rows = rows.set_index("arm_or_contrast")
    out = {}
    for a in arms:
        if a not in rows.index:
            raise DataError(f"{what}: no published {endpoint} {quantity} for arm {a!r}")
        x = float(rows.loc[a, "estimate"])
        if not np.isclose(x, round(x)):
            raise DataError(f"{what}: {endpoint} {quantity} for {a!r} is {x}, not a whole number")
        out[a] = int(round(x))
    return out
