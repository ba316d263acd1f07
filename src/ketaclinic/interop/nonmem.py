"""NONMEM-style datasets: import and export, and the predicted-vs-observed plot.

Layout (one row per event, a header line of column names; comma- or whitespace-separated;
lines starting with ``#`` are comments; ``.`` is a missing value):

===== ===================================================================================
ID    subject; rows of one subject are contiguous
TIME  event time in **hours** since the subject's reference (actual clock times)
AMT   dose in mg (0 or ``.`` on observation rows)
RATE  zero-order infusion rate in mg/h (0 or ``.``: a bolus); -1/-2 (model-estimated)
      are refused (their handling is UNVERIFIED here)
CMT   compartment number (kept as read; the route comes from ``cmt_routes``)
EVID  0 observation, 1 dose; 2, 3, 4 are refused (UNVERIFIED semantics here)
DV    observed value (plasma concentration in ``dv_unit``)
MDV   1 when DV is missing (dose rows)
DVID  optional endpoint number; other columns are covariates (WT in kg, AGE in years,
      SEX as ``female``/``male``: numeric sex codes are refused as ambiguous)
===== ===================================================================================

Source: clinical-practice reference, section 4.3 (NONMEM-style dataset for
pharmacometric exchange). ADDL, II and SS are refused when non-zero (not expanded here).
Any malformed file is refused with the line and the column, and nothing is written on an
invalid export (files are written to a temporary name and renamed).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ketaclinic.errors import DomainError, InputError
from ketaclinic.interop.atomic import atomic_write
from ketaclinic.pk.patient import Patient
from ketaclinic.pk.regimen import Dose, Regimen
from ketaclinic.units import MG_PER_L_TO_NG_PER_ML

__all__ = [
    "REQUIRED_COLUMNS",
    "NonmemDataset",
    "NonmemFormatError",
    "Observation",
    "Subject",
    "parse_nonmem",
    "plot_predicted_vs_observed",
    "read_nonmem",
    "to_nonmem_text",
    "write_nonmem",
]

REQUIRED_COLUMNS = ("ID", "TIME", "AMT", "EVID", "DV", "MDV")
_KNOWN = ("ID", "TIME", "AMT", "RATE", "CMT", "EVID", "DV", "MDV", "DVID")
_UNSUPPORTED = ("ADDL", "II", "SS")
MIN_PER_H = 60.0
DvUnit = Literal["ng/mL", "mg/L"]


class NonmemFormatError(InputError):
    """A malformed NONMEM file: names the line and the column."""

    @classmethod
    def at(cls, line: int, column: int | None, name: str | None, problem: str) -> NonmemFormatError:
        where = f"line {line}" + (f", column {column}" if column is not None else "")
        if name:
            where += f" ({name})"
        return cls(f"{where}: {problem}", field=name, value=line, limit=problem)


@dataclass(frozen=True)
class Observation:
    """An observed plasma concentration, mg/L, at ``time_min``."""

    time_min: float
    conc_mg_per_l: float
    dvid: int | None = None
    cmt: int | None = None


@dataclass(frozen=True)
class Subject:
    """One subject: doses (with their NONMEM compartment), observations, covariates."""

    id: str
    regimen: Regimen
    observations: tuple[Observation, ...] = ()
    covariates: Mapping[str, str] = field(default_factory=dict)
    dose_cmt: tuple[int, ...] = ()

    def patient(self) -> Patient:
        """The patient from the WT (kg), AGE (years) and SEX (female/male) covariates."""
        wt = self.covariates.get("WT")
        if wt is None or wt == ".":
            raise InputError.for_field(
                f"WT of subject {self.id}", "missing", "a body weight column WT in kg", unit="kg"
            )
        age = self.covariates.get("AGE")
        sex = self.covariates.get("SEX")
        sex_value: Literal["female", "male"] | None = None
        if sex not in (None, "."):
            low = str(sex).strip().lower()
            if low not in ("female", "male"):
                raise InputError.for_field(
                    f"SEX of subject {self.id}",
                    sex,
                    "'female' or 'male' (numeric codes are ambiguous)",
                )
            sex_value = "female" if low == "female" else "male"
        return Patient(
            weight_kg=_as_float(wt, f"WT of subject {self.id}", "kg"),
            age_years=None if age in (None, ".") else _as_float(age, f"AGE of {self.id}", "years"),
            sex=sex_value,
        )


def _as_float(text: str, name: str, unit: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise InputError.for_field(name, text, f"a number in {unit}", unit=unit) from None
    return v


@dataclass(frozen=True)
class NonmemDataset:
    subjects: tuple[Subject, ...]
    dv_unit: DvUnit = "ng/mL"

    def subject(self, sid: str) -> Subject:
        for s in self.subjects:
            if s.id == sid:
                return s
        raise InputError.for_field("ID", sid, "an ID present in the dataset")


def _split(line: str, comma: bool) -> list[str]:
    return [f.strip() for f in line.split(",")] if comma else line.split()


def _num(
    text: str, line: int, col: int, name: str, *, missing_ok: bool, integer: bool = False
) -> float | None:
    if text in (".", ""):
        if missing_ok:
            return None
        raise NonmemFormatError.at(line, col, name, "a value is required, got '.'")
    try:
        v = float(text)
    except ValueError:
        raise NonmemFormatError.at(line, col, name, f"must be a number, got {text!r}") from None
    if not math.isfinite(v):
        raise NonmemFormatError.at(line, col, name, f"must be finite, got {text!r}")
    if integer and v != int(v):
        raise NonmemFormatError.at(line, col, name, f"must be an integer, got {text!r}")
    return v


def parse_nonmem(
    text: str,
    *,
    dv_unit: DvUnit = "ng/mL",
    cmt_routes: Mapping[int, str] | None = None,
) -> NonmemDataset:
    """Parse a NONMEM-style dataset (see the module docstring).

    ``cmt_routes`` maps a CMT number to a route for extravascular doses (e.g.
    ``{1: "intranasal"}``); a dose into any other compartment is IV (a bolus when RATE is 0
    or missing, an infusion otherwise).

    Examples
    --------
    >>> ds = parse_nonmem("ID,TIME,AMT,RATE,CMT,EVID,DV,MDV,WT\\n"
    ...                   "1,0,35,52.5,1,1,.,1,70\\n1,1,0,0,1,0,210,0,70\\n")
    >>> s = ds.subjects[0]
    >>> s.regimen.doses[0].infusion_duration_min, s.observations[0].time_min
    (40.0, 60.0)
    """
    if dv_unit not in ("ng/mL", "mg/L"):
        raise InputError.for_field("dv_unit", dv_unit, "'ng/mL' or 'mg/L'")
    dv_scale = 1.0 / MG_PER_L_TO_NG_PER_ML if dv_unit == "ng/mL" else 1.0
    routes = dict(cmt_routes or {})
    lines = text.splitlines()
    header: list[str] | None = None
    comma = False
    header_line = 0
    rows: list[tuple[int, list[str]]] = []
    for no, raw in enumerate(lines, start=1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if header is None:
            comma = "," in s
            header = [h.upper() for h in _split(s, comma)]
            header_line = no
            continue
        rows.append((no, _split(s, comma)))
    if header is None:
        raise NonmemFormatError.at(1, None, None, "the file has no header line")
    for i, h in enumerate(header, start=1):
        if not h:
            raise NonmemFormatError.at(header_line, i, None, "empty column name")
        if header.index(h) != i - 1:
            raise NonmemFormatError.at(header_line, i, h, "repeated column name")
    for req in REQUIRED_COLUMNS:
        if req not in header:
            raise NonmemFormatError.at(
                header_line,
                None,
                req,
                f"required column {req} is missing (required: {', '.join(REQUIRED_COLUMNS)})",
            )
    col = {h: i for i, h in enumerate(header)}
    covariate_names = [h for h in header if h not in _KNOWN and h not in _UNSUPPORTED]
    if not rows:
        raise NonmemFormatError.at(header_line, None, None, "the file has no data rows")

    per_subject: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    last_id: str | None = None
    for no, fields in rows:
        if len(fields) != len(header):
            raise NonmemFormatError.at(
                no,
                min(len(fields), len(header)) + 1,
                None,
                f"expected {len(header)} columns, got {len(fields)}",
            )

        def get(
            name: str,
            *,
            missing_ok: bool,
            integer: bool = False,
            fields: list[str] = fields,
            no: int = no,
        ) -> float | None:
            if name not in col:
                return None
            i = col[name]
            return _num(fields[i], no, i + 1, name, missing_ok=missing_ok, integer=integer)

        sid = fields[col["ID"]]
        if sid in ("", "."):
            raise NonmemFormatError.at(no, col["ID"] + 1, "ID", "a subject ID is required")
        if sid != last_id and sid in per_subject:
            raise NonmemFormatError.at(
                no, col["ID"] + 1, "ID", f"rows of subject {sid} must be contiguous"
            )
        last_id = sid
        for name in _UNSUPPORTED:
            v = get(name, missing_ok=True)
            if v not in (None, 0.0):
                raise NonmemFormatError.at(
                    no, col[name] + 1, name, f"{name} is not supported (must be 0 or '.')"
                )
        t_h = get("TIME", missing_ok=False)
        assert t_h is not None
        if t_h < 0:
            raise NonmemFormatError.at(no, col["TIME"] + 1, "TIME", f"must be >= 0 h, got {t_h:g}")
        evid = get("EVID", missing_ok=False, integer=True)
        if evid not in (0.0, 1.0):
            raise NonmemFormatError.at(
                no, col["EVID"] + 1, "EVID", f"must be 0 (observation) or 1 (dose), got {evid:g}"
            )
        mdv = get("MDV", missing_ok=False, integer=True)
        if mdv not in (0.0, 1.0):
            raise NonmemFormatError.at(no, col["MDV"] + 1, "MDV", f"must be 0 or 1, got {mdv:g}")
        cmt_v = get("CMT", missing_ok=True, integer=True)
        cmt = None if cmt_v is None else int(cmt_v)
        subj = per_subject.setdefault(
            sid, {"doses": [], "cmt": [], "obs": [], "cov": {}, "t": -1.0, "t_line": 0, "first": no}
        )
        if sid not in order:
            order.append(sid)
            subj["cov"] = {c: fields[col[c]] for c in covariate_names}
        if t_h < subj["t"]:
            raise NonmemFormatError.at(
                no,
                col["TIME"] + 1,
                "TIME",
                f"times of subject {sid} must not decrease, got {t_h:g} h after "
                f"{subj['t']:g} h (line {subj['t_line']})",
            )
        subj["t"], subj["t_line"] = t_h, no
        t_min = t_h * MIN_PER_H
        if evid == 1:
            if mdv != 1:
                raise NonmemFormatError.at(no, col["MDV"] + 1, "MDV", "must be 1 on a dose row")
            amt = get("AMT", missing_ok=False)
            assert amt is not None
            if amt <= 0:
                raise NonmemFormatError.at(
                    no, col["AMT"] + 1, "AMT", f"must be > 0 mg on a dose row, got {amt:g}"
                )
            rate = get("RATE", missing_ok=True) or 0.0
            if rate < 0:
                raise NonmemFormatError.at(
                    no,
                    col["RATE"] + 1,
                    "RATE",
                    f"must be >= 0 mg/h (model-estimated -1/-2 are not supported), got {rate:g}",
                )
            route = (
                routes.get(cmt, "iv-infusion" if rate > 0 else "iv-bolus")
                if cmt
                else ("iv-infusion" if rate > 0 else "iv-bolus")
            )
            if rate > 0 and route != "iv-infusion":
                raise NonmemFormatError.at(
                    no,
                    col["RATE"] + 1,
                    "RATE",
                    f"a rate needs an IV compartment, CMT {cmt} is mapped to {route}",
                )
            try:
                dose = Dose(
                    route,  # type: ignore[arg-type]
                    amt,
                    start_min=t_min,
                    rate_mg_per_h=rate if rate > 0 else None,
                )
            except DomainError as exc:
                raise NonmemFormatError.at(no, col["AMT"] + 1, "AMT", str(exc)) from None
            subj["doses"].append(dose)
            subj["cmt"].append(cmt if cmt is not None else 1)
        else:
            amt = get("AMT", missing_ok=True)
            if amt not in (None, 0.0):
                raise NonmemFormatError.at(
                    no, col["AMT"] + 1, "AMT", "must be 0 or '.' on an observation row"
                )
            dv = get("DV", missing_ok=mdv == 1)
            if mdv == 1:
                continue
            assert dv is not None
            if dv < 0:
                raise NonmemFormatError.at(no, col["DV"] + 1, "DV", f"must be >= 0, got {dv:g}")
            dvid_v = get("DVID", missing_ok=True, integer=True)
            subj["obs"].append(
                Observation(t_min, dv * dv_scale, None if dvid_v is None else int(dvid_v), cmt)
            )
    subjects = []
    for sid in order:
        d = per_subject[sid]
        if not d["doses"]:
            raise NonmemFormatError.at(
                d["first"], col["EVID"] + 1, "EVID", f"subject {sid} has no dose row (EVID 1)"
            )
        subjects.append(
            Subject(
                id=sid,
                regimen=Regimen(tuple(d["doses"])),
                observations=tuple(d["obs"]),
                covariates=d["cov"],
                dose_cmt=tuple(d["cmt"]),
            )
        )
    return NonmemDataset(tuple(subjects), dv_unit)


def read_nonmem(
    path: str | os.PathLike[str],
    *,
    dv_unit: DvUnit = "ng/mL",
    cmt_routes: Mapping[int, str] | None = None,
) -> NonmemDataset:
    """Read a file (see :func:`parse_nonmem`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.for_field("data", str(p), "an existing file") from None
    except UnicodeDecodeError as exc:
        raise InputError.for_field("data", str(p), f"UTF-8 text ({exc.reason})") from None
    return parse_nonmem(text, dv_unit=dv_unit, cmt_routes=cmt_routes)


def _fmt(x: float) -> str:
    return format(x, ".10g")


def to_nonmem_text(dataset: NonmemDataset | Sequence[Subject]) -> str:
    """The dataset as comma-separated text (TIME in h, AMT mg, RATE mg/h, DV in the
    dataset's unit; covariates after the standard columns)."""
    ds = dataset if isinstance(dataset, NonmemDataset) else NonmemDataset(tuple(dataset))
    dv_scale = MG_PER_L_TO_NG_PER_ML if ds.dv_unit == "ng/mL" else 1.0
    covs: list[str] = []
    for s in ds.subjects:
        for c in s.covariates:
            name = c.upper()
            if name in _KNOWN or name in _UNSUPPORTED:
                raise InputError.for_field("covariates", c, "a name other than a standard column")
            if name not in covs:
                covs.append(name)
    has_dvid = any(o.dvid is not None for s in ds.subjects for o in s.observations)
    header = ["ID", "TIME", "AMT", "RATE", "CMT", "EVID", "DV", "MDV"]
    if has_dvid:
        header.append("DVID")
    header += covs
    out = [",".join(header)]
    for s in ds.subjects:
        if not s.id or any(ch in s.id for ch in ", \t\n"):
            raise InputError.for_field("ID", s.id, "non-empty, without commas or spaces")
        cov_vals = [str(s.covariates.get(c, s.covariates.get(c.lower(), "."))) for c in covs]
        events: list[tuple[float, int, list[str]]] = []
        for k, d in enumerate(s.regimen.doses):
            if d.route not in ("iv-bolus", "iv-infusion") and not s.dose_cmt:
                raise InputError.for_field(
                    "route", d.route, "iv-bolus or iv-infusion unless dose_cmt is given"
                )
            cmt = s.dose_cmt[k] if k < len(s.dose_cmt) else 1
            rate = d.rate_mg_per_min * MIN_PER_H if d.route == "iv-infusion" else 0.0
            row = [
                s.id,
                _fmt(d.start_min / MIN_PER_H),
                _fmt(d.amount_mg),
                _fmt(rate),
                str(cmt),
                "1",
                ".",
                "1",
            ]
            if has_dvid:
                row.append(".")
            events.append((d.start_min, 0, row + cov_vals))
        for o in s.observations:
            if not (math.isfinite(o.conc_mg_per_l) and o.conc_mg_per_l >= 0):
                raise InputError.for_field("DV", o.conc_mg_per_l, ">= 0", unit="mg/L")
            if not (math.isfinite(o.time_min) and o.time_min >= 0):
                raise InputError.for_field("TIME", o.time_min, ">= 0", unit="min")
            row = [
                s.id,
                _fmt(o.time_min / MIN_PER_H),
                "0",
                "0",
                str(o.cmt if o.cmt is not None else 1),
                "0",
                _fmt(o.conc_mg_per_l * dv_scale),
                "0",
            ]
            if has_dvid:
                row.append("." if o.dvid is None else str(o.dvid))
            events.append((o.time_min, 1, row + cov_vals))
        events.sort(key=lambda e: (e[0], e[1]))
        out.extend(",".join(r) for _, _, r in events)
    return "\n".join(out) + "\n"


def write_nonmem(path: str | os.PathLike[str], dataset: NonmemDataset | Sequence[Subject]) -> None:
    """Write the dataset; the text is built (and validated) before anything is written, and
    the file appears whole or not at all."""
    text = to_nonmem_text(dataset)
    atomic_write(Path(path), text.encode("utf-8"))


def plot_predicted_vs_observed(
    path: str | os.PathLike[str],
    predicted_ng_per_ml: Sequence[float],
    observed_ng_per_ml: Sequence[float],
    *,
    title: str = "",
) -> None:
    """Predicted against observed concentrations (ng/mL, log-log) with the line of
    identity, written as PNG or SVG by the file extension (through
    :func:`ketaclinic.interop.plots.save_figure`: object API, temporary file, rename)."""
    from matplotlib.figure import Figure

    from ketaclinic.interop.plots import plot_format, save_figure

    pred = [float(v) for v in predicted_ng_per_ml]
    obs = [float(v) for v in observed_ng_per_ml]
    if len(pred) != len(obs) or not pred:
        raise InputError.for_field("observed", len(obs), f"{len(pred)} values like predicted")
    plot_format(Path(path))  # refuses an unknown extension before drawing
    fig = Figure(figsize=(5.5, 5.5))
    ax = fig.add_subplot()
    ax.scatter(pred, obs, s=12, label="samples")
    pos = [v for v in pred + obs if v > 0]
    lo, hi = (min(pos), max(pos)) if pos else (1.0, 10.0)
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=1, label="identity")
    if pos:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel("predicted (ng/mL)")
    ax.set_ylabel("observed (ng/mL)")
    ax.set_title(title)
    ax.legend()
    save_figure(fig, Path(path))
