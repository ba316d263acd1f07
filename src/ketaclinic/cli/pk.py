"""Command group: pk (see cli/app.py): ``models``, ``simulate``, ``population``, ``demo``.

Every command validates all of its input (options, regimen file, model, route, output
files) before it writes anything; files are written to a temporary name and renamed, so
an error never leaves partial output. Rendering lives in ``cli/render.py`` and
``interop/plots.py``, both imported lazily to keep ``--help`` fast.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ketaclinic.errors import DomainError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from numpy.typing import NDArray

    from ketaclinic.interop.regimen_json import RegimenFile
    from ketaclinic.pk.model import PKModel

__all__ = [
    "DEPRESSION_PROTOCOL",
    "MAX_OUTPUT_TIMES",
    "check_output_path",
    "parse_times",
    "register",
    "shorthand_regimen",
    "write_outputs",
]

T = TypeVar("T")

#: Upper bound on the number of output times of one run (24 h at 0.05-s resolution is
#: 1.7 million); beyond it the output would be unreadably large, so refuse and ask for a
#: coarser step.
MAX_OUTPUT_TIMES = 2_000_000

#: The standard depression protocol: 0.5 mg/kg IV over 40 min, "the studied regimen"
#: (Sanacora et al., APA consensus statement, JAMA Psychiatry 2017;74:399-405), shown in
#: the demo for a 70-kg adult.
DEPRESSION_PROTOCOL: dict[str, float] = {
    "mg_per_kg": 0.5,
    "duration_min": 40.0,
    "weight_kg": 70.0,
}
#: Observed venous plasma concentration at the end of that infusion, for comparison:
#: about 185 ng/mL (0.78 uM), Zarate 2006 as tabulated in Zanos 2018, Pharmacol Rev
#: 70:621, Table 1.
OBSERVED_END_OF_INFUSION_NG_PER_ML = 185.0
DEMO_TIMES = (0.0, 280.0, 1.0)  # min: plot every minute to 280 min
DEMO_TABLE_STEP_MIN = 10.0

_SHORTHAND = ("--weight-kg", "--iv-infusion-mg-per-kg", "--over-min", "--age-years", "--sex")


# --------------------------------------------------------------------------- helpers


def _as_option(option: str, field: str, build: Callable[[], T]) -> T:
    """Run a domain constructor; name the command-line option instead of the field."""
    try:
        return build()
    except DomainError as exc:
        if exc.field == field and exc.message.startswith(field):
            raise type(exc)(
                option + exc.message[len(field) :],
                field=option,
                value=exc.value,
                unit=exc.unit,
                limit=exc.limit,
            ) from None
        raise


def parse_times(spec: str) -> NDArray[np.float64]:
    """``START:STOP:STEP`` in minutes -> output times (STOP included when on the grid).

    A malformed spec is a usage error (exit 2); values that cannot give increasing
    times are domain errors naming the part, the value and the unit (exit 1).

    >>> parse_times("0:40:10").tolist()
    [0.0, 10.0, 20.0, 30.0, 40.0]
    """
    import numpy as np

    from ketaclinic.pk.linear import check_times

    parts = spec.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        start, stop, step = (float(p) for p in parts)
    except ValueError:
        raise typer.BadParameter(
            f"expected START:STOP:STEP in minutes (e.g. 0:280:1), got {spec!r}",
            param_hint="'--times'",
        ) from None
    for name, value in (("START", start), ("STOP", stop), ("STEP", step)):
        if not math.isfinite(value):
            raise InputError.for_field(f"--times {name}", value, "a finite number of min")
    if start < 0:
        raise InputError.for_field("--times START", start, "at least 0 min", unit="min")
    if step <= 0:
        raise InputError.for_field(
            "--times STEP", step, "greater than 0 min (times must increase)", unit="min"
        )
    if stop < start:
        raise InputError.for_field(
            "--times STOP",
            stop,
            f"at least START ({start:g} min) (times must increase)",
            unit="min",
        )
    n = math.floor((stop - start) / step + 1e-9) + 1
    if n > MAX_OUTPUT_TIMES:
        raise InputError.for_field(
            "--times", f"{n:,} output times", f"at most {MAX_OUTPUT_TIMES:,} (use a larger STEP)"
        )
    grid = np.asarray(start + np.arange(n) * step, dtype=np.float64)
    times: NDArray[np.float64] = check_times(grid, field="--times")
    return times


def check_output_path(path: Path, option: str) -> None:
    """Refuse (usage error, exit 2) an output file that cannot be written, before any work."""
    if path.is_dir():
        raise typer.BadParameter(f"{path} is a directory", param_hint=f"'{option}'")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise typer.BadParameter(f"directory {parent} does not exist", param_hint=f"'{option}'")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise typer.BadParameter(f"{path} cannot be written", param_hint=f"'{option}'")


def _check_plot_path(path: Path) -> None:
    from ketaclinic.interop.plots import plot_format

    try:
        plot_format(path)
    except InputError:
        raise typer.BadParameter(
            f"the file name must end in .png or .svg, got {path.name!r}", param_hint="'--plot'"
        ) from None
    check_output_path(path, "--plot")


def write_outputs(files: list[tuple[Path, Callable[[Path], None]]]) -> None:
    """Write every file to a temporary sibling first, then rename them all: an error while
    writing leaves none of them behind."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, writer in files:
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            staged.append((tmp, path))
            writer(tmp)
    except OSError as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise InputError(
            f"cannot write {staged[-1][1]}: {exc.strerror or exc}",
            field="output",
            value=str(staged[-1][1]),
        ) from None
    for tmp, path in staged:
        tmp.replace(path)


