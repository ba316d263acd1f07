"""Plots: the figure carries the model, citation, version, bands and notices."""

import struct
from pathlib import Path

import numpy as np
import pytest

from ketaclinic.errors import InputError
from ketaclinic.interop.plots import (
    DEVICE_NOTICE,
    figure_bytes,
    plot_format,
    population_figure,
    save_figure,
    simulation_figure,
)
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR
from ketaclinic.pk.models import get_model
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.pk.simulate import simulate

DEPRESSION = Regimen((Dose("iv-infusion", 35.0, duration_min=40.0),))
TIMES = np.arange(0.0, 281.0)


def _texts(fig: object) -> str:
    """Every string drawn in the figure (figure texts, axes texts, annotations, legend)."""
    parts = [t.get_text() for t in fig.texts]  # type: ignore[attr-defined]
    for ax in fig.axes:  # type: ignore[attr-defined]
        parts += [t.get_text() for t in ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            parts += [t.get_text() for t in legend.get_texts()]
    return "\n".join(parts).replace("\n", " ")


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.png", "png"), ("b.SVG", "svg"), ("dir/c.Png", "png")]
)
def test_plot_format_by_extension(name: str, fmt: str) -> None:
    assert plot_format(name) == fmt


@pytest.mark.parametrize("name", ["a.jpg", "a", "a.png.txt", "a.pdf"])
def test_other_extensions_are_refused(name: str) -> None:
    with pytest.raises(InputError, match=r"must be a file name ending in \.png or \.svg"):
        plot_format(name)


def test_simulation_figure_content() -> None:
    r = simulate(get_model("kamp-2020"), DEPRESSION, Patient(70), TIMES, effect_site="olofsen-2022")
    fig = simulation_figure(r)
    text = _texts(fig)
    assert "kamp-2020" in text
    assert "version 1" in text
    assert "doi:10.1097/ALN.0000000000003577" in text
    assert DEVICE_NOTICE.split(":")[0] in text  # "Not a certified medical device"
    assert NO_ANTIDEPRESSANT_CR[:60] in text
    # Bands in range are labelled at the side; those above the curves are listed in the
    # footer (plasma peaks at 253 ng/mL, the axis ends at 1.3 x the peak).
    assert "psychotomimetic / dissociation 100–250 ng/mL" in text
    assert "analgesia (acute) ≥ 100 ng/mL" in text
    assert "Above this plot: awakening / emergence 640–750 ng/mL" in text
    assert "hypnosis / anaesthesia 1,200–2,400 ng/mL" in text
    assert "Cmax 253 ng/mL at 40 min" in text
    assert "effect site (olofsen-2022, t½ke0 8.3 min)" in text
    assert "CONSTRUCTED" not in text
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert lo == 0.0
    assert hi == pytest.approx(1.3 * float(r.plasma_ng_per_ml.max()))
    # The plasma curve is plotted as simulated (ng/mL against min).
    plasma = next(
        line for line in ax.get_lines() if line.get_label() == "plasma (racemic ketamine)"
    )
    np.testing.assert_allclose(plasma.get_ydata(), r.plasma_ng_per_ml)
    np.testing.assert_allclose(plasma.get_xdata(), TIMES)


def test_constructed_effect_site_and_warnings_are_shown() -> None:
    r = simulate(
        get_model("kamp-2020"),
        DEPRESSION,
        Patient(70, age_years=95),
        TIMES,
        effect_site="opentiva-tpeak-1min",
    )
    text = _texts(simulation_figure(r))
    assert "CONSTRUCTED, not measured" in text
    assert "WARNING: age_years 95 years is outside the 18-90 years studied" in text
    assert "WARNING: effect site opentiva-tpeak-1min uses a CONSTRUCTED ke0" in text


