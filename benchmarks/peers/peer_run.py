"""Run one peer package on the benchmark work; print one JSON object.

Runs INSIDE the separate peer environment (.venv-peers, made by setup.sh), never in
ketaclinic's: ``.venv-peers/bin/python benchmarks/peers/peer_run.py PEER TASK``.
It imports only the standard library, numpy and the peer, so ketaclinic stays out.

Work (the same as benchmarks/run.py gives ketaclinic):

single
    Kamp 2020 3-compartment set, 70 kg, 35 mg (0.5 mg/kg) over 40 min, plasma every
    second from 0 to 280 min (16,801 values). Concentrations in mg/L.
population
    opentiva only: Herd 2007, IV 15 mg over 40 min, plasma every minute for 24 h
    (opentiva computes every second internally), one patient per weight of a sample.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np

DOSE_MG = 35.0
INFUSION_S = 2400
END_S = 16800


def _timed(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def opentiva_single():
    import opentiva.ketamine
    import opentiva.pump

    def run():
        model = opentiva.ketamine.Klamp(0, 40, 70, 170)  # opentiva's spelling of Kamp
        pump = opentiva.pump.Pump(model, 10, END_S + 1)  # rows are t = 0 .. end - 1 s
        pump.add_infusion(0, DOSE_MG / INFUSION_S, INFUSION_S)
        pump.infusion_list = pump.user_infusion_list
        res = pump.run()
        return res[:, 0], res[:, 1]

    return run


def pytci_single():
    from PyTCI.models.base import Three

    class Kamp(Three):
        # Kamp 2020 typical 70-kg set as opentiva and anasim transcribe it (per minute).
        def __init__(self):
            self.v1, self.v2, self.v3 = 25.0, 56.0, 157.0
            cl, q2, q3 = 84.0 / 60, 161.0 / 60, 79.0 / 60
            self.k10, self.k12, self.k13 = cl / self.v1, q2 / self.v1, q3 / self.v1
            self.k21, self.k31 = q2 / self.v2, q3 / self.v3
            self.keo = 2.791
            self.setup()

    def run():
        m = Kamp()
        m.set_integrator("exact")
        cp = np.zeros(END_S + 1)
        rate = DOSE_MG / INFUSION_S
        for s in range(1, END_S + 1):
            if s <= INFUSION_S:
                m.giveoverseconds(rate, 1)
            else:
                m.wait_time(1)
            cp[s] = m.x1
        return np.arange(END_S + 1.0), cp

    return run


def anasim_single():
    from anasim.patient.patient import Patient
    from anasim.patient.pk_models import KetaminePK

    def run():
        pk = KetaminePK(Patient(age=40, weight=70, height=170, sex="male"))
        cp = np.zeros(END_S + 1)
        rate = DOSE_MG / INFUSION_S
        for s in range(1, END_S + 1):
            cp[s] = pk.step(1.0, rate if s <= INFUSION_S else 0.0).c1
        return np.arange(END_S + 1.0), cp

    return run


def opentiva_population(weights):
    import opentiva.ketamine
    import opentiva.pump

    def run():
        out = []
        for w in weights:
            model = opentiva.ketamine.Herd(0, 8, float(w), 130)
            pump = opentiva.pump.Pump(model, 10, 86401)
            pump.add_infusion(0, 15.0 / INFUSION_S, INFUSION_S)
            pump.infusion_list = pump.user_infusion_list
            res = pump.run()
            out.append(res[::60, 1])  # every minute: 1,441 values
        return out

    return run


def main() -> None:
    peer, task = sys.argv[1], sys.argv[2]
    if task == "single":
        fn = {"opentiva": opentiva_single, "pytci": pytci_single, "anasim": anasim_single}[peer]()
        repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
        (t, cp), times = _timed(fn, repeats)
        print(
            json.dumps(
                {
                    "peer": peer,
                    "task": task,
                    "n_points": int(t.size),
                    "time_s": t[:: max(1, t.size // 1680)].tolist(),
                    "cp_mg_per_l": cp[:: max(1, t.size // 1680)].tolist(),
                    "cp_full_mg_per_l": cp.tolist(),
                    "seconds": times,
                    "median_s": statistics.median(times),
                }
            )
        )
    elif task == "population":
        n = int(sys.argv[3]) if len(sys.argv) > 3 else 20
        weights = np.linspace(10.0, 60.0, n)
        curves, times = _timed(opentiva_population(weights), 1)
        print(
            json.dumps(
                {
                    "peer": peer,
                    "task": task,
                    "n_patients": n,
                    "weights_kg": weights.tolist(),
                    "cp_first_mg_per_l": np.asarray(curves[0]).tolist(),
                    "seconds": times,
                    "per_patient_s": times[0] / n,
                }
            )
        )
    else:
        raise SystemExit(f"unknown task {task}")


if __name__ == "__main__":
    main()
