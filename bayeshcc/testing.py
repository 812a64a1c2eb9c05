"""Helpers for tests and examples: fake posteriors with known answers, small synthetic datasets.

Nothing here samples; it builds result objects from given draws so that downstream code
(comparisons, plots) can be checked against closed-form answers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = ["fake_fit", "fake_survival_fit", "life_table", "mock_sample", "random_patients", "simulate_ae_table"]


def fake_survival_fit(
    hazard: np.ndarray,
    *,
    cutpoints: Sequence[float],
    data,
    arms: Sequence[str] | None = None,
    effect: str = "per_arm",
):
    """A :class:`bayeshcc.SurvivalFit` whose posterior is the given hazard draws.

    Parameters
    ----------
    hazard : numpy.ndarray
        Draws of shape ``(chain, draw, arm, interval)``.
    cutpoints : sequence of float
    data : SurvivalData or IntervalData
        Supplies arms, horizons and time unit.
    arms : sequence of str, optional
        Arm order of ``hazard`` (default ``data.arms``).
    effect : {"per_arm", "proportional"}
    """
    import arviz as az

    from bayeshcc.models import PiecewiseExponential
    from bayeshcc.models._survival import interval_labels
    from bayeshcc.results.survival import SurvivalFit

    arms = tuple(arms) if arms is not None else tuple(data.arms)
    model = PiecewiseExponential(cutpoints=cutpoints, effect=effect, control=arms[0])
    h = np.asarray(hazard, dtype=float)
    da = xr.DataArray(
        h,
        dims=("chain", "draw", "arm", "interval"),
        coords={
            "chain": np.arange(h.shape[0]),
            "draw": np.arange(h.shape[1]),
            "arm": list(arms),
            "interval": interval_labels(model.cutpoints),
        },
    )
    post = {"hazard": da}
    if effect == "proportional":
        post["log_hr"] = np.log(da.isel(arm=1, interval=0, drop=True) / da.isel(arm=0, interval=0, drop=True))
    idata = az.InferenceData(posterior=xr.Dataset(post))
    return SurvivalFit(model=model, data=data, idata=idata, arms=arms, control=arms[0], seed=0, sampler="none")


def fake_fit(model, data, posterior, *, seed: int = 0):
    """The family's result object with given posterior draws, without sampling.

    Parameters
    ----------
    model : Model or ExactModel
    data
        Data the model accepts (it is prepared, so arms and control are the model's).
    posterior : dict of str -> numpy.ndarray or xarray.Dataset
        Draws with leading dims ``(chain, draw)``; a dict's arrays take the model's coords for
        the remaining dims in order (``arm``, ``interval``).
    """
    import arviz as az

    model = model.bind(data)
    prepared = model.prepare(data)
    if not isinstance(posterior, xr.Dataset):
        posterior = _posterior(posterior, prepared.coords)
    info = {"seed": seed, "sampler": "none", "timings": {}}
    return model._result(data, prepared, az.InferenceData(posterior=posterior), info)


def mock_sample(draw_posterior):
    """A stand-in for :func:`bayeshcc.sampling.sample` that never compiles or samples.

    ``draw_posterior(model, prepared, chains, draws, rng)`` returns a dict of arrays
    ``(chain, draw, ...)`` (named by the model's variables). Use with pytest's monkeypatch:
    ``monkeypatch.setattr("bayeshcc.sampling.sample", mock_sample(fn))``; ``Model.fit`` then runs
    prepare, the result class and the diagnostics on those draws. Returns the stand-in.
    """
    import arviz as az

    calls: list[dict] = []

    def sample(model, prepared, *, draws, tune, chains, seed, sampler, progress=False):
        rng = np.random.default_rng(0 if seed is None else seed)
        values = draw_posterior(model, prepared, chains, draws, rng)
        calls.append({"model": model, "structure": prepared.structure, "sampler": sampler, "seed": seed})
        stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((chains, draws), dtype=bool))})
        idata = az.InferenceData(posterior=_posterior(values, prepared.coords), sample_stats=stats)
        return idata, {"seed": int(seed or 0), "sampler": sampler, "timings": {"compile": 0.0, "sample": 0.0}}

    sample.calls = calls
    return sample


def _posterior(values: dict, coords: dict) -> xr.Dataset:
    """Arrays ``(chain, draw, ...)`` as a Dataset, trailing dims named from ``coords`` by length."""
    post = {}
    for name, value in values.items():
        v = np.asarray(value, dtype=float)
        extra = _dims_for(v.shape[2:], coords)
        post[name] = xr.DataArray(v, dims=("chain", "draw", *extra), coords={d: coords[d] for d in extra})
    return xr.Dataset(post)


def _dims_for(shape: tuple[int, ...], coords: dict) -> list[str]:
    """Coordinate names for trailing axes of ``shape``, matched by length in ``coords`` order."""
    free, dims = list(coords), []
    for size in shape:
        match = next((d for d in free if len(coords[d]) == size), None)
        if match is None:
            raise ValueError(f"no coordinate of length {size} among {coords}")
        dims.append(match)
        free.remove(match)
    return dims


def simulate_ae_table(
    *,
    n_systems: int,
    events_per_system: int,
    n: tuple[int, int] = (100, 100),
    mean_log_or: float = 0.0,
    between_sd: float = 0.5,
    within_sd: float = 0.5,
    baseline: tuple[float, float, float] = (-2.0, 0.5, 0.5),
    seed: int = 0,
):
    """A simulated two-arm, any-grade adverse-event table with known log odds ratios.

    Follows :class:`bayeshcc.HierarchicalAE`'s generative model: body-system mean log odds
    ratios ``~ N(mean_log_or, between_sd^2)``, events' ``~ N(system mean, within_sd^2)``; the
    mean log-odds of the arms likewise with ``baseline = (mean, between sd, within sd)``.
    Arms ``"C"`` (control, ``n[0]`` patients) and ``"T"``.

    Returns
    -------
    table : AETable
        Control named ``"C"``.
    log_or : pandas.Series
        The true log odds ratio of each event (index: event name).
    """
    import pandas as pd

    from bayeshcc.data import AETable

    rng = np.random.default_rng(seed)
    k = n_systems * events_per_system
    system = np.repeat(np.arange(n_systems), events_per_system)
    theta = (mean_log_or + between_sd * rng.standard_normal(n_systems))[system] + within_sd * rng.standard_normal(k)
    gamma = (baseline[0] + baseline[1] * rng.standard_normal(n_systems))[system] + baseline[2] * rng.standard_normal(k)
    p = 1 / (1 + np.exp(-(gamma[:, None] + np.array([-0.5, 0.5]) * theta[:, None])))
    y = rng.binomial(np.array(n), p)
    events = [f"E{j:03d}" for j in range(k)]
    rows = [(f"S{system[j]:02d}", events[j], arm, "any", int(y[j, a]), n[a])
            for j in range(k) for a, arm in enumerate(("C", "T"))]
    df = pd.DataFrame(rows, columns=["system", "event", "arm", "grade", "count", "n"])
    return AETable.from_frame(df).with_control("C"), pd.Series(theta, index=events, name="log_or")


def random_patients(seed: int = 0, n: int = 40, *, entry: bool = False, interval: bool = False):
    """Two arms ("A", "B") of ``n // 2`` patients: exponential times (mean 8), events at random;
    with ``entry``, delayed entry for about half; with ``interval``, about 30% of events
    interval-censored in ``(time, time + U(0.5, 3))``."""
    import pandas as pd

    import bayeshcc as bh

    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(8, n), 3) + 0.01
    df = pd.DataFrame({"time": t, "event": rng.integers(0, 2, n), "arm": np.repeat(["A", "B"], n // 2)})
    kw = {}
    if entry:
        df["entry"] = np.where(rng.random(n) < 0.5, t * rng.uniform(0, 0.9, n), 0.0)
        kw["entry"] = "entry"
    if interval:
        ic = rng.random(n) < 0.3
        df.loc[ic, "event"] = 1
        df["upper"] = np.where(ic, df["time"] + rng.uniform(0.5, 3, n), np.nan)
        kw["upper"] = "upper"
    return bh.SurvivalData.from_frame(df, time="time", event="event", arm="arm", **kw)


def life_table(*, point_window: bool = False, arms: tuple[str, str] = ("C", "T")):
    """A two-arm life table with all three row kinds: closed rows [0, 6) and [6, 12), actuarial
    censoring in [6, 12), and open rows from 12 whose follow-up window [14, 40] covers two of the
    intervals 0/6/12/18 (or, with ``point_window``, a window of zero width at 14)."""
    import pandas as pd

    import bayeshcc as bh

    u, v = (14.0, 14.0) if point_window else (14.0, 40.0)
    df = pd.DataFrame({
        "arm": np.repeat(list(arms), 3),
        "start": [0.0, 6.0, 12.0, 0.0, 6.0, 12.0],
        "end": [6.0, 12.0, np.inf, 6.0, 12.0, np.inf],
        "at_risk": [50, 35, 20, 50, 42, 30],
        "events": [15, 10, 12, 8, 9, 14],
        "censored": [0, 5, 8, 0, 3, 16],
        "censor_from": [np.nan, np.nan, u, np.nan, np.nan, u],
        "censor_to": [np.nan, np.nan, v, np.nan, np.nan, v],
    })
    return bh.IntervalData.from_frame(df, censor_from="censor_from", censor_to="censor_to")
