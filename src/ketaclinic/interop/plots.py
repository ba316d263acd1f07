"""Concentration-time plots (PNG or SVG, chosen by the file extension).

matplotlib is imported lazily and used through its object API on the Agg canvas (no
pyplot, no global state, no display needed). Every figure carries what a clinician
needs to judge it: the regimen and patient, the model id, citation and version, the
effect-site label (constructed rate constants are marked), the literature's plasma
concentration bands (descriptive ranges from ``ketaclinic.pk.bands``, not targets), the
statement that no antidepressant concentration-response is established, the warnings of
the run and "not a certified medical device".
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from ketaclinic.errors import InputError
from ketaclinic.pk.bands import BANDS, NO_ANTIDEPRESSANT_CR, ConcentrationBand
from ketaclinic.units import format_number

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ketaclinic.pk.regimen import Regimen
    from ketaclinic.pk.results import SimulationResult

__all__ = [
    "DEVICE_NOTICE",
    "PLOT_FORMATS",
    "bands_drug_note",
    "figure_bytes",
    "model_drug",
    "plot_format",
    "population_figure",
    "save_figure",
    "simulation_figure",
]

PlotFormat = Literal["png", "svg"]
PLOT_FORMATS: tuple[PlotFormat, ...] = ("png", "svg")
DEVICE_NOTICE = (
    "Not a certified medical device: decision support only. Model predictions are "
    "population averages; an individual patient can differ widely. The clinician decides."
)
_DPI = 150
_FIGSIZE_IN = (11.0, 7.2)
# Band colours: colour-blind-safe (Okabe-Ito) hues, light enough for the curves to read on top.
_BAND_COLOURS = {
    "psychotomimetic": "#CC79A7",
    "awakening": "#E69F00",
    "anaesthetic": "#D55E00",
}
_PLASMA = "#0072B2"
_EFFECT = "#009E73"
_METABOLITE = "#555555"
_WARNING = "#B00020"


def bands_drug_note(drug: str | None) -> str | None:
    """A caution when the model's drug is not racemic ketamine, for which the literature
    bands (``ketaclinic.pk.bands``) were reported; None when it is."""
    if drug is None or drug == "racemic ketamine":
        return None
    return (
        f"The bands were reported for racemic ketamine; this model describes {drug}, "
        "whose concentrations are not directly comparable with them."
    )


def model_drug(model_id: str) -> str | None:
    """The drug of a registered model (None when the id is not registered)."""
    from ketaclinic.errors import NotFoundError
    from ketaclinic.pk.models import get_model

    try:
        return str(get_model(model_id).drug)
    except NotFoundError:
        return None


def plot_format(path: str | Path) -> PlotFormat:
    """``"png"`` or ``"svg"`` from the file extension; anything else is refused."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "png":
        return "png"
    if suffix == "svg":
        return "svg"
    raise InputError.for_field("plot", str(path), "a file name ending in .png or .svg", unit=None)


def _new_figure() -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=_FIGSIZE_IN, dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _time_axis(time_min: NDArray[np.float64]) -> tuple[NDArray[np.float64], str, float]:
    """Minutes for a session; hours once the window passes 12 h (courses, long runs)."""
    if time_min.size and float(time_min[-1]) > 12 * 60:
        return time_min / 60.0, "time (h)", 60.0
    return time_min, "time (min)", 1.0


def _band_text(band: ConcentrationBand) -> str:
    if band.high_ng_per_ml is None:
        return f"{band.label} ≥ {format_number(band.low_ng_per_ml)} ng/mL"
    low, high = format_number(band.low_ng_per_ml), format_number(band.high_ng_per_ml)
    return f"{band.label} {low}–{high} ng/mL"


