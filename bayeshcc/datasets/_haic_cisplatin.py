"""Seed study 003: sorafenib as salvage after HAIC with fine-powder cisplatin (67 patients)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bayeshcc.data import AETable, OrdinalData, SurvivalSummary
from bayeshcc.datasets import _build
from bayeshcc.datasets._registry import dataset_meta, provenance, read_csv
from bayeshcc.datasets.study import Study
from bayeshcc.errors import DataError

NAME = "haic_cisplatin"
ARMS = ("Sorafenib", "Other salvage")
COHORT = "All patients"
CATEGORIES = ("CR", "PR", "SD", "PD", "NE")

SPP_NOTES = (
    "Survival post-progression (SPP): from the first radiological progression after HAIC to "
    "death or last follow-up, in the 38 patients with progressive disease and Child-Pugh score "
    "<= 8. Medians 5.5 vs 3.8 months (no CIs), log-rank P = 0.041. The hazard ratio is Table 3's "
    "multivariable Cox estimate (adjusted for ascites and total bilirubin) with its direction "
    "interpreted: Table 3 prints 2.481 (1.120-5.497) for 'Sorafenib (yes vs. no)', which "
    "contradicts the paper's conclusion, so we read it as 'no vs. yes' and report its reciprocal "
    "for Sorafenib vs Other salvage (see published rows 'hazard ratio (interpreted)'). "
    "'Other salvage' = continued HAIC 5, tegafur-uracil 2, best supportive care 12. "
    "OS from the first HAIC in the same groups: log-rank P = 0.069 (no medians given)."
)
OS_NOTES = (
    "OS of all 67 patients from the first HAIC session: median 7.8 months; 41.7%, 27.1% and "
    "19.2% alive at 1, 2 and 3 years. These are Kaplan-Meier estimates with censoring (patients "
    "were enrolled until August 2011), not exact counts: none of them is k/67 for a whole k. "
    "Deaths are not reported."
)


def _interpreted_hrs(pub: pd.DataFrame, interp: pd.DataFrame, *, what: str) -> list[dict]:
    """Published-figure rows for Table 3's HRs under the interpreted direction.

    Each reported HR is read as being for ``contrast_interpreted``, the published label's
    levels reversed; expressed under the published label it is the reciprocal (CI inverted).
    """
    hr = _build.select(pub, endpoint="SPP", quantity="hazard ratio", expect=len(interp), what=what)
    rows = []
    for r in interp.itertuples(index=False):
        label = f"{r.variable}: {r.contrast_as_published}"
        match = hr[hr["arm_or_contrast"] == label]
        if len(match) != 1:
            raise DataError(f"{what}: no published SPP hazard ratio labelled {label!r}")
        a, b = _build.split_contrast(r.contrast_as_published, what=what)
        if _build.split_contrast(r.contrast_interpreted, what=what) != (b, a):
            raise DataError(
                f"{what}: interpreted contrast {r.contrast_interpreted!r} is not the published "
                f"{r.contrast_as_published!r} reversed"
            )
        m = match.iloc[0]
        rows.append(
            {
                **m.to_dict(),
                "quantity": "hazard ratio (interpreted)",
                "estimate": 1.0 / m["estimate"],
                "lower": 1.0 / m["upper"],
                "upper": 1.0 / m["lower"],
                "source": "derived: Table 3 with spp_cox_interpretation.csv",
                "note": (
                    f"reciprocal of the published {m['estimate']:g} "
                    f"({m['lower']:g}-{m['upper']:g}), which is read as '{r.contrast_interpreted}': "
                    f"{r.reason}"
                ),
            }
        )
    return rows


def load_haic_cisplatin() -> Study:
    """Sorafenib as salvage after hepatic arterial infusion chemotherapy with cisplatin powder.

    A retrospective study of 67 consecutive patients with advanced HCC (portal vein tumour
    thrombosis or TACE-refractory) treated at one centre in Japan with HAIC using a fine-powder
    formulation of cisplatin (2005-2011). Of 41 with progressive disease, 38 (Child-Pugh score
    <= 8) form the survival post-progression (SPP) comparison: 19 received sorafenib
    (``"Sorafenib"``) and 19 other salvage (``"Other salvage"``: continued HAIC 5,
    tegafur-uracil 2, best supportive care 12).

    Returns
    -------
    Study
        ``os``
            :class:`~bayeshcc.SurvivalSummary` for all 67 patients (arm ``"All patients"``):
            median 7.8 months; Kaplan-Meier survival 41.7%, 27.1% and 19.2% at 12, 24 and 36
            months (with censoring, so not exact counts).
        ``spp``
            :class:`~bayeshcc.SurvivalSummary`: medians 5.5 (Sorafenib) vs 3.8 (Other salvage)
            months, log-rank P = 0.041 (in the notes), and the multivariable Cox HR for
            Sorafenib vs Other salvage as interpreted, 1/2.481 = 0.403 (0.182-0.893).
        ``response``
            ``{"RECIST": 14/67}`` (CR + PR during HAIC, all patients, arm ``"All patients"``).
        ``response_table``
            ``criterion, arm, category, count``: CR 5, PR 9, SD 5, PD 41, NE 7.
        ``adverse_events``
            :class:`~bayeshcc.AETable` of grade 3 (non-haematological) and grade 3-4
            toxicities in all 67 patients; counts derived from the printed percentages.
        ``baseline``
            ``"table1"`` (all patients at the start of HAIC), ``"table2"`` (the two salvage
            groups at progression; ``characteristic, category, arm, statistic, value, unit,
            p_value``), ``"flow"`` (patient flow) and ``"haic_sessions"``.
        ``published``
            The paper's figures, with Table 3's Cox model as printed (``"hazard ratio"``) and as
            interpreted (``"hazard ratio (interpreted)"``).

    Notes
    -----
    Table 3 labels its hazard ratios "(yes vs. no)", but sorafenib's HR of 2.481 and ascites'
    0.283 then contradict the text (sorafenib and the absence of ascites favourable). The figures
    are kept as published; the reading that each HR is for the levels the other way round is
    kept separately (``spp_cox_interpretation.csv``). Title, authors and journal are not in the
    source extraction. The sources of every file are in ``study.provenance``.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> study = bh.datasets.load_haic_cisplatin()
    >>> study.spp.medians["estimate"].tolist()
    [5.5, 3.8]
    """
    what = f"datasets.{NAME}"
    meta = dataset_meta(NAME)
    groups = read_csv(NAME, "groups.csv").set_index("group")["n"]
    n = {a: int(groups[a]) for a in ARMS}
    n_cohort = int(groups[COHORT])
    pub = _build.published_frame(read_csv(NAME, "published.csv"), what=what)
    interp = read_csv(NAME, "spp_cox_interpretation.csv")
    # concatenating records (not frames) keeps dtypes without pandas' all-NA concat warning
    published = pd.DataFrame(
        pub.to_dict("records") + _interpreted_hrs(pub, interp, what=what), columns=pub.columns
    )
    interpreted = published[published["quantity"] == "hazard ratio (interpreted)"]

    os = SurvivalSummary(
        "OS",
        medians=_build.medians(pub, endpoint="OS", arms=(COHORT,), what=what),
        landmarks=_build.landmarks(pub, endpoint="OS", what=what),
        n={COHORT: n_cohort},
        time_unit="months",
        notes=OS_NOTES,
    )
    soraf = interpreted[interpreted["arm_or_contrast"] == "Sorafenib: yes vs no"]
    if len(soraf) != 1:
        raise DataError(f"{what}: no interpreted hazard ratio for 'Sorafenib: yes vs no'")
    spp_hr = _build.hazard_ratios(soraf.assign(arm_or_contrast=" vs ".join(ARMS)), what=what)
    spp_hr["model"] = (
        "Cox multivariable (total bilirubin + ascites + sorafenib); direction interpreted "
        "(published 2.481 for 'yes vs. no' read as 'no vs. yes'), see notes"
    )
    spp = SurvivalSummary(
        "SPP",
        medians=_build.medians(pub, endpoint="SPP", arms=ARMS, what=what),
        hazard_ratios=spp_hr,
        n=n,
        time_unit="months",
        notes=SPP_NOTES,
    )

    resp = read_csv(NAME, "response.csv")
    ordinal = OrdinalData.from_frame(resp, categories=CATEGORIES, criterion="RECIST")
    ae = read_csv(NAME, "adverse_events.csv")
    # counts are derived from the printed percentages; each must give back its percentage
    implied = np.round(100 * ae["count"].to_numpy(dtype=float) / n_cohort, 1)
    off = ~np.isclose(implied, ae["percent"].to_numpy(dtype=float))
    if off.any():
        raise DataError(
            f"{what}: adverse_events.csv counts do not reproduce the printed percentages of "
            f"{n_cohort} patients for {ae.loc[off, 'event'].tolist()}"
        )
    adverse_events = AETable.from_frame(ae.drop(columns="percent").assign(n=n_cohort))

    return Study(
        name=NAME,
        title=meta["title"],
        citation=meta["citation"],
        arms=ARMS,
        n=n,
        n_patients=int(meta["n_patients"]),
        os=os,
        pfs=None,
        spp=spp,
        response={"RECIST": ordinal.to_binary()},
        response_table=resp[["criterion", "arm", "category", "count"]].copy(),
        adverse_events=adverse_events,
        baseline={
            "table1": read_csv(NAME, "baseline_all.csv"),
            "table2": read_csv(NAME, "baseline_progression.csv"),
            "flow": read_csv(NAME, "flow.csv"),
            "haic_sessions": read_csv(NAME, "haic_sessions.csv"),
        },
        published=published,
        notes=meta["notes"] + "\n" + SPP_NOTES,
        provenance=provenance(NAME),
    )
