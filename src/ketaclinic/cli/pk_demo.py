"""``ketaclinic demo``: the standard depression protocol on the default adult model (the
README's first command before the clinic server existed; kept for a quick look)."""

from __future__ import annotations

import typer

from ketaclinic.cli.pk import (
    DEMO_TABLE_STEP_MIN,
    DEMO_TIMES,
    DEPRESSION_PROTOCOL,
    OBSERVED_END_OF_INFUSION_NG_PER_ML,
    PlotOpt,
    _check_plot_path,
    _plot_writer,
    shorthand_regimen,
    write_outputs,
)

__all__ = ["register_demo"]


def register_demo(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""

    @app.command("demo")
    def demo_cmd(plot: PlotOpt = None) -> None:
        """The standard depression protocol (0.5 mg/kg over 40 min, 70 kg) on the default
        adult model with the Olofsen 2022 effect site: a table every 10 min and a plot."""
        import numpy as np

        from ketaclinic.pk.models import DEFAULT_ADULT_MODEL, get_model
        from ketaclinic.pk.models.kamp2020 import OLOFSEN_2022_KE0
        from ketaclinic.pk.simulate import simulate

        if plot is not None:
            _check_plot_path(plot)
        p = DEPRESSION_PROTOCOL
        rf = shorthand_regimen(p["weight_kg"], p["mg_per_kg"], p["duration_min"])
        start, stop, step = DEMO_TIMES
        t = np.arange(start, stop + step / 2, step)
        result = simulate(
            get_model(DEFAULT_ADULT_MODEL),
            rf.regimen,
            rf.patient,
            t,
            effect_site=OLOFSEN_2022_KE0.id,
        )
        title = (
            f"Standard depression protocol: {p['mg_per_kg']:g} mg/kg IV over "
            f"{p['duration_min']:g} min, {p['weight_kg']:g} kg "
            f"({p['mg_per_kg'] * p['weight_kg']:g} mg)"
        )
        if plot is not None:
            write_outputs([(plot, _plot_writer(result, plot, title=title))])
        from ketaclinic.cli import render

        rows = np.flatnonzero(np.isclose(np.mod(t, DEMO_TABLE_STEP_MIN), 0.0))
        render.print_simulation(
            result,
            title=title,
            rows=rows,
            notes=(
                "Protocol: 0.5 mg/kg over 40 min is the studied regimen (Sanacora 2017, "
                "JAMA Psychiatry 74:399).",
                f"For comparison, observed in patients: about "
                f"{OBSERVED_END_OF_INFUSION_NG_PER_ML:g} ng/mL (venous) at the end of this "
                "infusion (Zarate 2006, as tabulated in Zanos 2018, Pharmacol Rev 70:621, "
                "Table 1); models with arterial or mixed sampling predict higher values "
                "during the infusion.",
            ),
        )
        if plot is not None:
            render.console().print(f"wrote {plot}")
