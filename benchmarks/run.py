"""ketaclinic benchmarks: prints figures and records them in docs/benchmarks.md.

Usage (from the repository root)::

    python -m benchmarks.run                  # ketaclinic alone (make bench)
    python -m benchmarks.run --peers          # with opentiva, PyTCI, anasim (make bench-peers)
    python -m benchmarks.run --no-record      # print only, leave docs/benchmarks.md alone

The peers run as subprocesses in their own environment (.venv-peers, made by
benchmarks/peers/setup.sh); nothing of theirs is imported here. Every figure is printed
with the 1-minute load average at the time, because a loaded machine slows everything.
Wall-clock figures are what a user waits; CPU-second figures say what the code costs
when the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.work import (
    POP_MODEL,
    POP_REGIMEN,
    POP_TIMES,
    SINGLE_MODEL,
    SINGLE_REGIMEN,
    SINGLE_TIMES,
    population,
)
from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.simulate import simulate

ROOT = Path(__file__).resolve().parent.parent
PEER_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
PEER_SCRIPT = ROOT / "benchmarks" / "peers" / "peer_run.py"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}/{five:.2f}/{fifteen:.2f}"


def machine() -> dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", text)
        cpu = found.group(1).strip() if found else cpu
        mem_kib = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        memory = f"{mem_kib / 1024**2:.1f} GiB"
    except (OSError, AttributeError):
        memory = "?"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "os": platform.platform(),
    }


def single_patient(repeats: int) -> dict[str, Any]:
    model = get_model(SINGLE_MODEL)
    patient = Patient(weight_kg=70)
    simulate(model, SINGLE_REGIMEN, patient, SINGLE_TIMES)  # warm-up (imports, caches)
    load = _load()
    times = []
    res = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = simulate(model, SINGLE_REGIMEN, patient, SINGLE_TIMES)
        times.append(time.perf_counter() - t0)
    assert res is not None
    return {
        "median_s": statistics.median(times),
        "best_s": min(times),
        "repeats": repeats,
        "load": load,
        "cp_mg_per_l": res.plasma_mg_per_l,
        "effect_site": None if res.effect_site is None else res.effect_site.id,
    }


def population_speed(n: int, repeats: int) -> dict[str, Any]:
    population(2000)  # warm-up
    runs = []
    for _ in range(repeats):
        load = _load()
        w0, c0 = time.perf_counter(), time.process_time()
        res = population(n)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        runs.append({"wall_s": wall, "cpu_s": cpu, "load": load})
    pts = n * POP_TIMES.size
    best = min(runs, key=lambda r: r["wall_s"])
    return {
        "n": n,
        "n_times": int(POP_TIMES.size),
        "runs": runs,
        "best_pts_per_s": pts / best["wall_s"],
        "median_pts_per_s": pts / statistics.median(r["wall_s"] for r in runs),
        "pts_per_cpu_s": pts / statistics.median(r["cpu_s"] for r in runs),
        "p50_at_40_min_ng_per_ml": float(res.percentiles[50.0][40]),
        "warnings": list(res.warnings),
    }


def yardstick(n: int) -> dict[str, Any]:
    """The issue's calibration: a plain NumPy recurrence without percentiles (one thread)."""
    from benchmarks.yardstick import plain_recurrence

    plain_recurrence(10_000)  # warm-up
    load = _load()
    wall = min(plain_recurrence(n, n_times=POP_TIMES.size) for _ in range(3))
    return {"n": n, "wall_s": wall, "pts_per_s": n * POP_TIMES.size / wall, "load": load}


