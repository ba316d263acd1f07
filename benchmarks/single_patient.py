"""Single-patient speed of ``ketaclinic.pk.simulate.simulate`` (prints figures; no test).

The issue-2 workload: ``kamp-2020``, 0.5 mg/kg over 40 min at 70 kg, observed to 280 min at
1-second resolution (16,801 output times), effect site on (Olofsen 2022 ke0). The target
is at least 100x faster than opentiva 1.1.2 on the same work (about 22 ms per call on the
project's 2-core machine, issue 2), i.e. at most about 0.22 ms per call end to end.

Run: ``.venv/bin/python benchmarks/single_patient.py [--runs N] [--profile]``.
The machine is shared: the load average is printed next to the figures, and the median
and the minimum of many calls are both reported.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import statistics
import time

import numpy as np

from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate

#: opentiva 1.1.2 on this workload, as measured in issue 2 ("about 22 ms here").
OPENTIVA_MS = 22.0
#: Literature sheet 2a (Kamp set, 0.5 mg/kg over 40 min at 70 kg), ng/mL.
KAMP_TABLE = {40.0: 253.1, 80.0: 73.7, 110.0: 54.3, 230.0: 26.7}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000, help="timed calls (default 3000)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary")
    args = parser.parse_args()

    model = get_model("kamp-2020")
    patient = Patient(weight_kg=70.0)
    regimen = Regimen((Dose("iv-infusion", amount_mg=0.5 * 70.0, duration_min=40.0),))
    times = np.arange(16801) / 60.0

    # Check the concentrations before timing anything.
    r = simulate(model, regimen, patient, times)
    assert r.effect_site_mg_per_l is not None
    assert r.time_min.size == 16801
    for t, ref in KAMP_TABLE.items():
        got = float(r.plasma_ng_per_ml[round(t * 60)])
        assert round(got, 1) == ref, (t, got, ref)

    for _ in range(200):  # warm-up (caches, allocator, branch predictors)
        simulate(model, regimen, patient, times)
    load_before = os.getloadavg()
    samples = []
    cpu0 = time.process_time()
    for _ in range(args.runs):
        t0 = time.perf_counter()
        simulate(model, regimen, patient, times)
        samples.append(time.perf_counter() - t0)
    cpu_ms = (time.process_time() - cpu0) / args.runs * 1e3
    load_after = os.getloadavg()
    ms = np.array(samples) * 1e3
    median = statistics.median(ms)

    print("single patient: kamp-2020, 0.5 mg/kg over 40 min, 70 kg, 0-280 min at 1 s")
    print(f"  output points          {times.size} (plasma and effect site)")
    print(f"  exact AUC              {r.summary.auc_ng_h_per_ml:.4f} ng*h/mL")
    cmax, tmax = r.summary.cmax_ng_per_ml, r.summary.tmax_min
    print(f"  Cmax / Tmax            {cmax:.2f} ng/mL at {tmax:g} min")
    print(f"  calls timed            {args.runs}")
    print(f"  median                 {median:.3f} ms per call")
    print(f"  CPU time               {cpu_ms:.3f} ms per call (process time: the work itself,")
    print("                         without the waits for a core on a busy machine)")
    print(
        f"  min / p10 / p90        {ms.min():.3f} / {np.percentile(ms, 10):.3f} / "
        f"{np.percentile(ms, 90):.3f} ms"
    )
    print(
        f"  vs opentiva (~{OPENTIVA_MS:g} ms)  {OPENTIVA_MS / median:.0f}x faster (median), "
        f"{OPENTIVA_MS / ms.min():.0f}x (min); target >= 100x"
    )
    print(
        f"  machine                {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}"
    )
    print(
        f"  load average           {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        "(1-min; shared machine)"
    )

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(500):
            simulate(model, regimen, patient, times)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
