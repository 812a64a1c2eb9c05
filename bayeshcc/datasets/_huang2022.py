"""Seed study 000: FOLFOX-HAIC versus sorafenib for TACE-refractory HCC (Huang et al.)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from bayeshcc.data import AETable, IntervalData, OrdinalData, SurvivalSummary
from bayeshcc.datasets import _build
from bayeshcc.datasets._registry import dataset_meta, provenance, read_csv
from bayeshcc.datasets.study import Study
from bayeshcc.errors import DataError

NAME = "huang2022"
ARMS = ("FOLFOX-HAIC", "Sorafenib")
#: The comparator arm: comparisons are FOLFOX-HAIC vs sorafenib.
CONTROL = "Sorafenib"


def _follow_up(dates: pd.DataFrame) -> tuple[float, float]:
    d = {
        m: dt.date.fromisoformat(x) for m, x in zip(dates["milestone"], dates["date"], strict=True)
    }
    end = d["follow_up_end"]
    shortest = (end - d["last_treatment_start"]).days / _build.DAYS_PER_MONTH
    longest = (end - d["first_treatment_start"]).days / _build.DAYS_PER_MONTH
    return shortest, longest


def load_huang2022() -> Study:
    """FOLFOX-HAIC versus sorafenib for hepatocellular carcinoma refractory to TACE.

    A retrospective subgroup analysis of two prospective trials at one centre in China:
    55 patients received hepatic arterial infusion of oxaliplatin, fluorouracil and leucovorin
    (``"FOLFOX-HAIC"``), 59 received sorafenib (``"Sorafenib"``); 114 in all. Treatment was
    chosen by the patient, not randomized.

    Returns
    -------
    Study
        ``os``
            :class:`~bayeshcc.IntervalData` with exact counts: rows ``[0, 6)``, ``[6, 12)``,
            ``[12, 18)`` and ``[18, inf)`` per arm. Alive at 6, 12 and 18 months: 51, 34, 23 of
            55 and 42, 15, 6 of 59 (the published 92.7/61.8/41.8% and 71.2/25.4/10.2%); 44 and
            59 deaths in all; the 11 FOLFOX-HAIC survivors are censored at the data cut-off,
            with potential follow-up 28.4 to 60.3 months.
        ``pfs``
            :class:`~bayeshcc.SurvivalSummary`: medians 7.6 (5.6-9.6) vs 3.9 (2.3-5.4) months,
            HR 0.49 (0.33-0.72).
        ``response``
            ``{"RECIST": 18/55 vs 1/59, "mRECIST": 22/55 vs 2/59}`` as
            :class:`~bayeshcc.BinaryData` (objective response = CR + PR).
        ``response_table``
            ``criterion, arm, category, count`` (CR/PR/SD/PD; Table 3).
        ``adverse_events``
            :class:`~bayeshcc.AETable` of Table 4: 19 treatment-related events in >= 10% of
            either arm, grades ``"any"`` and ``"3-4"``.
        ``baseline``
            ``"table1"`` (``characteristic, category, arm, count, p_value``),
            ``"subsequent_therapy"`` (``therapy, arm, count, p_value``) and
            ``"cohort_summary"`` (``characteristic, statistic, value, unit, source``).
        ``published``
            The paper's figures: OS medians 17.1 (13.4-20.8) vs 9.1 (7.5-10.6) months, HR 0.35
            (0.23-0.53); landmark rates; the multivariable Cox model (treatment HR 0.29, PVTT
            0.49, AFP 0.71); the univariable medians of Table 2; ORRs; every P value of Tables
            3 and 4.

    Notes
    -----
    Nobody was censored before about 28 months (treatment started between 21 April 2016 and
    18 December 2018; follow-up ended 1 May 2021), so the published landmark rates are exact
    proportions alive; :meth:`bayeshcc.IntervalData.from_landmarks` checks this. The sources of
    every file are in ``study.provenance`` and ``bayeshcc/datasets/registry.toml``.

    References
    ----------
    Huang Y, Zhang L, He M, et al. Hepatic arterial infusion of oxaliplatin, fluorouracil, and
    leucovorin versus sorafenib for hepatocellular carcinoma refractory to transarterial
    chemoembolization: retrospective subgroup analysis of 2 prospective trials.
    ClinicalTrials.gov NCT05121571.

    Examples
    --------
    >>> import bayeshcc as bh
    >>> study = bh.datasets.load_huang2022()
    >>> study.response["RECIST"]
    BinaryData(RECIST: FOLFOX-HAIC 18/55, Sorafenib 1/59)
    >>> study.os.events_by_arm
    {'FOLFOX-HAIC': 44, 'Sorafenib': 59}
    """
    what = f"datasets.{NAME}"
    meta = dataset_meta(NAME)
    arms_df = read_csv(NAME, "arms.csv")
    if tuple(arms_df["arm"]) != ARMS:
        raise DataError(f"{what}: arms.csv lists {list(arms_df['arm'])}, expected {list(ARMS)}")
    n = {a: int(k) for a, k in zip(arms_df["arm"], arms_df["n"], strict=True)}
    pub = _build.published_frame(read_csv(NAME, "published.csv"), what=what)

    deaths = _build.counts(pub, endpoint="OS", quantity="deaths", arms=ARMS, what=what)
    os = IntervalData.from_landmarks(
        _build.landmarks(pub, endpoint="OS", what=what),
        n=n,
        events=deaths,
        follow_up=_follow_up(read_csv(NAME, "study_dates.csv")),
        rounding=0.001,
        time_unit="months",
    ).with_control(CONTROL)
    pfs_hr = _build.select(pub, endpoint="PFS", quantity="hazard ratio", expect=1, what=what)
    pfs = SurvivalSummary(
        "PFS",
        medians=_build.medians(pub, endpoint="PFS", arms=ARMS, what=what),
        hazard_ratios=_build.hazard_ratios(pfs_hr, what=what),
        n=n,
        time_unit="months",
        follow_up=_follow_up(read_csv(NAME, "study_dates.csv"))[1],
        notes="PFS by RECIST 1.1 or death, from the start of treatment; medians with 95% CIs "
        "(Abstract; Results text para 3). Events are not reported.",
    )

    resp = read_csv(NAME, "response.csv")
    response = {
        crit: OrdinalData.from_frame(resp[resp["criterion"] == crit], criterion=crit).to_binary().with_control(CONTROL)
        for crit in ("RECIST", "mRECIST")
    }
    ae = read_csv(NAME, "adverse_events.csv")
    adverse_events = AETable.from_frame(ae.assign(n=ae["arm"].map(n))).with_control(CONTROL)

    return Study(
        name=NAME,
        title=meta["title"],
        citation=meta["citation"],
        arms=ARMS,
        n=n,
        n_patients=int(meta["n_patients"]),
        os=os,
        pfs=pfs,
        spp=None,
        response=response,
        response_table=resp[["criterion", "arm", "category", "count"]].copy(),
        adverse_events=adverse_events,
        baseline={
            "table1": read_csv(NAME, "baseline.csv"),
            "subsequent_therapy": read_csv(NAME, "subsequent_therapy.csv"),
            "cohort_summary": read_csv(NAME, "cohort_summary.csv"),
        },
        published=pub,
        notes=meta["notes"],
        provenance=provenance(NAME),
        os_medians=SurvivalSummary(
            "OS",
            medians=_build.medians(pub, endpoint="OS", arms=ARMS, what=what),
            n=n,
            time_unit="months",
            follow_up=_follow_up(read_csv(NAME, "study_dates.csv"))[1],
            notes="OS medians with 95% CIs (Abstract; Results text para 2): the same patients as the "
            "landmark life table `os`, so not independent evidence.",
        ),
    )
