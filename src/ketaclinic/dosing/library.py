"""The protocol library: versioned TOML files, loaded into frozen, validated dataclasses.

Each file under ``protocols/`` holds one protocol version (``<id>.v<version>.toml``). A
malformed file (unknown key, missing source, limits out of order, a dose outside its own
hard limits, ...) is refused with an :class:`~ketaclinic.errors.InputError` naming the file
and the key; nothing is half-loaded. The library rules are checked by
:class:`~ketaclinic.dosing.protocol.Protocol` itself.

Examples
--------
>>> lib = default_library()
>>> lib.get("depression-iv-40min").ref
'depression-iv-40min v1'
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ketaclinic.dosing.limits import BASES, LIMIT_FIELDS, Bound, LimitSpec
from ketaclinic.dosing.protocol import (
    CONCENTRATION_RATIO_MAX,
    Device,
    DoseBasis,
    Phase,
    Protocol,
)
from ketaclinic.dosing.weight import WeightPolicy
from ketaclinic.errors import InputError, NotFoundError, real_number

__all__ = [
    "CONCENTRATION_RATIO_MAX",
    "Device",
    "DoseBasis",
    "Phase",
    "Protocol",
    "ProtocolLibrary",
    "default_library",
    "load_library",
    "load_protocol_file",
    "protocols_dir",
]

# --------------------------------------------------------------------------- loading


class _Reader:
    """Typed access to one TOML table; every error names the file and the key path."""

    def __init__(self, data: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        self.data = data
        self.where = where
        unknown = sorted(set(data) - allowed)
        if unknown:
            key = f"{where}.{unknown[0]}" if where else unknown[0]
            raise InputError(
                f"unknown key '{key}' (known: {', '.join(sorted(allowed))}); unknown keys "
                "are refused so that a typo never drops a limit",
                field=key,
                value=unknown[0],
                limit="a known key",
            )

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        v = self.data.get(key)
        if v is None and not required:
            return default
        if not isinstance(v, str) or not v.strip():
            raise InputError.for_field(self._path(key), v, "a non-empty string")
        return v

    def number(self, key: str, *, required: bool = True) -> float | None:
        v = self.data.get(key)
        if v is None and not required:
            return None
        return real_number(self._path(key), v)

    def numbers(self, key: str, *, required: bool = True) -> tuple[float, ...]:
        v = self.data.get(key)
        if v is None and not required:
            return ()
        if not isinstance(v, list) or not all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in v
        ):
            raise InputError.for_field(self._path(key), v, "a list of finite numbers")
        return tuple(float(x) for x in v)

    def table(self, key: str, *, required: bool = True) -> Mapping[str, Any] | None:
        v = self.data.get(key)
        if v is None and not required:
            return None
        if not isinstance(v, dict):
            raise InputError.for_field(self._path(key), v, "a table")
        return v

    def tables(self, key: str) -> list[Mapping[str, Any]]:
        v = self.data.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
            raise InputError.for_field(self._path(key), v, "an array of tables")
        return v


_BOUND_KEYS = ("soft_min", "soft_max", "hard_min", "hard_max")


def _bound(data: Any, where: str) -> Bound:
    if not isinstance(data, dict):
        raise InputError.for_field(where, data, "a table {value, basis, source}")
    r = _Reader(data, where, {"value", "basis", "source"})
    value = r.number("value")
    basis = r.text("basis")
    if basis not in BASES:
        raise InputError.for_field(f"{where}.basis", basis, f"one of {', '.join(BASES)}")
    assert value is not None
    return Bound(value, basis, r.text("source"))  # type: ignore[arg-type]


def _limit(name: str, data: Any, where: str) -> LimitSpec:
    if name not in LIMIT_FIELDS:
        raise InputError.for_field(where, name, f"one of {', '.join(LIMIT_FIELDS)}")
    if not isinstance(data, dict):
        raise InputError.for_field(where, data, "a table of bounds")
    r = _Reader(data, where, {"unit", *_BOUND_KEYS})
    unit = r.text("unit", required=False, default=LIMIT_FIELDS[name])
    if unit != LIMIT_FIELDS[name]:
        raise InputError.for_field(f"{where}.unit", unit, f"'{LIMIT_FIELDS[name]}'")
    bounds = {k: _bound(data[k], f"{where}.{k}") for k in _BOUND_KEYS if k in data}
    if not bounds:
        raise InputError.for_field(where, "{}", "at least one bound")
    return LimitSpec(name, unit, **bounds)


_TOP_KEYS = {
    "id",
    "version",
    "title",
    "drug",
    "route",
    "indication",
    "source",
    "dose_basis",
    "standard_doses",
    "standard_doses_source",
    "default_duration_min",
    "concentrations_mg_per_ml",
    "concentrations_basis",
    "concentrations_source",
    "weight_policy",
    "limits",
    "device",
    "first_session_doses",
    "first_session_source",
    "schedule",
    "notes",
}


def _protocol(data: Mapping[str, Any]) -> Protocol:
    r = _Reader(data, "", _TOP_KEYS)
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InputError.for_field("version", version, "an integer >= 1")
    wp_data = r.table("weight_policy")
    assert wp_data is not None
    wr = _Reader(wp_data, "weight_policy", {"basis", "above_bmi", "basis_kind", "source"})
    policy = WeightPolicy(
        basis=wr.text("basis"),  # type: ignore[arg-type]
        above_bmi=wr.number("above_bmi", required=False),
        basis_kind=wr.text("basis_kind"),
        source=wr.text("source"),
    )
    limits_data = r.table("limits")
    assert limits_data is not None
    limits = tuple(_limit(k, v, f"limits.{k}") for k, v in limits_data.items())
    device = None
    dev = r.table("device", required=False)
    if dev is not None:
        dr = _Reader(dev, "device", {"mg_per_device", "source"})
        mg = dr.number("mg_per_device")
        assert mg is not None
        if mg <= 0:
            raise InputError.for_field("device.mg_per_device", mg, "> 0 mg", unit="mg")
        device = Device(mg, dr.text("source"))
    phases = []
    for i, ph in enumerate(r.tables("schedule")):
        where = f"schedule[{i}]"
        pr = _Reader(
            ph,
            where,
            {
                "phase",
                "description",
                "source",
                "sessions",
                "weeks",
                "min_interval_days",
                "max_interval_days",
            },
        )
        sessions = ph.get("sessions")
        if sessions is not None and (
            isinstance(sessions, bool) or not isinstance(sessions, int) or sessions < 1
        ):
            raise InputError.for_field(f"{where}.sessions", sessions, "an integer >= 1")
        phases.append(
            Phase(
                name=pr.text("phase"),
                description=pr.text("description"),
                source=pr.text("source"),
                sessions=sessions,
                weeks=pr.text("weeks", required=False, default="") or None,
                min_interval_days=pr.number("min_interval_days", required=False),
                max_interval_days=pr.number("max_interval_days", required=False),
            )
        )
    notes = data.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise InputError.for_field("notes", notes, "a list of strings")
    conc_basis = r.text("concentrations_basis", required=False, default="local-default")
    if conc_basis not in BASES:
        raise InputError.for_field("concentrations_basis", conc_basis, f"one of {BASES}")
    return Protocol(
        id=r.text("id"),
        version=version,
        title=r.text("title"),
        drug=r.text("drug"),
        route=r.text("route"),
        indication=r.text("indication"),
        source=r.text("source"),
        dose_basis=r.text("dose_basis"),  # type: ignore[arg-type]
        standard_doses=r.numbers("standard_doses"),
        standard_doses_source=r.text("standard_doses_source"),
        weight_policy=policy,
        limits=limits,
        default_duration_min=r.number("default_duration_min", required=False),
        concentrations_mg_per_ml=r.numbers("concentrations_mg_per_ml", required=False),
        concentrations_basis=conc_basis,  # type: ignore[arg-type]
        concentrations_source=r.text("concentrations_source", required=False, default=""),
        device=device,
        first_session_doses=r.numbers("first_session_doses", required=False),
        first_session_source=r.text("first_session_source", required=False, default=""),
        schedule=tuple(phases),
        notes=tuple(notes),
    )


def load_protocol_file(path: str | Path) -> Protocol:
    """Load and validate one protocol file.

    Raises
    ------
    InputError
        The file cannot be parsed or fails validation; the message starts with the file name.
    """
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p.name}: not valid TOML ({exc})", field=p.name, value=str(exc)) from exc
    except OSError as exc:
        raise InputError(f"{p.name}: cannot be read ({exc})", field=p.name) from exc
    try:
        proto = _protocol(data)
    except InputError as exc:
        raise InputError(
            f"{p.name}: {exc.message}",
            field=exc.field,
            value=exc.value,
            unit=exc.unit,
            limit=exc.limit,
        ) from exc
    expected = f"{proto.id}.v{proto.version}.toml"
    if p.name != expected:
        raise InputError.for_field(f"{p.name}: file name", p.name, f"'{expected}' (id and version)")
    return proto


@dataclass(frozen=True)
class ProtocolLibrary:
    """All protocol versions; :meth:`get` returns the latest unless a version is asked."""

    protocols: tuple[Protocol, ...]

    def __post_init__(self) -> None:
        seen: set[tuple[str, int]] = set()
        for p in self.protocols:
            if (p.id, p.version) in seen:
                raise InputError.for_field("protocol", p.ref, "unique (id, version)")
            seen.add((p.id, p.version))

    def ids(self) -> tuple[str, ...]:
        return tuple(sorted({p.id for p in self.protocols}))

    def latest(self) -> tuple[Protocol, ...]:
        """The newest version of each protocol, sorted by id."""
        return tuple(self.get(i) for i in self.ids())

    def __iter__(self) -> Iterator[Protocol]:
        return iter(self.latest())

    def get(self, protocol_id: str, version: int | None = None) -> Protocol:
        """One protocol by id (and version).

        Raises
        ------
        NotFoundError
            Unknown id or version; the message lists the known ids.
        """
        matches = [p for p in self.protocols if p.id == protocol_id]
        if version is not None:
            matches = [p for p in matches if p.version == version]
        if not matches:
            known = ", ".join(self.ids())
            what = protocol_id if version is None else f"{protocol_id} v{version}"
            raise NotFoundError(
                f"protocol '{what}' not found; known protocols: {known}",
                field="protocol",
                value=what,
                limit=f"one of {known}",
            )
        return max(matches, key=lambda p: p.version)


def protocols_dir() -> Path:
    """The package's protocol directory (shipped as package data)."""
    return Path(__file__).with_name("protocols")


def load_library(directory: str | Path | None = None) -> ProtocolLibrary:
    """Load every ``*.toml`` file of ``directory`` (default: the shipped protocols)."""
    d = Path(directory) if directory is not None else protocols_dir()
    files = sorted(d.glob("*.toml"))
    if not files:
        raise NotFoundError(f"no protocol files in {d}", field="directory", value=str(d))
    return ProtocolLibrary(tuple(load_protocol_file(f) for f in files))


@cache
def default_library() -> ProtocolLibrary:
    """The shipped library, loaded once."""
    return load_library()