def shorthand_regimen(
    weight_kg: float,
    iv_infusion_mg_per_kg: float,
    over_min: float,
    *,
    age_years: float | None = None,
    sex: str | None = None,
) -> RegimenFile:
    """The common case as a regimen: one IV infusion of ``mg/kg x weight`` over ``over_min``."""
    from ketaclinic.interop.regimen_json import RegimenFile
    from ketaclinic.pk.patient import Patient
    from ketaclinic.pk.regimen import Dose, Regimen

    patient = _as_option(
        "--weight-kg",
        "weight_kg",
        lambda: _as_option(
            "--age-years",
            "age_years",
            lambda: Patient(weight_kg=weight_kg, age_years=age_years, sex=sex),  # type: ignore[arg-type]
        ),
    )
    dose_mg_per_kg = float(iv_infusion_mg_per_kg)
    if not math.isfinite(dose_mg_per_kg) or dose_mg_per_kg <= 0:
        raise InputError.for_field(
            "--iv-infusion-mg-per-kg", dose_mg_per_kg, "greater than 0 mg/kg", unit="mg/kg"
        )
    amount_mg = dose_mg_per_kg * float(weight_kg)
    dose = _as_option(
        "--over-min",
        "duration_min",
        lambda: Dose("iv-infusion", amount_mg, 0.0, duration_min=float(over_min)),
    )
    return RegimenFile(patient, Regimen((dose,)))


def _resolve_regimen(
    regimen: Path | None,
    weight_kg: float | None,
    mg_per_kg: float | None,
    over_min: float | None,
    age_years: float | None,
    sex: str | None,
) -> RegimenFile:
    from ketaclinic.interop.regimen_json import load_regimen

    given = [
        opt
        for opt, v in zip(_SHORTHAND, (weight_kg, mg_per_kg, over_min, age_years, sex), strict=True)
        if v is not None
    ]
    if regimen is not None and given:
        raise typer.BadParameter(
            f"--regimen and the shorthand options ({', '.join(given)}) are mutually "
            "exclusive: give a regimen file, or describe one IV infusion with --weight-kg, "
            "--iv-infusion-mg-per-kg and --over-min"
        )
    if regimen is not None:
        return load_regimen(regimen)
    missing = [
        o
        for o, v in zip(_SHORTHAND[:3], (weight_kg, mg_per_kg, over_min), strict=True)
        if v is None
    ]
    if len(missing) == 3:
        raise typer.BadParameter(
            "give --regimen FILE.json, or --weight-kg, --iv-infusion-mg-per-kg and --over-min"
        )
    if missing:
        raise typer.BadParameter(
            f"the shorthand needs --weight-kg, --iv-infusion-mg-per-kg and --over-min; "
            f"missing {', '.join(missing)}"
        )
    assert weight_kg is not None
    assert mg_per_kg is not None
    assert over_min is not None
    return shorthand_regimen(weight_kg, mg_per_kg, over_min, age_years=age_years, sex=sex)


def _effect_site(model: PKModel, value: str | None) -> str | bool | None:
    """``--effect-site``: None -> the model's default, "none" -> no effect site, else an id."""
    if value is None:
        return None
    if value.lower() == "none":
        return False
    if not model.effect_sites:
        raise InputError.for_field(
            "--effect-site", value, f"none (model {model.id} has no effect site)"
        )
    _as_option("--effect-site", "effect_site", lambda: model.effect_site(value))
    return value


def _check_route(model: PKModel, rf: RegimenFile) -> None:
    """Refuse a route the model cannot take before any work, naming the models that can."""
    from ketaclinic.errors import RouteError
    from ketaclinic.pk.models import models_by_route

    for i, dose in enumerate(rf.regimen.doses):
        if dose.route not in model.routes:
            able = models_by_route().get(dose.route, "")
            raise RouteError(
                f"doses[{i}].route: model {model.id} cannot take route {dose.route} "
                f"(it takes {', '.join(model.routes)}); models that can: {able or 'none'}",
                field=f"doses[{i}].route",
                value=dose.route,
                limit=", ".join(model.routes),
            )


# --------------------------------------------------------------------------- options


class SexChoice(StrEnum):
    female = "female"
    male = "male"


