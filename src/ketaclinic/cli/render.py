"""All terminal rendering of the command line, in one module (imported lazily).

rich draws the tables and the progress bar; every number goes through
``ketaclinic.units.format_number`` (leading zero, no trailing zero). Text that comes
from data (model names, warnings) is escaped so that rich never reads it as markup.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ketaclinic.interop.plots import DEVICE_NOTICE, bands_drug_note, model_drug
from ketaclinic.pk.bands import BANDS, NO_ANTIDEPRESSANT_CR
from ketaclinic.units import format_number

if TYPE_CHECKING:  # pragma: no cover
    from ketaclinic.interop.regimen_json import RegimenFile
    from ketaclinic.pk.model import PKModel
    from ketaclinic.pk.results import SimulationResult

__all__ = [
    "DEVICE_NOTICE",
    "bands_at",
    "console",
    "print_population_result",
    "print_simulation",
    "progress_reporter",
    "row_indices",
]

#: A readable table has at most this many rows; longer runs are thinned (all values
#: remain available through --json and --csv).
MAX_TABLE_ROWS = 60


def console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr); at least 100 columns when not a terminal so that
    piped tables are not wrapped at 80."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else 110
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def bands_at(conc_ng_per_ml: float) -> str:
    """The literature bands that contain a plasma concentration (ids joined by ``+``).

    >>> bands_at(180.0)
    'analgesic + psychotomimetic'
    >>> bands_at(50.0)
    'below 100 ng/mL'
    """
    ids = [
        b.id
        for b in BANDS
        if b.low_ng_per_ml <= conc_ng_per_ml
        and (b.high_ng_per_ml is None or conc_ng_per_ml <= b.high_ng_per_ml)
    ]
    if ids:
        return " + ".join(ids)
    lowest = min(b.low_ng_per_ml for b in BANDS)
    if conc_ng_per_ml < lowest:
        return f"below {format_number(lowest)} ng/mL"
    return "between bands"


def _bands_legend() -> str:
    parts = []
    for b in BANDS:
        low = format_number(b.low_ng_per_ml)
        rng = f"≥ {low}" if b.high_ng_per_ml is None else f"{low}–{format_number(b.high_ng_per_ml)}"
        parts.append(f"{b.id} ({b.label}) {rng} ng/mL")
    return (
        "Bands are plasma concentrations reported in the literature (descriptive, not "
        "targets): " + "; ".join(parts) + "."
    )


def row_indices(n: int, *, max_rows: int = MAX_TABLE_ROWS) -> NDArray[np.intp]:
    """Indices of the rows to show: all when ``n <= max_rows``, else every k-th and the last."""
    if n <= max_rows:
        return np.arange(n)
    stride = math.ceil(n / (max_rows - 1))
    idx = np.arange(0, n, stride)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return idx


def _fmt(x: float) -> str:
    return format_number(float(x)) if math.isfinite(x) else "n/a"


#: Concentrations below this are shown as "< 0.01" in tables (numerical round-off of the
#: exact solver is ~1e-14 ng/mL; --json and --csv keep every digit).
DISPLAY_FLOOR_NG_PER_ML = 0.01


def _conc(x: float) -> str:
    """A concentration for a table: 0 stays 0, values under the display floor show as such."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return _fmt(x)
    if abs(x) < DISPLAY_FLOOR_NG_PER_ML:
        return f"< {format_number(DISPLAY_FLOOR_NG_PER_ML)}"
    return format_number(x)


def _header_lines(out: Console, lines: Sequence[tuple[str, str]]) -> None:
    for label, text in lines:
        out.print(f"[bold]{escape(label)}:[/bold] {escape(text)}")


def _warnings(out: Console, warnings: Sequence[str]) -> None:
    for w in warnings:
        out.print(f"[bold red]WARNING:[/bold red] {escape(w)}")


def print_simulation(
    result: SimulationResult,
    *,
    title: str | None = None,
    rows: NDArray[np.intp] | None = None,
    notes: Sequence[str] = (),
    out: Console | None = None,
) -> None:
    """The readable report of one simulation: model, citation, version, patient, regimen,
    effect site (constructed ones marked), the concentration table with the band each
    plasma value falls in, the exposure summary, the warnings and the notices."""
    from ketaclinic.interop.regimen_json import describe_patient, describe_regimen

    out = out or console()
    if title:
        out.print(f"[bold]{escape(title)}[/bold]")
    site = result.effect_site
    _header_lines(
        out,
        [
            ("Model", f"{result.model_id} (version {result.model_version}), {result.citation}"),
            ("Patient", describe_patient(result.patient)),
            ("Regimen", describe_regimen(result.regimen, max_doses=8)),
            ("Effect site", "none" if site is None else site.label),
        ],
    )
    t = result.time_min
    plasma = result.plasma_ng_per_ml
    ce = result.effect_site_ng_per_ml
    idx = row_indices(t.size) if rows is None else rows
    table = Table(show_lines=False, header_style="bold")
    table.add_column("time (min)", justify="right")
    table.add_column("plasma (ng/mL)", justify="right")
    if ce is not None:
        table.add_column("effect site (ng/mL)", justify="right")
    mets = {k: v * 1000.0 for k, v in result.metabolites_mg_per_l.items()}
    for name in mets:
        table.add_column(f"{escape(name)} (ng/mL)", justify="right")
    table.add_column("literature band (plasma)")
    for i in idx:
        cells = [_fmt(t[i]), _conc(plasma[i])]
        if ce is not None:
            cells.append(_conc(ce[i]))
        cells.extend(_conc(v[i]) for v in mets.values())
        cells.append(bands_at(float(plasma[i])))
        table.add_row(*cells)
    out.print(table)
    if rows is None and len(idx) < t.size:
        out.print(
            f"(showing {len(idx)} of {t.size} output times; --json or --csv give all of them)"
        )
    s = result.summary
    summary = (
        f"plasma Cmax {_fmt(s.cmax_ng_per_ml)} ng/mL at {_fmt(s.tmax_min)} min; "
        f"AUC {_fmt(s.auc_ng_h_per_ml)} ng·h/mL from {_fmt(t[0])} to {_fmt(t[-1])} min"
    )
    if ce is not None:
        j = int(np.argmax(ce))
        summary += f"; effect-site peak {_fmt(ce[j])} ng/mL at {_fmt(t[j])} min"
    _header_lines(out, [("Summary", summary)])
    _warnings(out, result.warnings)
    drug_note = bands_drug_note(model_drug(result.model_id))
    for note in (
        *notes,
        _bands_legend(),
        *([drug_note] if drug_note else []),
        NO_ANTIDEPRESSANT_CR,
    ):
        out.print(escape(note))
    out.print(f"[bold]{escape(DEVICE_NOTICE)}[/bold]")