def _draw_bands(ax: Axes, y_top: float) -> list[str]:
    """Shade the closed bands, draw the open ones as a dashed threshold line, and label
    them in the right margin (spread apart so they never overlap each other or the
    curves); return the bands that lie above the plotted range."""
    off_scale: list[str] = []
    labels: list[tuple[float, str, str]] = []  # (y as a fraction of the axis, text, colour)
    for band in BANDS:
        if band.low_ng_per_ml >= y_top:
            off_scale.append(_band_text(band))
            continue
        if band.high_ng_per_ml is None:
            ax.axhline(band.low_ng_per_ml, color="#444444", lw=1.0, ls=(0, (6, 4)), zorder=1)
            labels.append((band.low_ng_per_ml / y_top, _band_text(band), "#444444"))
            continue
        colour = _BAND_COLOURS.get(band.id, "#999999")
        high = min(band.high_ng_per_ml, y_top)
        ax.axhspan(band.low_ng_per_ml, high, color=colour, alpha=0.18, lw=0, zorder=0)
        labels.append(((band.low_ng_per_ml + high) / 2.0 / y_top, _band_text(band), colour))
    labels.sort()
    # Two-line labels need about 6% of the axis height each; push overlapping ones up,
    # then back down from the top if the stack ran out of room.
    gap = 0.095
    placed = [y for y, _, _ in labels]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + gap)
    overflow = (placed[-1] - 0.97) if placed else 0.0
    if overflow > 0:
        placed = [y - overflow for y in placed]
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    for (y_true, text, colour), y_text in zip(labels, placed, strict=True):
        ax.annotate(
            _two_lines(text),
            xy=(1.0, y_true),
            xycoords="axes fraction",
            xytext=(1.02, y_text),
            textcoords="axes fraction",
            va="center",
            ha="left",
            fontsize=8.5,
            color="#222222",
            annotation_clip=False,
            arrowprops={"arrowstyle": "-", "color": colour, "lw": 1.2, "shrinkA": 0, "shrinkB": 0},
        )
    return off_scale


def _two_lines(text: str) -> str:
    """``label low–high ng/mL`` (or ``label ≥ low ng/mL``) -> the label on the first line,
    the range on the second."""
    if " ≥ " in text:
        head, _, rng = text.partition(" ≥ ")
        return f"{head}\n≥ {rng}"
    head, _, tail = text.rpartition(" ")  # tail = "ng/mL"
    head, _, rng = head.rpartition(" ")
    return f"{head}\n{rng} {tail}"


def _draw_doses(ax: Axes, regimen: Regimen, scale: float, t_end: float) -> None:
    """A bar at the top of the plot while an IV infusion runs, a triangle for every other
    administration; labelled when there are few enough to read."""
    from matplotlib.transforms import blended_transform_factory

    from ketaclinic.interop.regimen_json import _ROUTE_NAMES

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    shown = [d for d in regimen.doses if float(d.start_min) / scale <= t_end]
    label = len(shown) <= 6
    for dose in shown:
        start = float(dose.start_min) / scale
        what = f"{format_number(float(dose.amount_mg))} mg {_ROUTE_NAMES[dose.route]}"
        if dose.route == "iv-infusion":
            end = dose.end_min / scale
            ax.axvspan(start, end, color="#000000", alpha=0.05, lw=0, zorder=0)
            ax.plot(
                [start, end],
                [0.985, 0.985],
                transform=trans,
                color="#333333",
                lw=4,
                solid_capstyle="butt",
                zorder=5,
            )
            what += f" over {format_number(dose.infusion_duration_min)} min"
        else:
            ax.plot(
                [start],
                [0.985],
                transform=trans,
                marker="v",
                color="#333333",
                ms=7,
                zorder=5,
                ls="none",
            )
        if label:
            ax.text(
                start,
                0.955,
                " " + what,
                transform=trans,
                fontsize=8.5,
                va="top",
                ha="left",
                color="#333333",
                zorder=5,
            )


def _y_top(curves: Sequence[NDArray[np.float64]]) -> float:
    peak = max((float(np.max(c)) for c in curves if c.size), default=0.0)
    peak = max(peak, 1.0)
    # Leave room for the dose strip and the legend above the highest curve.
    return peak * 1.3