ModelOpt = Annotated[
    str, typer.Option("--model", help="Model id (see `ketaclinic models`).", show_default=False)
]
RegimenOpt = Annotated[
    Path | None,
    typer.Option(
        "--regimen",
        help="Regimen JSON file: patient and doses (times in min, amounts in mg).",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]
TimesOpt = Annotated[
    str | None,
    typer.Option(
        "--times",
        metavar="START:STOP:STEP",
        help="Output times in min (default: every min to 4 h after the last dose).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print exactly one JSON object.")]
PlotOpt = Annotated[
    Path | None, typer.Option("--plot", help="Write a plot; .png or .svg by extension.")
]


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("models")
    def models_cmd(
        json_out: bool = typer.Option(False, "--json", help="One JSON array on stdout."),
    ) -> None:
        """List the published PK models: id, drug, routes, population, citation."""
        import json

        from ketaclinic.pk.models import all_models

        rows = [
            {
                "id": m.id,
                "drug": m.drug,
                "routes": list(m.routes),
                "population": m.population,
                "citation": m.citation.short(),
            }
            for m in all_models()
        ]
        if json_out:
            print(json.dumps(rows, indent=2))
            return
        for r in rows:
            print(f"{r['id']:<20} {r['drug']:<18} {','.join(r['routes']):<40} {r['citation']}")

    @app.command("simulate", no_args_is_help=True)
    def simulate_cmd(
        model: ModelOpt,
        regimen: RegimenOpt = None,
        times: TimesOpt = None,
        json_out: JsonOpt = False,
        csv: Annotated[
            Path | None, typer.Option("--csv", help="Write every output time as CSV.")
        ] = None,
        plot: PlotOpt = None,
        effect_site: Annotated[
            str | None,
            typer.Option(
                "--effect-site",
                metavar="ID|none",
                help="Effect-site id of the model, or none (default: its measured one).",
            ),
        ] = None,
        weight_kg: Annotated[
            float | None, typer.Option("--weight-kg", help="Shorthand: patient weight, kg.")
        ] = None,
        iv_infusion_mg_per_kg: Annotated[
            float | None,
            typer.Option("--iv-infusion-mg-per-kg", help="Shorthand: IV infusion dose, mg/kg."),
        ] = None,
        over_min: Annotated[
            float | None, typer.Option("--over-min", help="Shorthand: infusion duration, min.")
        ] = None,
        age_years: Annotated[
            float | None, typer.Option("--age-years", help="Shorthand: age, years.")
        ] = None,
        sex: Annotated[SexChoice | None, typer.Option("--sex", help="Shorthand: sex.")] = None,
        window: Annotated[
            bool,
            typer.Option(
                "--window",
                help="Add the therapeutic-window report: minutes in each concentration band "
                "and the predicted peak dissociation.",
            ),
        ] = False,
        window_n: Annotated[
            int | None,
            typer.Option(
                "--window-n",
                min=100,
                max=100_000,
                help="With --window: also the probability of reaching each band over N "
                "virtual patients (the model's IIV; seed 0, reproducible).",
            ),
        ] = None,
    ) -> None:
        """Simulate one patient: plasma, effect-site and metabolite concentrations."""
        from ketaclinic.pk.models import get_model
        from ketaclinic.pk.simulate import simulate

        if plot is not None:
            _check_plot_path(plot)
        if csv is not None:
            check_output_path(csv, "--csv")
        if plot is not None and csv is not None and plot.resolve() == csv.resolve():
            raise typer.BadParameter("--csv and --plot name the same file", param_hint="'--csv'")
        if window_n is not None and not window:
            raise typer.BadParameter("needs --window", param_hint="'--window-n'")
        rf = _resolve_regimen(
            regimen,
            weight_kg,
            iv_infusion_mg_per_kg,
            over_min,
            age_years,
            None if sex is None else sex.value,
        )
        t = parse_times(times) if times is not None else None
        pk_model = get_model(model)
        site = _effect_site(pk_model, effect_site)
        _check_route(pk_model, rf)
        result = simulate(pk_model, rf.regimen, rf.patient, t, effect_site=site)
        report = None
        if window:
            from ketaclinic.pk.window import window_report

            report = window_report(pk_model, rf.regimen, rf.patient, population_n=window_n, seed=0)
        files: list[tuple[Path, Callable[[Path], None]]] = []
        if plot is not None:
            files.append((plot, _plot_writer(result, plot)))
        if csv is not None:
            files.append((csv, lambda tmp: result.to_csv(str(tmp))))
        out = result.to_dict()
        if report is not None:
            out["window"] = report.to_dict()
        text = _json_text(out) if json_out else None
        write_outputs(files)
        if text is not None:
            print(text)
            return
        from ketaclinic.cli import render

        render.print_simulation(result)
        if report is not None:
            from ketaclinic.cli.tci import print_window

            print_window(report)
        for path, _ in files:
            render.console().print(f"wrote {path}")

    from ketaclinic.cli.pk_demo import register_demo

    register_demo(app)

    from ketaclinic.cli.pk_population import register_population

    register_population(app)


def _json_text(obj: dict[str, Any]) -> str:
    import json

    return json.dumps(obj, allow_nan=False)


def _plot_writer(result: Any, path: Path, *, title: str | None = None) -> Callable[[Path], None]:
    """Render the plot now (in memory), return a writer for the bytes."""
    from ketaclinic.interop.plots import figure_bytes, plot_format, simulation_figure

    data = figure_bytes(simulation_figure(result, title=title), plot_format(path))

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    return write