def print_population_result(
    pop: Any, model: PKModel, rf: RegimenFile, *, out: Console | None = None
) -> None:
    """The readable report of a population run (``ketaclinic.pk.population``): who was
    simulated, percentiles per output time (plasma, effect site), the fraction above each
    threshold, Cmax and AUC percentiles over patients, warnings and notices."""
    from ketaclinic.interop.regimen_json import describe_regimen

    out = out or console()
    site = pop.effect_site
    _header_lines(
        out,
        [
            ("Model", f"{model.id} (version {model.version}), {model.citation.short()}"),
            ("Regimen", describe_regimen(rf.regimen, max_doses=8)),
            (
                "Virtual patients",
                f"{pop.n:,} (seed {pop.seed}; the same seed and n repeat the run)",
            ),
            ("Covariates", str(pop.covariates)),
            (
                "Inter-individual variability",
                ", ".join(pop.varied_parameters) if pop.varied_parameters else "none published",
            ),
            ("Residual error", pop.residual_error or "none"),
            ("Effect site", "none" if site is None else site.label),
        ],
    )
    t = pop.time_min
    table = Table(header_style="bold")
    table.add_column("time (min)", justify="right")
    columns: list[NDArray[np.float64]] = []
    plasma = pop.percentiles
    for q in sorted(plasma):
        table.add_column(f"plasma P{format_number(float(q))}", justify="right")
        columns.append(plasma[q])
    ce = pop.effect_site_percentiles_mg_per_l
    for q in sorted(ce or {}):
        table.add_column(f"effect P{format_number(float(q))}", justify="right")
        columns.append(ce[q] * 1000.0)
    for thr in sorted(pop.exceedance):
        table.add_column(f"% above {format_number(float(thr))} ng/mL", justify="right")
        columns.append(pop.exceedance[thr] * 100.0)
    median = plasma.get(50.0)
    if median is not None:
        table.add_column("band of the plasma median")
    idx = row_indices(t.size)
    for i in idx:
        cells = [_fmt(t[i])] + [_conc(c[i]) for c in columns]
        if median is not None:
            cells.append(bands_at(float(median[i])))
        table.add_row(*cells)
    out.print("Concentrations in ng/mL; percentiles over virtual patients per output time.")
    out.print(table)
    if len(idx) < t.size:
        out.print(f"(showing {len(idx)} of {t.size} output times; --json gives all of them)")
    cmax = {q: v * 1000.0 for q, v in pop.cmax_percentiles_mg_per_l.items()}
    auc = {q: v * 1000.0 / 60.0 for q, v in pop.auc_percentiles_mg_min_per_l.items()}
    stats = Table(title="Over virtual patients", header_style="bold")
    stats.add_column("quantity")
    for q in sorted(cmax):
        stats.add_column(f"P{format_number(float(q))}", justify="right")
    stats.add_row("plasma Cmax (ng/mL)", *[_fmt(cmax[q]) for q in sorted(cmax)])
    stats.add_row(
        f"plasma AUC {_fmt(t[0])}-{_fmt(t[-1])} min (ng·h/mL)", *[_fmt(auc[q]) for q in sorted(auc)]
    )
    out.print(stats)
    _warnings(out, pop.warnings)
    drug_note = bands_drug_note(str(model.drug))
    for note in (_bands_legend(), *([drug_note] if drug_note else []), NO_ANTIDEPRESSANT_CR):
        out.print(escape(note))
    out.print(f"[bold]{escape(DEVICE_NOTICE)}[/bold]")


@contextmanager
def progress_reporter(
    total: int, *, description: str = "simulating", delay_s: float = 1.0
) -> Iterator[Callable[[int], None]]:
    """A progress callback ``advance(done)`` that shows a bar on stderr only once the work
    has taken longer than ``delay_s`` (short runs print nothing)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    started = time.monotonic()
    state: dict[str, Any] = {"progress": None, "task": None}

    def advance(done: int) -> None:
        bar = state["progress"]
        if bar is None:
            if time.monotonic() - started < delay_s:
                return
            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console(stderr=True),
                transient=True,
            )
            bar.start()
            state["progress"] = bar
            state["task"] = bar.add_task(description, total=total)
        bar.update(state["task"], completed=min(int(done), total))

    try:
        yield advance
    finally:
        if state["progress"] is not None:
            state["progress"].stop()
