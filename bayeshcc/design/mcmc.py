"""The ``mcmc`` engine's fitting loop: the package's PyMC piecewise-exponential model per trial.

Only for cross-checking the fast engines on a subsample; each trial costs a NUTS run (the model is
built once per arms, cutpoints and prior, and reused for every trial with them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from bayeshcc.design.design import TrialDesign
    from bayeshcc.design.engines import MCMCEngine
    from bayeshcc.design.generate import LookData


def model_for(design: TrialDesign):
    """``PiecewiseExponential`` with the design's cutpoints and the same priors as ``laplace``."""
    from bayeshcc.models.piecewise_exponential import PiecewiseExponential
    from bayeshcc.models.priors import LogNormal, Normal

    mu_a, sd_a = design.prior.log_hazard
    mu_b, sd_b = design.prior.log_hr
    return PiecewiseExponential(
        cutpoints=list(design.cutpoints),
        effect="proportional",
        control=design.control,
        baseline_prior=LogNormal(mu=mu_a, sigma=sd_a),
        log_hr_prior=Normal(mu=mu_b, sigma=sd_b),
    )


def fit_log_hr_draws(engine: MCMCEngine, data: LookData, design: TrialDesign) -> np.ndarray:
    """Posterior draws of log HR, shape ``(trial, chains * draws)``, one NUTS fit per trial."""
    from bayeshcc.data import SurvivalData

    model = engine.model(design)
    time, event, treated, enrolled = data.patients
    out = np.empty((time.shape[0], engine.chains * engine.draws))
    for i in range(time.shape[0]):
        keep = enrolled[i]
        frame = pd.DataFrame(
            {
                "time": time[i, keep],
                "event": event[i, keep].astype(int),
                "arm": np.where(treated[i, keep], design.treatment, design.control),
            }
        )
        ipd = SurvivalData.from_frame(frame, time="time", event="event", arm="arm")
        fit = model.fit(
            ipd,
            draws=engine.draws,
            tune=engine.tune,
            chains=engine.chains,
            seed=engine.seed + engine._calls,
            sampler=engine.sampler,
            check_convergence=False,
        )
        engine._calls += 1
        out[i] = fit.idata.posterior["log_hr"].values.ravel()
    return out
