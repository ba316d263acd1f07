"""Command group: tci, design, validate (see cli/app.py).

``tci`` runs a target-controlled infusion and prints the pump program; ``design`` finds
the infusion that reaches an exposure with dissociation kept below a level, and prints
its therapeutic-window report; ``validate`` compares a model with a NONMEM-style dataset
(Varvel metrics) and can draw the predicted-vs-observed plot.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ketaclinic.errors import InputError

__all__ = ["register"]

#: Text output shows this many pump-program rows; --json carries them all.
_MAX_ROWS = 40


def _q(value: float, unit: str) -> str:
    from ketaclinic.units import format_quantity

    return format_quantity(value, unit)


def _load_schedule(path: Path) -> Any:
    from ketaclinic.pk.tci import TargetSchedule

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.for_field("schedule", str(path), "an existing JSON file") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"schedule file {path}: invalid JSON at line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}",
            field="schedule",
            value=str(path),
            limit="valid JSON",
        ) from None
    return TargetSchedule.from_json(data)


def print_window(report: Any) -> None:
    """The therapeutic-window report as lines (``design`` and ``simulate --window``)."""
    print(
        f"peak plasma {_q(report.peak_plasma_ng_per_ml, 'ng/mL')} at "
        f"{_q(report.peak_plasma_time_min, 'min')}"
    )
    for b in report.bands:
        hi = "" if b.band.high_ng_per_ml is None else f"-{b.band.high_ng_per_ml:g}"
        print(f"  {b.band.label:<34} {b.band.low_ng_per_ml:g}{hi} ng/mL: {_q(b.minutes, 'min')}")
    print(
        f"predicted peak dissociation {report.peak_dissociation_fraction:.2f} of maximum "
        f"({report.dissociation_model.label})"
    )
    if report.population is not None:
        from ketaclinic.instruments.analytics import wilson_interval

        n = report.population[0].n
        for c in report.population:
            # [low, high] is the percentile read-out's bracket, not sampling uncertainty:
            # the Wilson 95% interval of n virtual patients says how far chance alone
            # could move the estimate (about, from the bracket's midpoint).
            lo, hi = wilson_interval(round(c.probability * n), n)
            print(
                f"  P(peak reaches {c.band.label}) = {c.probability:.3f} "
                f"(Monte-Carlo 95% CI {lo:.3f}-{hi:.3f}; read-out bracket "
                f"[{c.low:.3f}, {c.high:.3f}]), {n} virtual patients"
            )
    print(report.statement)


def register(app: typer.Typer) -> None:
    """Add this group's commands to ``app``."""

    @app.command("tci")
    def tci_cmd(
        weight_kg: Annotated[float, typer.Option("--weight-kg", help="Body weight, kg.")],
        model: Annotated[str, typer.Option("--model", help="PK model id.")] = "kamp-2020",
        target_ng_per_ml: Annotated[
            float | None,
            typer.Option("--target-ng-per-ml", help="Constant target, ng/mL (or use --schedule)."),
        ] = None,
        site: Annotated[
            str,
            typer.Option("--site", help="plasma, effect or effect-cp-limited (Van Poucke 2004)."),
        ] = "plasma",
        schedule: Annotated[
            Path | None,
            typer.Option("--schedule", help='JSON list of {"start_min", "target_ng_per_ml"}.'),
        ] = None,
        duration_min: Annotated[
            float | None, typer.Option("--duration-min", help="Run length.")
        ] = None,
        update_s: Annotated[float, typer.Option("--update-s", help="Update interval, s.")] = 10.0,
        max_rate_ml_per_h: Annotated[
            float, typer.Option("--max-rate-ml-per-h", help="Pump maximum, mL/h.")
        ] = 1200.0,
        concentration_mg_per_ml: Annotated[
            float,
            typer.Option(
                "--concentration-mg-per-ml", help="Drug concentration in the syringe, mg/mL."
            ),
        ] = 1.0,
        effect_site: Annotated[
            str | None,
            typer.Option("--effect-site", help="Effect-site id of the model (default: measured)."),
        ] = None,
        json_out: Annotated[
            bool, typer.Option("--json", help="One JSON object on stdout.")
        ] = False,
    ) -> None:
        """Target-controlled infusion: the pump program and predicted concentrations."""
        from ketaclinic.pk.models import get_model
        from ketaclinic.pk.patient import Patient
        from ketaclinic.pk.tci import SITES, PumpLimits, TargetSchedule, run_tci

        if (target_ng_per_ml is None) == (schedule is None):
            raise InputError(
                "give exactly one of --target-ng-per-ml or --schedule",
                field="target_ng_per_ml",
                value=target_ng_per_ml,
                limit="exactly one of --target-ng-per-ml, --schedule",
            )
        if site not in SITES:
            raise InputError.for_field("site", site, "one of " + ", ".join(SITES))
        sched = (
            _load_schedule(schedule)
            if schedule is not None
            else TargetSchedule.constant(float(target_ng_per_ml or 0.0))
        )
        result = run_tci(
            get_model(model),
            Patient(weight_kg=weight_kg),
            sched,
            site=site,  # type: ignore[arg-type]
            duration_min=duration_min,
            update_s=update_s,
            pump=PumpLimits(max_rate_ml_per_h, concentration_mg_per_ml),
            effect_site=effect_site,
        )
        if json_out:
            print(json.dumps(result.to_dict(), indent=2))
            return
        es = result.effect_site
        print(
            f"model {result.model_id}, {result.site} targeting, update "
            f"{_q(result.update_min * 60, 's')}"
            + ("" if es is None else f", effect site {es.label}")
        )
        print(f"pump: max {_q(max_rate_ml_per_h, 'mL/h')}, {_q(concentration_mg_per_ml, 'mg/mL')}")
        print("program (start, rate):")
        program = result.pump_program()
        for t, r in program[:_MAX_ROWS]:
            print(f"  {_q(t, 'min'):>12}  {_q(r, 'mL/h')}")
        if len(program) > _MAX_ROWS:
            print(f"  ... {len(program) - _MAX_ROWS} more rate changes (--json for all)")
        ce = result.effect_site_ng_per_ml
        print(
            f"end: plasma {_q(float(result.plasma_ng_per_ml[-1]), 'ng/mL')}"
            + ("" if ce is None else f", effect site {_q(float(ce[-1]), 'ng/mL')}")
        )
        print(f"total dose {_q(result.total_dose_mg, 'mg')} ({_q(result.total_volume_ml, 'mL')})")
        for w in result.warnings:
            print(f"warning: {w}")

    @app.command("design")
    def design_cmd(
        weight_kg: Annotated[float, typer.Option("--weight-kg", help="Body weight, kg.")],
        max_dissociation: Annotated[
            float,
            typer.Option(
                "--max-dissociation", help="Peak dissociation limit, fraction of maximum (0-1)."
            ),
        ],
        model: Annotated[str, typer.Option("--model", help="PK model id.")] = "kamp-2020",
        end_ng_per_ml: Annotated[
            float | None,
            typer.Option(
                "--end-of-infusion-ng-per-ml", help="Target plasma concentration at the end."
            ),
        ] = None,
        auc_ng_h_per_ml: Annotated[
            float | None,
            typer.Option(
                "--auc-ng-h-per-ml", help="Target plasma AUC from 0 to infinity, ng*h/mL."
            ),
        ] = None,
        min_duration_min: Annotated[float, typer.Option("--min-duration-min")] = 10.0,
        max_duration_min: Annotated[float, typer.Option("--max-duration-min")] = 240.0,
        preferred_duration_min: Annotated[float, typer.Option("--preferred-duration-min")] = 40.0,
        population_n: Annotated[
            int | None,
            typer.Option(
                "--population-n", help="Virtual patients for the band-crossing probabilities."
            ),
        ] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="Population seed.")] = None,
        max_probability: Annotated[
            float | None,
            typer.Option(
                "--max-probability",
                help="Population design: allowed probability (0-1) that peak dissociation "
                "exceeds --max-dissociation (needs --population-n >= 100; seed default 0).",
            ),
        ] = None,
        json_out: Annotated[
            bool, typer.Option("--json", help="One JSON object on stdout.")
        ] = False,
    ) -> None:
        """Design an IV infusion that reaches an exposure with dissociation kept low.

        With --max-probability P the dose is also designed over the population (the
        model's IIV and adult covariates): at the typical design's duration, the typical
        dose capped so that P(peak dissociation > level) <= P, with Monte-Carlo SEs.
        """
        from ketaclinic.pk.design import ExposureTarget, design_infusion
        from ketaclinic.pk.models import get_model
        from ketaclinic.pk.patient import Patient
        from ketaclinic.pk.window import window_report

        if (end_ng_per_ml is None) == (auc_ng_h_per_ml is None):
            raise InputError(
                "give exactly one of --end-of-infusion-ng-per-ml or --auc-ng-h-per-ml",
                field="target",
                value=None,
                limit="exactly one exposure target",
            )
        target = (
            ExposureTarget("end-of-infusion", end_ng_per_ml)
            if end_ng_per_ml is not None
            else ExposureTarget("auc", float(auc_ng_h_per_ml or 0.0))
        )
        m = get_model(model)
        patient = Patient(weight_kg=weight_kg)
        d = design_infusion(
            m,
            patient,
            target,
            max_dissociation_fraction=max_dissociation,
            duration_range_min=(min_duration_min, max_duration_min),
            preferred_duration_min=preferred_duration_min,
        )
        report = window_report(m, d.regimen, patient, population_n=population_n, seed=seed)
        pop = None
        if max_probability is not None:
            from ketaclinic.pk.design_population import design_infusion_population

            if population_n is None:
                raise InputError(
                    "--max-probability needs --population-n (at least 100 virtual patients)",
                    field="population_n",
                    value=None,
                    limit=">= 100",
                )
            pop = design_infusion_population(
                m,
                target,
                duration_min=d.duration_min,
                max_dissociation_fraction=max_dissociation,
                max_probability=max_probability,
                n=population_n,
                seed=0 if seed is None else seed,
            )
        if json_out:
            out: dict[str, object] = {"design": d.to_dict(), "window": report.to_dict()}
            if pop is not None:
                out["population_design"] = pop.to_dict()
            print(json.dumps(out, indent=2))
            return
        print(
            f"infuse {_q(d.dose_mg, 'mg')} over {_q(d.duration_min, 'min')} "
            f"({_q(d.rate_mg_per_h, 'mg/h')}), model {d.model_id}"
        )
        lo, hi = d.feasible_duration_min
        print(f"feasible durations {_q(lo, 'min')} to {_q(hi, 'min')}")
        print(
            f"end of infusion {_q(d.end_of_infusion_ng_per_ml, 'ng/mL')}, AUC(0-inf) "
            f"{_q(d.auc_ng_h_per_ml, 'ng*h/mL')}"
        )
        print_window(report)
        if pop is not None:
            print(
                f"population (n {pop.n}, seed {pop.seed}): infuse {_q(pop.dose_mg, 'mg')} over "
                f"{_q(pop.duration_min, 'min')}; P(dissociation > {max_dissociation:g}) "
                f"{pop.probability_exceed:.3f} (SE {pop.probability_exceed_se:.3f}); "
                f"P(reach target) {pop.probability_reach_target:.3f} "
                f"(SE {pop.probability_reach_target_se:.3f})"
            )
            print(pop.statement)
        for w in dict.fromkeys((*d.warnings, *report.warnings)):
            print(f"warning: {w}")

    @app.command("validate")
    def validate_cmd(
        data: Annotated[Path, typer.Option("--data", help="NONMEM-style dataset (TIME in h).")],
        model: Annotated[str, typer.Option("--model", help="PK model id.")] = "kamp-2020",
        dv_unit: Annotated[
            str, typer.Option("--dv-unit", help="Unit of DV: ng/mL or mg/L.")
        ] = "ng/mL",
        plot: Annotated[
            Path | None, typer.Option("--plot", help="Write predicted vs observed; .png or .svg.")
        ] = None,
        json_out: Annotated[
            bool, typer.Option("--json", help="One JSON object on stdout.")
        ] = False,
    ) -> None:
        """Varvel metrics (PE, MDPE, MDAPE, wobble, divergence) of a model on a dataset."""
        import numpy as np

        from ketaclinic.interop.nonmem import plot_predicted_vs_observed, read_nonmem
        from ketaclinic.pk.metrics import performance
        from ketaclinic.pk.models import get_model
        from ketaclinic.pk.simulate import simulate

        if dv_unit not in ("ng/mL", "mg/L"):
            raise InputError.for_field("dv_unit", dv_unit, "'ng/mL' or 'mg/L'")
        if plot is not None:
            from ketaclinic.interop.plots import plot_format

            plot_format(plot)  # refuse a bad extension before any work
        m = get_model(model)
        ds = read_nonmem(data, dv_unit=dv_unit)  # type: ignore[arg-type]
        ids: list[str] = []
        times: list[float] = []
        obs: list[float] = []
        pred: list[float] = []
        for s in ds.subjects:
            if not s.observations:
                continue
            t = np.array(sorted({o.time_min for o in s.observations}))
            sim = simulate(m, s.regimen, s.patient(), t, effect_site=False)
            at = dict(zip(t.tolist(), sim.plasma_mg_per_l.tolist(), strict=True))
            for o in s.observations:
                ids.append(s.id)
                times.append(o.time_min)
                obs.append(o.conc_mg_per_l)
                pred.append(at[o.time_min])
        if not ids:
            raise InputError.for_field("data", str(data), "at least one observation (EVID 0)")
        summary = performance(ids, times, obs, pred)
        if plot is not None:
            plot_predicted_vs_observed(
                plot, [p * 1000 for p in pred], [o * 1000 for o in obs], title=m.id
            )
        if json_out:
            print(json.dumps({"model": m.id, **summary.to_dict()}, indent=2))
            return
        print(f"model {m.id}: {len(summary.subjects)} subjects, {len(ids)} samples")
        for sm in summary.subjects:
            print(
                f"  {sm.subject}: MDPE {sm.mdpe_pct:.1f}%, MDAPE {sm.mdape_pct:.1f}%, wobble "
                f"{sm.wobble_pct:.1f}%"
            )
        div = summary.divergence_pct_per_h
        print(
            f"population ({summary.population_statistic}): MDPE {summary.mdpe_pct:.1f}%, "
            f"MDAPE {summary.mdape_pct:.1f}%, wobble {summary.wobble_pct:.1f}%, divergence "
            + ("n/a" if div is None else f"{div:.2f} %/h")
        )
        if plot is not None:
            print(f"plot written to {plot}")