def population_memory(n: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", str(n)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _peer(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [str(PEER_PYTHON), str(PEER_SCRIPT), *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _max_rel_diff(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Max |ours - theirs| / ours where ours is above 1e-3 of its peak."""
    keep = ours > 1e-3 * ours.max()
    return float(np.max(np.abs(theirs[keep] - ours[keep]) / ours[keep]))


def peers_single(ours: dict[str, Any], repeats: int) -> list[dict[str, Any]]:
    rows = []
    for peer in ("opentiva", "pytci", "anasim"):
        load = _load()
        d = _peer(peer, "single", str(repeats))
        theirs = np.asarray(d["cp_full_mg_per_l"])
        rows.append(
            {
                "peer": peer,
                "median_s": d["median_s"],
                "n_points": d["n_points"],
                "max_rel_diff": _max_rel_diff(ours["cp_mg_per_l"], theirs),
                "speedup": d["median_s"] / ours["median_s"],
                "load": load,
            }
        )
    return rows


def peers_population(ours: dict[str, Any], sample: int) -> dict[str, Any]:
    load = _load()
    d = _peer("opentiva", "population", str(sample))
    model = get_model(POP_MODEL)
    w = float(d["weights_kg"][0])
    typical = simulate(model, POP_REGIMEN, Patient(weight_kg=w), POP_TIMES, effect_site=False)
    per_patient = float(d["per_patient_s"])
    n = int(ours["n"])
    best_wall = min(r["wall_s"] for r in ours["runs"])
    return {
        "sample": sample,
        "per_patient_s": per_patient,
        "extrapolated_s": per_patient * n,
        "speedup": per_patient * n / best_wall,
        "max_rel_diff_typical": _max_rel_diff(
            typical.plasma_mg_per_l, np.asarray(d["cp_first_mg_per_l"])
        ),
        "weight_kg": w,
        "load": load,
    }


def _fmt(x: float, unit: str = "") -> str:
    return f"{x:.3g}{unit}"


def report(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        f"Run {res['when']} with `{res['command']}`.",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM; {m['os']}; "
        f"Python {m['python']}, NumPy {m['numpy']}. Load average (1/5/15 min) is given "
        "with every figure: other jobs shared the machine when it was higher than 0.",
        "",
        "| Work | Figure | Load |",
        "| --- | --- | --- |",
    ]
    s = res["single"]
    lines.append(
        f"| (a) one patient, {SINGLE_MODEL}, 16,801 times, ketaclinic `simulate` "
        f"(effect site {s['effect_site']}) | median {_fmt(s['median_s'] * 1e3, ' ms')}, "
        f"best {_fmt(s['best_s'] * 1e3, ' ms')} ({s['repeats']} runs) | {s['load']} |"
    )
    for p in res.get("peers_single", []):
        lines.append(
            f"| (a) {p['peer']} | median {_fmt(p['median_s'] * 1e3, ' ms')}; "
            f"ketaclinic {_fmt(p['speedup'], 'x')} faster; max relative difference "
            f"{p['max_rel_diff']:.2e} | {p['load']} |"
        )
    pop = res["population"]
    for r in pop["runs"]:
        lines.append(
            f"| (b) population {pop['n']:,} x {pop['n_times']:,} ({POP_MODEL}, IIV, "
            f"5/50/95 percentiles) | wall {_fmt(r['wall_s'], ' s')}, CPU {_fmt(r['cpu_s'], ' s')} "
            f"| {r['load']} |"
        )
    lines.append(
        f"| (b) throughput | best {pop['best_pts_per_s']:.3g} patient-timepoints/s wall; "
        f"{pop['pts_per_cpu_s']:.3g} per CPU-second | |"
    )
    ys = res.get("yardstick")
    if ys:
        lines.append(
            f"| (b) yardstick: plain NumPy recurrence, one thread, no percentiles "
            f"(`benchmarks/yardstick.py`; the issue quotes 0.6-1e8 on its machine) | "
            f"{ys['pts_per_s']:.3g} patient-timepoints/s; ketaclinic (with percentiles, two "
            f"threads) {pop['best_pts_per_s'] / ys['pts_per_s']:.2f}x of it | {ys['load']} |"
        )
    pp = res.get("peers_population")
    if pp:
        lines.append(
            f"| (b) opentiva loop, {pp['sample']} patients timed, extrapolated to "
            f"{pop['n']:,} | {_fmt(pp['per_patient_s'] * 1e3, ' ms')} per patient -> "
            f"{_fmt(pp['extrapolated_s'] / 3600, ' h')}; ketaclinic {_fmt(pp['speedup'], 'x')} "
            f"faster; typical {pp['weight_kg']:g} kg curve max relative difference "
            f"{pp['max_rel_diff_typical']:.2e} | {pp['load']} |"
        )
    mem = res.get("memory")
    if mem:
        lines.append(
            f"| (c) population {mem['n']:,} x {mem['n_times']:,}, fresh process | peak RSS "
            f"{_fmt(mem['peak_rss_mib'], ' MiB')} (after imports "
            f"{_fmt(mem['rss_after_imports_mib'], ' MiB')}); wall {_fmt(mem['wall_s'], ' s')}, "
            f"CPU {_fmt(mem['cpu_s'], ' s')} | {mem['load_before'][0]:.2f} -> "
            f"{mem['load_after'][0]:.2f} |"
        )
    return "\n".join(lines)


def record(text: str) -> None:
    doc = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in doc:
        doc += f"\n{START}\n{END}\n"
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers", action="store_true", help="also run opentiva, PyTCI, anasim")
    ap.add_argument("--no-record", action="store_true", help="do not update docs/benchmarks.md")
    ap.add_argument("--n", type=int, default=100_000, help="population size (default 100,000)")
    ap.add_argument("--memory-n", type=int, default=1_000_000, help="0 skips the memory run")
    ap.add_argument("--repeats", type=int, default=3, help="population repeats")
    ap.add_argument("--peer-sample", type=int, default=20, help="opentiva patients timed")
    args = ap.parse_args(argv)
    command = "python -m benchmarks.run" + (" " + " ".join(argv or sys.argv[1:])).rstrip()
    res: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command.strip(),
        "machine": machine(),
    }
    print(f"machine: {res['machine']}", flush=True)
    res["single"] = single_patient(repeats=300)
    print(f"single patient: median {res['single']['median_s'] * 1e3:.2f} ms", flush=True)
    if args.peers:
        res["peers_single"] = peers_single(res["single"], repeats=5)
        for p in res["peers_single"]:
            print(f"  {p['peer']}: {p['median_s'] * 1e3:.1f} ms, x{p['speedup']:.0f}", flush=True)
    res["population"] = population_speed(args.n, args.repeats)
    res["yardstick"] = yardstick(args.n)
    print(f"population: {res['population']['best_pts_per_s']:.3g} pts/s", flush=True)
    if args.peers:
        res["peers_population"] = peers_population(res["population"], args.peer_sample)
    if args.memory_n:
        res["memory"] = population_memory(args.memory_n)
    text = report(res)
    print()
    print(text)
    if not args.no_record:
        record(text)
        print(f"\nrecorded in {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
