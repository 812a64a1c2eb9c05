"""Published summary evidence for a survival endpoint: medians, hazard ratios, landmark rates."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bayeshcc.data._checks import (
    label_column,
    label_key,
    require_columns,
    require_count,
    require_finite_nonnegative,
    require_numeric,
)
from bayeshcc.errors import DataError, format_rows

__all__ = ["SurvivalSummary"]

MEDIAN_COLUMNS = ("arm", "estimate", "lower", "upper")
HR_COLUMNS = ("treatment", "control", "estimate", "lower", "upper", "p_value", "model")
LANDMARK_COLUMNS = ("arm", "time", "survival")


@dataclass(frozen=True, eq=False)
class SurvivalSummary:
    """What a publication reports about a survival endpoint, without patient data.

    Parameters
    ----------
    endpoint : str
        E.g. ``"OS"``, ``"PFS"``, ``"SPP"``.
    medians : pandas.DataFrame
        Columns ``arm, estimate, lower, upper`` (NaN where the paper gives no interval). A median
        or limit that was not reached is given as ``"NR"`` or ``"not reached"`` (any case) or
        ``inf`` and stored as ``inf``; in a column holding such text, the other entries may be
        numbers written as text (``"7.8"``), as a CSV reader leaves them.
    hazard_ratios : pandas.DataFrame, optional
        Columns ``treatment, control, estimate, lower, upper, p_value, model``.
    landmarks : pandas.DataFrame, optional
        Columns ``arm, time, survival`` (proportions in [0, 1], Kaplan-Meier estimates unless
        the notes say otherwise).
    n, events : mapping of arm -> int, optional
        Patients and events per arm: whole numbers (``int``), ``n > 0``, ``events >= 0`` and
        ``events <= n``; each key an arm named in the medians, landmarks or hazard ratios.
        Stored as a new ``dict`` keyed by the arm labels as text.
    time_unit : str
    notes : str
    follow_up : float, optional
        The longest follow-up of the study (e.g. from its dates): the latest time its estimates
        speak of (``horizon``). Without it, the horizon is the largest landmark, median or
        median limit reported.

    Raises
    ------
    DataError
        Missing columns, a non-numeric value (other than a not-reached median), a negative
        median, lower > estimate > upper, a missing or non-positive HR estimate, an HR of an arm
        against itself, p-values outside [0, 1], missing or negative landmark times, landmark
        survival outside [0, 1] or increasing over time; missing or blank arm labels, an arm with
        two medians or two landmarks at one time, one arm spelt two ways (``"HAIC"`` and
        ``"HAIC "``, anywhere in the summary); ``n`` or ``events`` not a mapping, with a key that
        is not an arm, or a value that is not a whole number in range (``events > n`` included).
    """

    endpoint: str
    medians: pd.DataFrame
    hazard_ratios: pd.DataFrame | None = None
    landmarks: pd.DataFrame | None = None
    n: Mapping[str, int] | None = None
    events: Mapping[str, int] | None = None
    time_unit: str = "time units"
    notes: str = ""
    follow_up: float | None = None
    _: None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        what = f"SurvivalSummary({self.endpoint})"
        fu = self.follow_up
        if fu is not None and (isinstance(fu, bool) or not isinstance(fu, int | float) or not np.isfinite(fu)
                               or fu <= 0):
            raise DataError(f"{what}: follow_up must be a finite number > 0, got {fu!r}")
        require_columns(self.medians, MEDIAN_COLUMNS, what=f"{what}.medians")
        med = self.medians.loc[:, list(MEDIAN_COLUMNS)].copy()
        for c in ("estimate", "lower", "upper"):
            med[c] = _median_column(med, c, what=f"{what}.medians")
        labels = {"medians": label_column(med, "arm", what=f"{what}.medians")}
        _no_repeats(med, labels["medians"], what=f"{what}.medians", expected="one median per arm")
        object.__setattr__(self, "medians", med)
        _check_interval(self.medians, what=f"{what}.medians")
        if self.hazard_ratios is not None:
            require_columns(self.hazard_ratios, HR_COLUMNS, what=f"{what}.hazard_ratios")
            hr = self.hazard_ratios.loc[:, list(HR_COLUMNS)].copy()
            for c in ("estimate", "lower", "upper", "p_value"):
                hr[c] = require_numeric(hr, c, what=f"{what}.hazard_ratios")
            for c in ("treatment", "control"):
                labels[f"hazard_ratios '{c}'"] = label_column(hr, c, what=f"{what}.hazard_ratios")
            same = labels["hazard_ratios 'treatment'"] == labels["hazard_ratios 'control'"]
            if same.any():
                raise DataError(
                    f"{what}.hazard_ratios: treatment and control are the same arm in "
                    f"{format_rows(hr.index[same])}; a hazard ratio compares two arms"
                )
            object.__setattr__(self, "hazard_ratios", hr)
            _check_interval(hr, what=f"{what}.hazard_ratios")
            est = hr["estimate"].to_numpy(dtype=float)
            nonpos = ~np.isfinite(est) | (est <= 0)
            if nonpos.any():
                raise DataError(
                    f"{what}.hazard_ratios: column 'estimate' must be a finite number > 0; found "
                    f"{', '.join(repr(float(v)) for v in est[nonpos][:3])} in "
                    f"{format_rows(hr.index[nonpos])}"
                )
            p = hr["p_value"].to_numpy(dtype=float)
            badp = (p < 0) | (p > 1)
            if badp.any():
                raise DataError(
                    f"{what}.hazard_ratios: column 'p_value' must be in [0, 1] "
                    f"({format_rows(hr.index[badp])})"
                )
        if self.landmarks is not None:
            require_columns(self.landmarks, LANDMARK_COLUMNS, what=f"{what}.landmarks")
            lm = self.landmarks.loc[:, list(LANDMARK_COLUMNS)].copy()
            lm["time"] = require_finite_nonnegative(lm, "time", what=f"{what}.landmarks")
            lm["survival"] = require_numeric(lm, "survival", what=f"{what}.landmarks")
            labels["landmarks"] = label_column(lm, "arm", what=f"{what}.landmarks")
            _no_repeats(lm, [*zip(labels["landmarks"], lm["time"], strict=True)],
                        what=f"{what}.landmarks", expected="one survival value per arm and time")
            object.__setattr__(self, "landmarks", lm)
            s = lm["survival"].to_numpy(dtype=float)
            bad = (s < 0) | (s > 1) | np.isnan(s)
            if bad.any():
                raise DataError(
                    f"{what}.landmarks: column 'survival' must be a proportion in [0, 1] "
                    f"({format_rows(lm.index[bad])})"
                )
            for a, sub in lm.groupby("arm", sort=False):
                sub = sub.sort_values("time")
                inc = np.diff(sub["survival"].to_numpy(dtype=float)) > 0
                if inc.any():
                    raise DataError(
                        f"{what}.landmarks: survival for arm '{a}' increases over time "
                        f"({format_rows(sub.index[1:][inc])})"
                    )
        _one_spelling(labels, what=what)
        arms = list(dict.fromkeys(a for v in labels.values() for a in v))
        counts = {}
        for name in ("n", "events"):
            mapping = getattr(self, name)
            if mapping is not None:
                counts[name] = _count_mapping(mapping, name, arms, what=what)
                object.__setattr__(self, name, counts[name])
        for a, d in counts.get("events", {}).items():
            if a in counts.get("n", {}) and d > counts["n"][a]:
                raise DataError(
                    f"{what}: events[{a!r}] = {d} exceeds n[{a!r}] = {counts['n'][a]}; an arm "
                    "cannot have more events than patients"
                )

    @property
    def arms(self) -> tuple[str, ...]:
        """Arms named in the medians table."""
        return tuple(dict.fromkeys(self.medians["arm"].astype(str)))

    @property
    def horizon(self) -> dict[str, float]:
        """Per arm, the latest time the summary speaks of: ``follow_up`` if given, else the largest
        landmark, median or median limit."""
        if self.follow_up is not None:
            return {a: float(self.follow_up) for a in self._all_arms()}
        out: dict[str, float] = {}
        for r in self.medians.itertuples():
            vals = [v for v in (r.estimate, r.upper) if np.isfinite(v)]
            if vals:
                out[str(r.arm)] = max(out.get(str(r.arm), 0.0), *vals)
        if self.landmarks is not None:
            for a, t in self.landmarks.groupby("arm", sort=False)["time"].max().items():
                out[str(a)] = max(out.get(str(a), 0.0), float(t))
        return out

    def _all_arms(self) -> list[str]:
        arms = list(self.medians["arm"].astype(str))
        if self.landmarks is not None:
            arms += list(self.landmarks["arm"].astype(str))
        if self.hazard_ratios is not None:
            arms += list(self.hazard_ratios["treatment"].astype(str)) + list(self.hazard_ratios["control"].astype(str))
        return list(dict.fromkeys(arms))

    def evidence(self) -> list:
        """The summary as likelihood evidence (:mod:`bayeshcc.data.evidence`).

        Hazard ratios (with their interval, or their p-value) become
        :class:`~bayeshcc.data.evidence.HazardRatioEvidence`; medians
        :class:`~bayeshcc.data.evidence.MedianEvidence` (with their interval, or with ``n`` of the
        arm); landmarks :class:`~bayeshcc.data.evidence.LandmarkEvidence` (with ``n`` of the arm).

        Raises
        ------
        DataError
            A median not reached (it bounds the median from below only, by a follow-up the summary
            does not give), or a median or landmark whose precision is unknown (no interval and no
            ``n`` for its arm): nothing is dropped silently.
        """
        from bayeshcc.data.evidence import HazardRatioEvidence, LandmarkEvidence, MedianEvidence

        what = f"SurvivalSummary({self.endpoint})"
        n = self.n or {}
        out: list = []
        if self.hazard_ratios is not None:
            for r in self.hazard_ratios.itertuples():
                ci = np.isfinite(r.lower) and np.isfinite(r.upper)
                out.append(HazardRatioEvidence(
                    treatment=str(r.treatment), control=str(r.control), estimate=float(r.estimate),
                    lower=float(r.lower) if ci else None, upper=float(r.upper) if ci else None,
                    p_value=None if ci or not np.isfinite(r.p_value) else float(r.p_value)))
        for r in self.medians.itertuples():
            arm = str(r.arm)
            if not np.isfinite(r.estimate):
                raise DataError(f"{what}: the median of {arm!r} was not reached; it only bounds the median "
                                "from below, by a follow-up the summary does not give; leave it out or give "
                                "landmarks instead")
            ci = np.isfinite(r.lower) and np.isfinite(r.upper)
            if not ci and arm not in n:
                raise DataError(f"{what}: the median of {arm!r} has no interval and the summary gives no n "
                                "for that arm, so its precision is unknown; give n or the interval")
            out.append(MedianEvidence(arm, float(r.estimate), lower=float(r.lower) if ci else None,
                                      upper=float(r.upper) if ci else None, n=None if ci else n[arm],
                                      follow_up=self.follow_up))
        if self.landmarks is not None:
            for arm, sub in self.landmarks.groupby("arm", sort=False):
                if str(arm) not in n:
                    raise DataError(f"{what}: landmarks of {arm!r} need n for that arm (patients at the start)")
                sub = sub.sort_values("time")
                sub = sub[sub["time"] > 0]  # S(0) = 1 says nothing
                flat = np.diff(np.r_[1.0, sub["survival"].to_numpy(float)]) >= 0
                if flat.any():
                    raise DataError(f"{what}: landmarks of {arm!r} do not fall at time(s) "
                                    f"{sub['time'].to_numpy()[flat].tolist()}; the landmark likelihood needs survival "
                                    "to decrease between landmarks: drop the repeated value")
                out.append(LandmarkEvidence(str(arm), tuple(sub["time"]), tuple(sub["survival"]), n=n[str(arm)],
                                            follow_up=self.follow_up))
        return out

    def __repr__(self) -> str:
        meds = "; ".join(
            f"{r.arm} median {_fmt(r.estimate)}"
            + ("" if np.isnan(r.lower) else f" ({_fmt(r.lower)}-{_fmt(r.upper)})")
            for r in self.medians.itertuples()
        )
        return f"SurvivalSummary({self.endpoint}: {meds} {self.time_unit})"


def _check_interval(df: pd.DataFrame, *, what: str) -> None:
    est = df["estimate"].to_numpy(dtype=float)
    lo = df["lower"].to_numpy(dtype=float)
    hi = df["upper"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = (lo > est) | (est > hi)
    if bad.any():
        raise DataError(
            f"{what}: need lower <= estimate <= upper; not so in {format_rows(df.index[bad])}"
        )


def _no_repeats(df: pd.DataFrame, keys: list, *, what: str, expected: str) -> None:
    dup = pd.Series(list(keys), dtype=object).duplicated(keep=False).to_numpy()
    if dup.any():
        shown = list(dict.fromkeys(k for k, d in zip(keys, dup, strict=True) if d))
        raise DataError(
            f"{what}: {shown} repeated in {format_rows(df.index[dup])}; expected {expected}"
        )


def _count_mapping(mapping: object, name: str, arms: list[str], *, what: str) -> dict[str, int]:
    """``n`` or ``events``: arm -> whole number, keyed by arm labels as text."""
    if not isinstance(mapping, Mapping):
        example = (arms or ["A"])[0]
        raise DataError(
            f"{what}: {name} must be a mapping of arm -> whole number (e.g. {{{example!r}: 55}}), "
            f"got {mapping!r}"
        )
    out: dict[str, int] = {}
    for k, v in mapping.items():
        if str(k) in out:
            raise DataError(f"{what}: {name} has two keys that read as {str(k)!r}")
        if str(k) not in arms:
            raise DataError(
                f"{what}: {name} has key {k!r}, which is not an arm of the summary (arms: {arms}); "
                "spell each key as the arm is spelt in the tables"
            )
        out[str(k)] = require_count(v, name=f"{name}[{k!r}]", what=what, zero=name == "events")
    return out


def _one_spelling(labels: Mapping[str, np.ndarray], *, what: str) -> None:
    """DataError if one arm is spelt two ways across the tables (``"HAIC"`` and ``"haic "``)."""
    places: dict[str, dict[str, list[str]]] = {}
    for table, values in labels.items():
        for a in dict.fromkeys(values):
            places.setdefault(label_key(a), {}).setdefault(a, []).append(table)
    for spellings in places.values():
        if len(spellings) > 1:
            where = " and ".join(f"{a!r} (in {', '.join(t)})" for a, t in spellings.items())
            raise DataError(
                f"{what}: arm labels {where} differ only in case or spacing; they would be "
                "taken as different arms. Use one spelling per arm"
            )


NOT_REACHED = ("nr", "not reached", "inf", "infinity")


def _fmt(x: float) -> str:
    return "NR" if np.isposinf(x) else f"{x:g}"


def _median_column(df: pd.DataFrame, column: str, *, what: str) -> np.ndarray:
    """Medians (or limits) as float: ``inf`` for not reached, NaN for not given; DataError else."""
    values = df[column].to_numpy(dtype=object)
    out = np.full(len(values), np.nan)
    bad = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        if isinstance(v, str):
            text = v.strip().lower()
            if text in NOT_REACHED:
                out[i] = np.inf
                continue
            try:
                v = float(text)
            except ValueError:
                bad[i] = True
                continue
        if isinstance(v, bool | np.bool_) or not (v is None or v is pd.NA or isinstance(v, numbers.Real)):
            bad[i] = True
        elif v is not None and v is not pd.NA:
            out[i] = float(v)
    bad |= (out < 0) | np.isneginf(out)
    if bad.any():
        examples = ", ".join(list(dict.fromkeys(repr(v) for v in values[bad]))[:3])
        raise DataError(
            f"{what}: column '{column}' must hold times >= 0, NaN where not given, or 'NR' / "
            f"'not reached' / inf for a median not reached; found {examples} in "
            f"{format_rows(df.index[bad])}"
        )
    return out