def _legend(ax: Axes) -> int:
    """The legend above the plot, outside the data (it never hides a curve); returns its
    number of rows."""
    handles, labels = ax.get_legend_handles_labels()
    ncols = len(labels) if sum(len(x) for x in labels) <= 100 else 1
    ax.legend(
        handles,
        labels,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01),
        ncols=ncols,
        fontsize=9,
        frameon=False,
        borderaxespad=0.0,
        handlelength=3.0,
    )
    return -(-len(labels) // ncols)


def _footer(
    fig: Figure,
    warnings: Sequence[str],
    off_scale: Sequence[str],
    extra: Sequence[str] = (),
    *,
    legend_rows: int = 1,
    header_bottom: float = 0.914,
) -> None:
    lines: list[tuple[str, str]] = []
    what = (
        "plasma concentrations reported in the literature (descriptive ranges, not targets; "
        "sources in ketaclinic.pk.bands)"
    )
    if len(off_scale) == len(BANDS):
        note = f"Literature bands, {what}, all lie above this plot: " + "; ".join(off_scale) + "."
    else:
        note = f"Shaded bands and the dashed line: {what}."
        if off_scale:
            note += " Above this plot: " + "; ".join(off_scale) + "."
    lines.append((note, "#333333"))
    for text in extra:
        lines.append((text, "#333333"))
    lines.append((NO_ANTIDEPRESSANT_CR, "#333333"))
    for w in warnings:
        lines.append(("WARNING: " + w, _WARNING))
    lines.append((DEVICE_NOTICE, "#000000"))
    y = 0.01
    for text, colour in reversed(lines):
        wrapped = textwrap.fill(text, width=150)
        weight = "bold" if text in (DEVICE_NOTICE,) or colour == _WARNING else "normal"
        fig.text(
            0.06, y, wrapped, fontsize=7.8, color=colour, va="bottom", ha="left", weight=weight
        )
        y += 0.0185 * (wrapped.count("\n") + 1) + 0.004
    top = header_bottom - 0.012 - 0.03 * legend_rows
    fig.subplots_adjust(left=0.08, right=0.78, top=top, bottom=0.08 + y)


def _header(fig: Figure, title: str, subtitle: str) -> float:
    """Title and subtitle at the top; returns where (figure fraction) the subtitle ends."""
    title = textwrap.shorten(title, width=110, placeholder=" ...")
    fig.text(0.06, 0.975, title, fontsize=13, weight="bold", va="top", ha="left")
    wrapped = textwrap.fill(subtitle, width=140)
    fig.text(0.06, 0.935, wrapped, fontsize=8.8, va="top", ha="left", color="#333333")
    return 0.935 - 0.021 * (wrapped.count("\n") + 1)


def simulation_figure(result: SimulationResult, *, title: str | None = None) -> Figure:
    """Plasma and effect-site (and metabolite) curves over the literature bands.

    Parameters
    ----------
    result : a single-patient simulation (``ketaclinic.pk.simulate.simulate``)
    title : first line of the figure; by default the regimen and the patient

    Returns
    -------
    matplotlib Figure on an Agg canvas (save it with ``save_figure``)
    """
    from ketaclinic.interop.regimen_json import describe_patient, describe_regimen

    t, xlabel, scale = _time_axis(result.time_min)
    plasma = result.plasma_ng_per_ml
    ce = result.effect_site_ng_per_ml
    fig = _new_figure()
    ax = fig.add_subplot(1, 1, 1)
    curves = [plasma] + ([ce] if ce is not None else [])
    curves += [v * 1000.0 for v in result.metabolites_mg_per_l.values()]
    y_top = _y_top(curves)
    off_scale = _draw_bands(ax, y_top)
    _draw_doses(ax, result.regimen, scale, float(t[-1]))
    drug = model_drug(result.model_id)
    ax.plot(t, plasma, color=_PLASMA, lw=2.2, label=f"plasma ({drug or 'parent drug'})", zorder=3)
    if ce is not None and result.effect_site is not None:
        site = result.effect_site
        tag = " — CONSTRUCTED, not measured" if site.kind == "constructed" else ""
        half = format_number(site.half_life_min)
        ax.plot(
            t,
            ce,
            color=_EFFECT,
            lw=2.0,
            ls=(0, (5, 2)),
            zorder=3,
            label=f"effect site ({site.id}, t½ke0 {half} min{tag})",
        )
    for k, (name, conc_mg_per_l) in enumerate(result.metabolites_mg_per_l.items()):
        ax.plot(
            t,
            conc_mg_per_l * 1000.0,
            color=_METABOLITE,
            lw=1.3,
            ls=[":", "-."][k % 2],
            label=f"{name} (plasma)",
            zorder=2,
        )
    imax = int(np.argmax(plasma))
    ax.annotate(
        f"Cmax {format_number(float(plasma[imax]))} ng/mL at {format_number(float(t[imax]))}"
        f" {xlabel.split('(')[1].rstrip(')')}",
        xy=(float(t[imax]), float(plasma[imax])),
        xytext=(12, 6),
        textcoords="offset points",
        fontsize=9,
        color=_PLASMA,
        arrowprops={"arrowstyle": "-", "color": _PLASMA, "lw": 0.8},
    )
    ax.set_xlim(float(t[0]), float(t[-1]))
    ax.set_ylim(0.0, y_top)
    ax.set_xlabel(xlabel, fontsize=10)
    ax.set_ylabel("concentration (ng/mL)", fontsize=10)
    ax.grid(True, color="#DDDDDD", lw=0.6, zorder=0)
    ax.tick_params(labelsize=9)
    rows = _legend(ax)
    ax.spines[["top", "right"]].set_visible(False)
    header_bottom = _header(
        fig,
        title or f"{describe_regimen(result.regimen)} — {describe_patient(result.patient)}",
        f"Model {result.model_id} (version {result.model_version}): {result.citation}.",
    )
    note = bands_drug_note(drug)
    _footer(
        fig,
        result.warnings,
        off_scale,
        () if note is None else (note,),
        legend_rows=rows,
        header_bottom=header_bottom,
    )
    return fig


def population_figure(
    time_min: NDArray[np.float64],
    percentiles_ng_per_ml: dict[float, NDArray[np.float64]],
    *,
    title: str,
    subtitle: str,
    warnings: Sequence[str] = (),
    regimen: Regimen | None = None,
    n: int | None = None,
    site_label: str = "plasma",
    drug: str | None = None,
) -> Figure:
    """Median and the 5-95% band of a population run over the literature bands.

    Parameters
    ----------
    time_min : (n_times,) output times, min
    percentiles_ng_per_ml : percentile (e.g. 5, 50, 95) -> (n_times,) concentrations, ng/mL;
        must contain 50 and, for the band, the lowest and highest percentiles asked for
    title, subtitle : first two lines (regimen and model with citation and version)
    warnings : shown in the figure
    regimen : when given, infusions and other administrations are marked
    n : number of virtual patients, shown in the legend
    drug : the model's drug; a caution is added when it is not racemic ketamine
    """
    if 50 not in percentiles_ng_per_ml and 50.0 not in percentiles_ng_per_ml:
        raise InputError.for_field(
            "percentiles",
            sorted(percentiles_ng_per_ml),
            "a mapping that includes the 50th percentile",
        )
    t, xlabel, scale = _time_axis(np.asarray(time_min, dtype=float))
    keys = sorted(percentiles_ng_per_ml)
    lo_k, hi_k = keys[0], keys[-1]
    median = np.asarray(percentiles_ng_per_ml[50.0 if 50.0 in percentiles_ng_per_ml else 50])
    lo = np.asarray(percentiles_ng_per_ml[lo_k])
    hi = np.asarray(percentiles_ng_per_ml[hi_k])
    fig = _new_figure()
    ax = fig.add_subplot(1, 1, 1)
    y_top = _y_top([hi, median])
    off_scale = _draw_bands(ax, y_top)
    if regimen is not None:
        _draw_doses(ax, regimen, scale, float(t[-1]))
    who = f" of {n:,} virtual patients" if n else ""
    if lo_k != hi_k:
        ax.fill_between(
            t,
            lo,
            hi,
            color=_PLASMA,
            alpha=0.25,
            lw=0,
            zorder=2,
            label=f"{format_number(float(lo_k))}th–{format_number(float(hi_k))}th "
            f"percentiles{who} ({site_label})",
        )
        ax.plot(t, lo, color=_PLASMA, lw=0.8, zorder=2)
        ax.plot(t, hi, color=_PLASMA, lw=0.8, zorder=2)
    ax.plot(t, median, color=_PLASMA, lw=2.2, zorder=3, label=f"median ({site_label})")
    ax.set_xlim(float(t[0]), float(t[-1]))
    ax.set_ylim(0.0, y_top)
    ax.set_xlabel(xlabel, fontsize=10)
    ax.set_ylabel("concentration (ng/mL)", fontsize=10)
    ax.grid(True, color="#DDDDDD", lw=0.6, zorder=0)
    ax.tick_params(labelsize=9)
    rows = _legend(ax)
    ax.spines[["top", "right"]].set_visible(False)
    header_bottom = _header(fig, title, subtitle)
    note = bands_drug_note(drug)
    _footer(
        fig,
        warnings,
        off_scale,
        () if note is None else (note,),
        legend_rows=rows,
        header_bottom=header_bottom,
    )
    return fig


def figure_bytes(fig: Figure, fmt: PlotFormat) -> bytes:
    """The figure encoded as PNG or SVG (rendered in memory, so nothing is half-written)."""
    if fmt not in PLOT_FORMATS:
        raise InputError.for_field("format", fmt, "png or svg")
    buf = io.BytesIO()
    metadata = {"Title": "ketaclinic concentration-time plot"} if fmt == "png" else None
    fig.savefig(buf, format=fmt, dpi=_DPI, metadata=metadata)
    return buf.getvalue()


def save_figure(fig: Figure, path: str | Path) -> None:
    """Write the figure to ``path`` (PNG or SVG by extension) via a temporary file."""
    p = Path(path)
    data = figure_bytes(fig, plot_format(p))
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(p)
