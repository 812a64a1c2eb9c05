"""Reference values of P(p_t - p_c > delta) for independent beta variables, by adaptive quadrature.

Writes ``beta_difference_quad.csv`` beside this file, used by ``test_design_engines.py``. The
integral is taken on the probability scale of p_c with its density (QUADPACK's QAGP, breakpoints
near both ends where a parameter below 1 makes the density unbounded), independently of the
package's quantile-scale Gauss-Legendre rule. Run: ``python make_beta_difference_quad.py``.
"""

import itertools
import warnings
from pathlib import Path

from scipy import integrate, special, stats

VALUES = (0.5, 1.0, 3.0, 30.0)
DELTAS = (-0.1, 0.0, 0.1)


def reference(a_t: float, b_t: float, a_c: float, b_c: float, delta: float) -> float:
    def integrand(x: float) -> float:
        if x <= 0 or x >= 1:
            return 0.0
        y = min(max(x + delta, 0.0), 1.0)
        return stats.beta.pdf(x, a_c, b_c) * special.betainc(b_t, a_t, 1 - y)

    lo, hi = max(0.0, -delta), min(1.0, 1 - delta)
    points = [p for p in (1e-8, 1e-4, 1e-2, 0.5, 0.99, 0.9999) if lo < p < hi]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        value = integrate.quad(
            integrand, lo, hi, epsabs=1e-13, epsrel=1e-12, limit=500, points=points
        )[0]
    # For delta < 0, every p_c below -delta gives p_t - p_c > delta.
    return value + (special.betainc(a_c, b_c, -delta) if delta < 0 else 0.0)


def main() -> None:
    rows = ["a_t,b_t,a_c,b_c,delta,prob"]
    for (a_t, b_t, a_c, b_c), delta in itertools.product(
        itertools.product(VALUES, repeat=4), DELTAS
    ):
        p = reference(a_t, b_t, a_c, b_c, delta)
        rows.append(f"{a_t:g},{b_t:g},{a_c:g},{b_c:g},{delta:g},{p:.15g}")
    Path(__file__).with_name("beta_difference_quad.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
