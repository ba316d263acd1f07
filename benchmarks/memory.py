"""Peak memory of a population run, measured in a fresh process.

``python -m benchmarks.memory N`` runs the benchmark population with N patients and
prints one JSON line: wall and CPU seconds, and the peak resident set size of the whole
process, interpreter and libraries included: ``VmHWM`` of ``/proc/self/status`` (the
high-water mark of this process's memory map; ``getrusage``'s ``ru_maxrss`` would carry
over the parent's peak across fork and exec on Linux), or ``ru_maxrss`` elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sys
import time
from pathlib import Path

from benchmarks.work import POP_TIMES, population


def peak_rss_mib() -> float:
    try:
        status = Path("/proc/self/status").read_text()
        found = re.search(r"VmHWM:\s*(\d+)\s*kB", status)
        if found:
            return int(found.group(1)) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    n = int(sys.argv[1])
    rss_before = peak_rss_mib()
    load = os.getloadavg()
    w0, c0 = time.perf_counter(), time.process_time()
    res = population(n)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    peak = peak_rss_mib()
    print(
        json.dumps(
            {
                "n": n,
                "n_times": int(POP_TIMES.size),
                "wall_s": wall,
                "cpu_s": cpu,
                "peak_rss_mib": peak,
                "rss_after_imports_mib": rss_before,
                "load_before": load,
                "load_after": os.getloadavg(),
                "p50_at_40_min_ng_per_ml": float(res.percentiles[50.0][40]),
            }
        )
    )


if __name__ == "__main__":
    main()
