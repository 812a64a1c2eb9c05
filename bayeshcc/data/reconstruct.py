"""Patient-level data reconstructed from published Kaplan-Meier curves (Guyot et al. 2012).

A paper's Kaplan-Meier plot, digitised into ``time, survival`` coordinates, and the numbers-at-risk
table under it determine, approximately, the event and censoring times behind the curve. The
algorithm of Guyot, Ades, Ouwens and Welton (BMC Medical Research Methodology 2012, 12:9) solves for
them interval by interval of the at-risk table: it guesses the number censored in the interval,
spreads the censoring evenly over it, reads the events off the drops of the curve through the
Kaplan-Meier recursion, and adjusts the number censored until the patients left at the next at-risk
time match the table. The last interval has no next count: there the reported total number of
events (when given) fixes the censoring, otherwise the censoring rate of the earlier intervals does.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bayeshcc.data.survival import SurvivalData
from bayeshcc.errors import DataError

__all__ = ["clean_curve", "reconstruct_ipd"]

#: Largest rise of a digitised curve (or excess above 1 / below 0) taken as digitisation noise and
#: cleaned; anything larger is a bad digitisation (DataError naming the point).
NOISE = 0.02


def clean_curve(curve: pd.DataFrame, *, what: str = "curve") -> pd.DataFrame:
    """The usual clean-up of digitised Kaplan-Meier coordinates.

    Sorts by time, clips survival into [0, 1], makes it non-increasing (each point at most the one
    before), and starts the curve at ``(0, 1)``. Rises and excursions outside [0, 1] up to
    :data:`NOISE` (0.02) are digitisation noise and are cleaned; larger ones, negative or
    non-finite times and non-numeric values raise a DataError naming the point.

    Parameters
    ----------
    curve : pandas.DataFrame
        Columns ``time`` and ``survival`` (a proportion, not a percentage).
    what : str
        Name used in messages (e.g. ``"curves['HAIC']"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``time, survival``, index reset.
    """
    if not isinstance(curve, pd.DataFrame) or not {"time", "survival"} <= set(curve.columns):
        raise DataError(f"{what}: expected a DataFrame with columns 'time' and 'survival', got "
                        f"{type(curve).__name__}{'' if not isinstance(curve, pd.DataFrame) else ' with ' + str(list(curve.columns))}")
    df = curve[["time", "survival"]].copy()
    for col in ("time", "survival"):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.astype(float))
        if bad.any() or df[col].dtype == object:
            i = df.index[bad][0] if bad.any() else df.index[0]
            raise DataError(f"{what}: point {i} has {col} {curve.loc[i, col]!r}; expected a finite number")
        df[col] = values.astype(float)
    if len(df) < 2:
        raise DataError(f"{what}: needs at least 2 digitised points, got {len(df)}")
    neg = df["time"] < 0
    if neg.any():
        i = df.index[neg][0]
        raise DataError(f"{what}: point {i} has time {df.loc[i, 'time']:g} < 0")
    if df["survival"].max() > 1.5:
        raise DataError(f"{what}: survival reaches {df['survival'].max():g}; give proportions in [0, 1], "
                        "not percentages")
    out = df[(df["survival"] > 1 + NOISE) | (df["survival"] < -NOISE)]
    if len(out):
        i = out.index[0]
        raise DataError(f"{what}: point {i} (time {df.loc[i, 'time']:g}) has survival "
                        f"{df.loc[i, 'survival']:g}, outside [0, 1] by more than digitisation noise ({NOISE})")
    df = df.sort_values(["time", "survival"], ascending=[True, False], kind="stable")
    s = df["survival"].clip(0.0, 1.0).to_numpy()
    rise = s - np.minimum.accumulate(s)
    if (rise > NOISE).any():
        k = int(np.argmax(rise > NOISE))
        i = df.index[k]
        raise DataError(f"{what}: point {i} (time {df.loc[i, 'time']:g}, survival {s[k]:g}) lies "
                        f"{rise[k]:.3g} above an earlier point; a Kaplan-Meier curve never rises (noise "
                        f"up to {NOISE} is cleaned)")
    df["survival"] = np.minimum.accumulate(s)
    df = df.reset_index(drop=True)
    if df["time"].iloc[0] > 0:
        df = pd.concat([pd.DataFrame({"time": [0.0], "survival": [1.0]}), df], ignore_index=True)
    else:
        df.loc[0, "survival"] = 1.0
    return df


def _check_at_risk(table: pd.DataFrame, curve: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(table, pd.DataFrame) or not {"time", "at_risk"} <= set(table.columns):
        raise DataError(f"{what}: expected a DataFrame with columns 'time' and 'at_risk'")
    if len(table) == 0:
        raise DataError(f"{what}: the at-risk table is empty; expected rows from time 0 on")
    t = pd.to_numeric(table["time"], errors="coerce").to_numpy(float)
    n = pd.to_numeric(table["at_risk"], errors="coerce").to_numpy(float)
    for name, v in (("time", t), ("at_risk", n)):
        bad = ~np.isfinite(v)
        if bad.any():
            i = table.index[bad][0]
            raise DataError(f"{what}: row {i} has {name} {table.loc[i, name]!r}; expected a finite number")
    if (n < 0).any() or (n != np.round(n)).any():
        i = table.index[(n < 0) | (n != np.round(n))][0]
        raise DataError(f"{what}: row {i} has at_risk {n[table.index.get_loc(i)]:g}; expected a whole number >= 0")
    if t[0] != 0 or np.any(np.diff(t) <= 0):
        raise DataError(f"{what}: times must start at 0 and increase, got {t.tolist()}")
    if np.any(np.diff(n) > 0):
        i = table.index[1:][np.diff(n) > 0][0]
        raise DataError(f"{what}: row {i} has more patients at risk ({n[table.index.get_loc(i)]:g}) than "
                        "the row before; numbers at risk never increase")
    if n[0] < 1:
        raise DataError(f"{what}: no patient at risk at time 0")
    beyond = t > curve["time"].iloc[-1]
    if beyond.any():
        raise DataError(f"{what}: at-risk times {t[beyond].tolist()} lie beyond the curve's last point "
                        f"({curve['time'].iloc[-1]:g}); digitise the curve that far or drop those rows")
    return t, n.astype(int)


def _with_points_at(curve: pd.DataFrame, times: np.ndarray) -> pd.DataFrame:
    """Add a point at each at-risk time, on the curve's step (the value of the last point before)."""
    T = curve["time"].to_numpy()
    new = np.setdiff1d(times, T)
    if not new.size:
        return curve
    s = curve["survival"].to_numpy()[np.searchsorted(T, new, side="right") - 1]
    out = pd.concat([curve, pd.DataFrame({"time": new, "survival": s})], ignore_index=True)
    return out.sort_values(["time", "survival"], ascending=[True, False], kind="stable").reset_index(drop=True)


def _reconstruct_arm(curve: pd.DataFrame, t_risk: np.ndarray, n_risk: np.ndarray,
                     total_events: int | None, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Event and censoring times of one arm (Guyot et al. 2012, the published algorithm)."""
    T, S = curve["time"].to_numpy(), curve["survival"].to_numpy()
    m = len(T)
    # lower[i]: first curve point at or after t_risk[i]; upper[i]: last point before t_risk[i + 1]
    lower = np.searchsorted(T, t_risk, side="left")
    upper = np.append(lower[1:] - 1, m - 1)
    n_int = len(t_risk)
    n_hat = np.zeros(m + 1, dtype=float)
    d = np.zeros(m, dtype=int)
    cen = np.zeros(m, dtype=int)
    km_hat = np.ones(m)
    n_censor = np.zeros(n_int, dtype=int)
    cens_times: dict[int, np.ndarray] = {}
    start = n_risk.astype(float).copy()  # patients at risk at each table time, as reconstructed
    last = 0
    n_hat[lower[0]] = n_risk[0]

    def fill(i: int, n_cens: int, last_in: int) -> int:
        lo, hi = lower[i], upper[i]
        cen[lo:hi + 1] = 0
        cens_times[i] = np.empty(0)
        if n_cens > 0:
            right = T[lower[i + 1]] if i + 1 < n_int else T[hi]
            ct = T[lo] + np.arange(1, n_cens + 1) * (right - T[lo]) / (n_cens + 1)
            cen[lo:hi + 1] = np.histogram(ct, bins=np.append(T[lo:hi + 1], np.inf))[0]
            cens_times[i] = ct
        last_k = last_in
        n_hat[lo] = start[i]
        for k in range(lo, hi + 1):
            if k == 0:
                d[k], km_hat[k] = 0, 1.0
            else:
                d[k] = max(0, int(round(n_hat[k] * (1 - S[k] / km_hat[last_k])))) if km_hat[last_k] > 0 else 0
                d[k] = min(d[k], int(max(n_hat[k], 0)))
                km_hat[k] = km_hat[last_k] * (1 - d[k] / n_hat[k]) if n_hat[k] > 0 else km_hat[last_k]
            n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            if d[k] != 0:
                last_k = k
        return last_k

    for i in range(n_int - 1):
        lo, nxt = lower[i], lower[i + 1]
        if nxt <= lo:
            raise DataError(f"{what}: no digitised point between at-risk times {t_risk[i]:g} and "
                            f"{t_risk[i + 1]:g}; digitise the curve there")
        s_lo = S[lo] if S[lo] > 0 else 1.0
        guess = int(round(start[i] * S[nxt] / s_lo - n_risk[i + 1]))
        n_cens = max(guess, 0)
        for _ in range(10 * (n_risk[i] + 1)):
            new_last = fill(i, n_cens, last)
            gap = int(round(n_hat[nxt] - n_risk[i + 1]))
            if gap == 0:
                break
            if n_cens + gap < 0:
                # the curve's drops leave fewer at risk than the table even with no censoring
                # (digitisation noise): as Guyot et al., stop at no censoring and follow the curve,
                # unless the two disagree grossly
                n_cens = 0
                new_last = fill(i, n_cens, last)
                short = n_risk[i + 1] - n_hat[nxt]
                if short > max(2, 0.05 * n_risk[i]):
                    raise DataError(
                        f"{what}: between times {t_risk[i]:g} and {t_risk[i + 1]:g} the curve's drops "
                        f"leave {n_hat[nxt]:g} at risk, {short:g} fewer than the table's {n_risk[i + 1]}, "
                        "even with no censoring; check the at-risk table and the digitised points there")
                start[i + 1] = n_hat[nxt]
                break
            n_cens = n_cens + gap
        else:
            raise DataError(f"{what}: the at-risk count {n_risk[i + 1]} at {t_risk[i + 1]:g} could not be "
                            "matched; check the digitisation")
        n_censor[i] = n_cens
        last = new_last

    # the last interval: censoring fixed by the total events, else at the earlier intervals' rate
    i = n_int - 1
    lo, hi = lower[i], upper[i]
    if n_int > 1 and t_risk[-1] > 0:
        rate = n_censor[:-1].sum() / (t_risk[-1] - t_risk[0])
        n_cens = int(min(round(rate * (T[hi] - T[lo])), n_risk[i]))
    else:
        n_cens = 0
    new_last = fill(i, n_cens, last)
    while n_hat[hi + 1] < 0 and n_cens > 0:  # no more censored than patients left
        n_cens -= 1
        new_last = fill(i, n_cens, last)
    before = int(d[:lo].sum())
    if total_events is not None and before >= total_events:
        # the earlier intervals already hold the reported events (Guyot et al.): none in the last
        # interval, whose patients are all censored there
        new_last = fill(i, int(start[i]), last)
        d[lo:hi + 1] = 0
        cen[lo:hi + 1] = 0
        cens_times[i] = T[lo] + np.arange(1, int(start[i]) + 1) * (T[hi] - T[lo]) / (int(start[i]) + 1)
    elif total_events is not None:
        # censor more while there are too many events, less while too few: the nearest feasible
        # total is kept where the curve's drops cannot give the reported one exactly
        for _ in range(10 * (n_risk[i] + 1)):
            gap = int(d.sum() - total_events)
            step = int(np.sign(gap)) * max(1, abs(gap) // 2)
            if gap == 0 or not 0 <= n_cens + step <= n_risk[i]:
                break
            n_cens += step
            new_last = fill(i, n_cens, last)
            if n_hat[hi + 1] < 0:  # censored more than the patients left: step back
                n_cens -= step
                new_last = fill(i, n_cens, last)
                break
    del new_last
    # event times at the curve points; censoring times spread evenly inside each interval
    times, events = [], []
    for k in range(m):
        times += [T[k]] * int(d[k])
        events += [1] * int(d[k])
    for ct in cens_times.values():
        times += ct.tolist()
        events += [0] * ct.size
    alive = n_risk[0] - len(times)
    if alive < 0:
        raise DataError(f"{what}: the reconstruction produced {len(times)} patients for {n_risk[0]} at risk "
                        "at time 0; check the at-risk table")
    times += [T[-1]] * alive  # still at risk at the curve's end: censored there
    events += [0] * alive
    return np.asarray(times, dtype=float), np.asarray(events, dtype=int)


def reconstruct_ipd(
    curves: Mapping[str, pd.DataFrame],
    at_risk: Mapping[str, pd.DataFrame],
    *,
    total_events: Mapping[str, int] | None = None,
    time_unit: str = "time units",
) -> SurvivalData:
    """Patient-level data behind published Kaplan-Meier curves (Guyot et al. 2012).

    Parameters
    ----------
    curves : mapping of arm -> pandas.DataFrame
        Digitised coordinates ``time, survival`` of each arm's curve (proportions). They are cleaned
        first (:func:`clean_curve`): sorted, clipped into [0, 1], made non-increasing, started at
        (0, 1); errors larger than digitisation noise raise a DataError naming the point.
        Digitise the corners of the steps (both ends of each drop) for the closest reconstruction.
    at_risk : mapping of arm -> pandas.DataFrame
        The numbers-at-risk table under the plot: ``time, at_risk``, starting at time 0 (the arm's
        number of patients).
    total_events : mapping of arm -> int, optional
        Reported events per arm; fixes the censoring in the last interval of the table (without
        it, the last interval is censored at the earlier intervals' rate). Where the curve's
        drops cannot give exactly that total, the nearest feasible one is kept.
    time_unit : str

    Returns
    -------
    SurvivalData
        One row per reconstructed patient: events at the curve's drop times, censoring spread
        evenly within each interval; patients still at risk at the curve's end are censored there.

    Notes
    -----
    Each at-risk time gets a curve point (on the step) if it has none. For each interval
    ``[t_i, t_{i+1})`` of the at-risk table the number censored is guessed from
    the curve, ``n_i S(t_{i+1}) / S(t_i) - n_{i+1}``, spread evenly over the interval; the events at
    each digitised point follow from the Kaplan-Meier recursion
    ``d_k = round(n_k (1 - S_k / S_last))``; the number censored is then corrected by the mismatch
    between the patients left at ``t_{i+1}`` and the table's ``n_{i+1}`` until they agree. The
    result is an approximation: event times are only as precise as the digitisation, and censoring
    is assumed uniform within each interval of the at-risk table.

    Examples
    --------
    >>> ipd = bh.data.reconstruct_ipd({"A": curve_a, "B": curve_b}, {"A": risk_a, "B": risk_b})  # doctest: +SKIP
    """
    if not isinstance(curves, Mapping) or not curves:
        raise DataError("curves: expected a mapping of arm name -> DataFrame(time, survival)")
    if not isinstance(at_risk, Mapping) or set(at_risk) != set(curves):
        got = sorted(map(str, at_risk)) if isinstance(at_risk, Mapping) else type(at_risk).__name__
        raise DataError(f"at_risk: expected a table for each arm of curves {sorted(map(str, curves))}, got {got}")
    if total_events is not None:
        if not isinstance(total_events, Mapping) or not set(total_events) <= set(curves):
            raise DataError(f"total_events: expected a mapping of arm -> events for arms of curves "
                            f"{sorted(map(str, curves))}, got {total_events!r}")
        for arm, e in total_events.items():
            if isinstance(e, bool) or not isinstance(e, int | np.integer) or e < 0:
                raise DataError(f"total_events[{arm!r}]: expected a whole number >= 0, got {e!r}")
    frames = []
    for arm, raw in curves.items():
        curve = clean_curve(raw, what=f"curves[{arm!r}]")
        t, n = _check_at_risk(at_risk[arm], curve, what=f"at_risk[{arm!r}]")
        curve = _with_points_at(curve, t)
        events = None if total_events is None else total_events.get(arm)
        if events is not None and events > n[0]:
            raise DataError(f"total_events[{arm!r}]: {events} events for {n[0]} patients")
        times, ev = _reconstruct_arm(curve, t, n, events, what=f"arm {arm!r}")
        frames.append(pd.DataFrame({"time": times, "event": ev, "arm": str(arm)}))
    frame = pd.concat(frames, ignore_index=True)
    return SurvivalData.from_frame(frame, time="time", event="event", arm="arm",
                                   arms=[str(a) for a in curves], time_unit=time_unit)