def test_high_concentrations_shade_the_anaesthetic_band() -> None:
    bolus = Regimen((Dose("iv-bolus", 140.0),))  # 2 mg/kg: an induction dose
    r = simulate(get_model("kamp-2020"), bolus, Patient(70), TIMES, effect_site=False)
    fig = simulation_figure(r)
    text = _texts(fig)
    assert "Above this plot" not in text
    spans = [p for p in fig.axes[0].patches if p.get_y() in (640.0, 1200.0, 100.0)]
    assert sorted(p.get_y() for p in spans) == [100.0, 640.0, 1200.0]


def test_long_runs_are_plotted_in_hours() -> None:
    course = DEPRESSION.repeat_at_days([0, 2])
    t = np.arange(0.0, 4 * 1440.0, 10.0)
    r = simulate(get_model("kamp-2020"), course, Patient(70), t, effect_site=False)
    ax = simulation_figure(r).axes[0]
    assert ax.get_xlabel() == "time (h)"
    assert ax.get_xlim()[1] == pytest.approx(t[-1] / 60.0)


def test_png_and_svg_files(tmp_path: Path) -> None:
    r = simulate(get_model("kamp-2020"), DEPRESSION, Patient(70), TIMES)
    fig = simulation_figure(r)
    png = tmp_path / "p.png"
    save_figure(fig, png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1650, 1080)  # 11 x 7.2 in at 150 dpi
    svg = figure_bytes(fig, "svg")
    assert b"<svg" in svg[:500]
    assert list(tmp_path.iterdir()) == [png]  # the temporary file was renamed


def test_population_figure() -> None:
    t = np.linspace(0.0, 280.0, 57)
    median = 200.0 * np.exp(-t / 100.0)
    pct = {5.0: median * 0.5, 50.0: median, 95.0: median * 1.8}
    fig = population_figure(
        t, pct, title="pop", subtitle="Model kamp-2020 (version 1)", n=1000, warnings=["w1"]
    )
    text = _texts(fig)
    assert "5th–95th percentiles of 1,000 virtual patients (plasma)" in text
    assert "median (plasma)" in text
    assert "WARNING: w1" in text
    assert "Not a certified medical device" in text
    ax = fig.axes[0]
    assert ax.get_ylim()[1] == pytest.approx(1.3 * 360.0)
    with pytest.raises(
        InputError, match="percentiles must be a mapping that includes the 50th percentile"
    ):
        population_figure(t, {5.0: median, 95.0: median}, title="x", subtitle="y")


def test_esketamine_model_is_labelled_and_cautioned() -> None:
    nasal = Regimen((Dose("intranasal", 56.0),))
    t = np.arange(0.0, 241.0)
    r = simulate(get_model("perez-ruixo-2021"), nasal, Patient(70, age_years=45), t)
    fig = simulation_figure(r)
    text = _texts(fig)
    assert "plasma (esketamine)" in text
    assert "The bands were reported for racemic ketamine; this model describes esketamine" in text
    # Literature sheet, section 2b (Perez-Ruixo typical values, 56 mg): Cmax 72.6 ng/mL, 41 min.
    assert "Cmax 72.6 ng/mL at 41 min" in text
    # The axis holds the metabolite too (noresketamine peaks above esketamine).
    peak = max(float(np.max(v)) for v in r.metabolites_mg_per_l.values()) * 1000.0
    assert peak > float(r.plasma_ng_per_ml.max())
    assert fig.axes[0].get_ylim()[1] == pytest.approx(1.3 * peak)


def test_no_drug_note_for_racemic_ketamine() -> None:
    r = simulate(get_model("kamp-2020"), DEPRESSION, Patient(70), TIMES)
    assert "reported for racemic ketamine; this model" not in _texts(simulation_figure(r))


def test_low_curves_list_every_band_above_the_plot() -> None:
    small = Regimen((Dose("iv-infusion", 5.0, duration_min=60.0),))
    r = simulate(get_model("kamp-2020"), small, Patient(70), TIMES, effect_site=False)
    assert 1.3 * float(r.plasma_ng_per_ml.max()) < 100.0
    fig = simulation_figure(r)
    assert "all lie above this plot: analgesia (acute) ≥ 100 ng/mL" in _texts(fig)
    assert len(fig.axes[0].patches) == 1  # the infusion's time span only: no band shaded
