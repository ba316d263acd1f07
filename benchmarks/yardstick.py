"""The issue's yardstick for population speed: a plain NumPy recurrence, no percentiles.

Issue 2 calibrates its population target against "a plain NumPy recurrence [that]
reaches about 0.6-1e8 patient-timepoints per second" on its 2-core machine. Machines
differ by a factor of three here (opentiva's single-patient run took 25.8 ms on one
session's machine and 7.3 ms on another's), so the benchmark runs this recurrence in the
same run and reports ketaclinic's population throughput as a multiple of it.

The recurrence: a two-compartment model with plausible values for a 32.5-kg child (not
herd-2007's published set: the yardstick measures speed, not concentrations), log-normal
variability (omega 0.3) on CL and V1, in modal form advanced one minute at a time
(``z <- z exp(lam h) + r phi(lam, h)``), plasma written as float32 for every patient and
time; one thread, chunks of 10,000 patients; the random draws are inside the timing, as
they are in the population run it is compared with.

Run: ``.venv/bin/python -m benchmarks.yardstick [--n N]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

__all__ = ["plain_recurrence"]

# Plausible, stable two-compartment values for a 32.5-kg child (L; L/min): a speed yardstick
# needs no published set, and these are not herd-2007's.
_V1, _V2, _CL, _Q = 0.23 * 32.5, 1.17 * 32.5, 0.0153 * 32.5, 0.0289 * 32.5


def plain_recurrence(n: int, n_times: int = 1441, chunk: int = 10_000, seed: int = 1) -> float:
    """Wall seconds to compute plasma for ``n`` patients x ``n_times`` minutes."""
    rng = np.random.default_rng(seed)
    out = np.empty((n_times, chunk), dtype=np.float32)
    t0 = time.perf_counter()
    for p0 in range(0, n, chunk):
        m = min(chunk, n - p0)
        cl = _CL * np.exp(0.3 * rng.standard_normal(m))
        v1 = _V1 * np.exp(0.3 * rng.standard_normal(m))
        k10, k12, k21 = cl / v1, _Q / v1, _Q / _V2
        s, p = k10 + k12 + k21, k10 * k21
        disc = np.sqrt(s * s - 4 * p)
        lam1, lam2 = -(s - disc) / 2, -(s + disc) / 2
        e1, e2 = np.exp(lam1), np.exp(lam2)  # one-minute step
        # amount in the central compartment = a1 z1 + a2 z2 (modal weights)
        w1 = (k21 + lam1) / (lam1 - lam2)
        w2 = -(k21 + lam2) / (lam1 - lam2)
        rate = 15.0 / 40.0
        f1, f2 = rate * np.expm1(lam1) / lam1, rate * np.expm1(lam2) / lam2
        z1, z2 = np.zeros(m), np.zeros(m)
        inv_v1 = 1.0 / v1
        for t in range(n_times):
            out[t, :m] = (w1 * z1 + w2 * z2) * inv_v1
            z1 *= e1
            z2 *= e2
            if t < 40:
                z1 += f1
                z2 += f2
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()
    plain_recurrence(10_000)  # warm-up
    wall = min(plain_recurrence(args.n) for _ in range(3))
    print(
        f"plain NumPy recurrence: {args.n:,} x 1,441 in {wall:.3f} s = "
        f"{args.n * 1441 / wall:.3g} patient-timepoints/s"
    )


if __name__ == "__main__":
    main()
