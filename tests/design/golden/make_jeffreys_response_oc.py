"""Exact type I error and power of a one-look response design with Jeffreys Beta(0.5, 0.5) priors.

20 patients per arm, success if P(p_t > p_c | data) > 0.975. The posterior probability of each of
the 21 x 21 outcomes comes from adaptive quadrature (``make_beta_difference_quad.reference``), not
from the package; the operating characteristic is the binomial-weighted sum over the outcomes that
succeed. Prints the constants used in ``test_design_engines.py``.
"""

import numpy as np
from make_beta_difference_quad import reference
from scipy import stats

N = 20


def main() -> None:
    y = np.arange(N + 1)
    win = np.array(
        [[reference(0.5 + t, 0.5 + N - t, 0.5 + c, 0.5 + N - c, 0.0) > 0.975 for t in y] for c in y]
    )
    for p_c, p_t in [(0.05, 0.05), (0.05, 0.3)]:
        joint = np.outer(stats.binom.pmf(y, N, p_c), stats.binom.pmf(y, N, p_t))
        print(f"p_control={p_c}, p_treatment={p_t}: P(success) = {(joint * win).sum():.10f}")


if __name__ == "__main__":
    main()
