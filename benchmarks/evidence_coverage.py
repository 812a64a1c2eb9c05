"""Coverage of published-summary evidence, by simulation (issue 8), with more replicates than the test.

Command: ``python benchmarks/evidence_coverage.py --reps 150``. Each replicate simulates a two-arm
trial (exponential, medians 6 and 9 months, 120 patients per arm, uniform censoring 18-36 months),
summarises it as a paper would (Cox HR with its Wald 95% CI; Kaplan-Meier medians with their 95% CIs;
Kaplan-Meier survival at 6 and 12 months with n), fits each kind of evidence alone, and records whether
the posterior 95% interval covers the truth. Also the combined fit (HR + both medians of the same trial),
whose sources are not independent.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "conformance"))

from test_evidence_coverage import RATES, covered, paper  # noqa: E402

import bayeshcc as bh  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=150)
    args = p.parse_args()
    hr_model = bh.PiecewiseExponential(cutpoints=[0], control="control", baseline_prior=bh.LogNormal(-2.5, 2.0))
    med_model = bh.PiecewiseExponential(cutpoints=[0], effect="per_arm")
    lm_model = bh.PiecewiseExponential(cutpoints=[0, 6], effect="per_arm")
    both_model = bh.PiecewiseExponential(cutpoints=[0], control="control")
    truth_hr = RATES["treatment"] / RATES["control"]
    s12 = math.exp(-12 * RATES["treatment"])
    hits = dict.fromkeys(["HR alone", "median control", "median treatment", "S(12) treatment (landmarks)",
                          "HR, combined with both medians"], 0)
    t0 = time.perf_counter()
    for seed in range(args.reps):
        hr, medians, landmarks = paper(seed)
        kw = dict(draws=500, chains=2, seed=seed, check_convergence=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hits["HR alone"] += covered(hr_model.fit([hr], **kw).evidence(), 0, truth_hr)
            med = med_model.fit(medians, **kw).evidence()
            hits["median control"] += covered(med, 0, 6.0)
            hits["median treatment"] += covered(med, 1, 9.0)
            hits["S(12) treatment (landmarks)"] += covered(lm_model.fit([landmarks[1]], **kw).evidence(), 1, s12)
            hits["HR, combined with both medians"] += covered(both_model.fit([hr, *medians], **kw).evidence(), 0, truth_hr)
    n = args.reps
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; {n} replicates, "
          f"{time.perf_counter() - t0:.0f} s")
    print("| evidence | coverage of the 95% interval | binomial sd |")
    print("|---|---|---|")
    for k, v in hits.items():
        c = v / n
        print(f"| {k} | {c:.3f} | {math.sqrt(0.95 * 0.05 / n):.3f} |")


if __name__ == "__main__":
    main()
