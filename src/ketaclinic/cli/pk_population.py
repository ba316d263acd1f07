"""The ``population`` command of the pk group (see cli/pk.py): virtual patients with
covariates and IIV, percentiles and exceedance per time, a progress bar on long runs."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ketaclinic.cli.pk import (
    JsonOpt,
    ModelOpt,
    PlotOpt,
    TimesOpt,
    _as_option,
    _check_plot_path,
    _check_route,
    _effect_site,
    _json_text,
    parse_times,
    write_outputs,
)

if TYPE_CHECKING:  # pragma: no cover
    from ketaclinic.interop.regimen_json import RegimenFile
    from ketaclinic.pk.model import PKModel

__all__ = ["register_population"]


class CovariatesChoice(StrEnum):
    fixed = "fixed"
    adults = "adults"
    herd_2007_children = "herd-2007-children"


def _covariates(choice: CovariatesChoice, rf: RegimenFile) -> Any:
    """``--covariates``: the file's patient for everyone, or a distribution."""
    from ketaclinic.pk.covariates import ADULTS_ASSUMED, HERD_2007_CHILDREN

    if choice is CovariatesChoice.fixed:
        return rf.patient
    if choice is CovariatesChoice.adults:
        return ADULTS_ASSUMED
    return HERD_2007_CHILDREN


def register_population(app: typer.Typer) -> None:
    """The population command."""

    @app.command("population", no_args_is_help=True)
    def population_cmd(
        model: ModelOpt,
        regimen: Annotated[
            Path,
            typer.Option(
                "--regimen",
                help="Regimen JSON file (the same doses for every virtual patient).",
                exists=True,
                dir_okay=False,
                readable=True,
                show_default=False,
            ),
        ],
        n: Annotated[int, typer.Option("--n", help="Number of virtual patients.")],
        seed: Annotated[
            int | None,
            typer.Option("--seed", help="Makes the run reproducible (default: drawn, reported)."),
        ] = None,
        times: TimesOpt = None,
        json_out: JsonOpt = False,
        plot: PlotOpt = None,
        covariates: Annotated[
            CovariatesChoice,
            typer.Option(
                "--covariates",
                help="fixed: every virtual patient is the file's patient (variability from "
                "the model's published IIV); adults: generic adults (an ASSUMPTION, 70 kg "
                "SD 14, 18-80 years); herd-2007-children: the Herd 2007 study population.",
            ),
        ] = CovariatesChoice.fixed,
        residual_error: Annotated[
            bool,
            typer.Option("--residual-error", help="Add the model's published residual error."),
        ] = False,
        threshold_ng_per_ml: Annotated[
            list[float] | None,
            typer.Option(
                "--threshold-ng-per-ml",
                help="Report the fraction of patients above this plasma value (repeatable).",
            ),
        ] = None,
        effect_site: Annotated[
            str | None,
            typer.Option(
                "--effect-site",
                metavar="ID|none",
                help="Also the effect site (an id of the model); default none.",
            ),
        ] = None,
    ) -> None:
        """Simulate N virtual patients: percentiles per time and summary statistics."""
        from ketaclinic.interop.regimen_json import load_regimen
        from ketaclinic.pk.models import get_model

        if plot is not None:
            _check_plot_path(plot)
        t = parse_times(times) if times is not None else None
        rf = load_regimen(regimen)
        pk_model = get_model(model)
        site = _effect_site(pk_model, effect_site)
        _check_route(pk_model, rf)
        from ketaclinic.cli import render
        from ketaclinic.pk.population import simulate_population

        with render.progress_reporter(n if n > 0 else 1, description="virtual patients") as bar:
            pop = _as_option(
                "--n",
                "n",
                lambda: _as_option(
                    "--seed",
                    "seed",
                    lambda: simulate_population(
                        pk_model,
                        rf.regimen,
                        t,
                        n=n,
                        seed=seed,
                        covariates=_covariates(covariates, rf),
                        residual_error=residual_error,
                        thresholds_ng_per_ml=tuple(threshold_ng_per_ml or ()),
                        effect_site=site,
                        progress=lambda done, _total: bar(done),
                    ),
                ),
            )
        files: list[tuple[Path, Callable[[Path], None]]] = []
        if plot is not None:
            files.append((plot, _population_plot_writer(pop, pk_model, rf, plot)))
        text = _json_text(pop.to_dict()) if json_out else None
        write_outputs(files)
        if text is not None:
            print(text)
            return
        render.print_population_result(pop, pk_model, rf)
        if plot is not None:
            render.console().print(f"wrote {plot}")


def _population_plot_writer(
    pop: Any, model: PKModel, rf: RegimenFile, path: Path
) -> Callable[[Path], None]:
    from ketaclinic.interop.plots import figure_bytes, plot_format, population_figure
    from ketaclinic.interop.regimen_json import describe_regimen

    fig = population_figure(
        pop.time_min,
        pop.percentiles,
        title=f"{describe_regimen(rf.regimen)} — {pop.n:,} virtual patients",
        subtitle=f"Model {model.id} (version {model.version}): {model.citation.short()}. "
        f"Covariates: {pop.covariates}. Seed {pop.seed}.",
        warnings=pop.warnings,
        regimen=rf.regimen,
        n=pop.n,
        drug=str(model.drug),
    )
    data = figure_bytes(fig, plot_format(path))

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    return write
