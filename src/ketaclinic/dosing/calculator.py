"""Protocol + patient -> dose (mg), volume (mL), pump rate (mL/h), end time, devices.

Every order goes through the protocol's limits (:mod:`ketaclinic.dosing.limits`): a hard
limit refuses, a soft limit needs an :class:`~ketaclinic.dosing.limits.Override` (reason
and a second clinician), recorded on the result. Canonical units inside: mg, kg, min,
mg/h, mg/mL; the pump rate in mL/h is derived once, at the end.

Examples
--------
>>> r = calculate("depression-iv-40min", 70, dose_mg_per_kg=0.5, concentration_mg_per_ml=10)
>>> r.dose_mg, r.volume_ml, r.pump_rate_ml_per_h, r.end_min
(35.0, 3.5, 5.25, 40.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ketaclinic.dosing.library import Protocol, ProtocolLibrary, default_library
from ketaclinic.dosing.limits import (
    Override,
    Violation,
    check_choice,
    check_value,
    enforce,
)
from ketaclinic.dosing.weight import DosingWeight, WeightPolicy, dosing_weight
from ketaclinic.errors import InputError, LimitError, real_number
from ketaclinic.units import format_quantity

if TYPE_CHECKING:  # pragma: no cover
    from ketaclinic.pk.regimen import Regimen

__all__ = ["DeviceDose", "DoseResult", "calculate", "check_order"]

MIN_PER_H = 60.0


def _number(name: str, value: object, unit: str) -> float:
    return real_number(name, value, unit, positive=True)


@dataclass(frozen=True)
class DeviceDose:
    """One nasal-spray device: its number (1-based), time from the first device, and mg."""

    index: int
    time_min: float
    mg: float


@dataclass(frozen=True)
class DoseResult:
    """A checked, accepted order (refused orders raise instead)."""

    protocol_id: str
    protocol_version: int
    route: str
    drug: str
    weight: DosingWeight
    dose_mg: float
    dose_mg_per_kg: float | None
    duration_min: float | None
    rate_mg_per_h: float | None
    rate_mg_per_kg_per_h: float | None
    concentration_mg_per_ml: float | None
    volume_ml: float | None
    pump_rate_ml_per_h: float | None
    end_min: float
    devices: tuple[DeviceDose, ...] = ()
    device_interval_min: float | None = None
    monitoring_until_min: float | None = None
    session_number: int = 1
    start: datetime | None = None
    overridden: tuple[Violation, ...] = ()
    override: Override | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def protocol_ref(self) -> str:
        return f"{self.protocol_id} v{self.protocol_version}"

    @property
    def end_time(self) -> datetime | None:
        """Wall-clock end of administration (when ``start`` was given)."""
        return None if self.start is None else self.start + timedelta(minutes=self.end_min)

    @property
    def monitoring_until(self) -> datetime | None:
        if self.start is None or self.monitoring_until_min is None:
            return None
        return self.start + timedelta(minutes=self.monitoring_until_min)

    def to_regimen(self) -> Regimen:
        """This dose as a one-dose :class:`~ketaclinic.pk.regimen.Regimen`, for simulation.

        >>> calculate("depression-iv-40min", 70).to_regimen().doses[0].rate_mg_per_min
        0.875
        """
        from ketaclinic.pk.regimen import Dose, Regimen

        if self.route == "iv-infusion":
            dose = Dose("iv-infusion", amount_mg=self.dose_mg, duration_min=self.duration_min)
        elif self.route == "intranasal":
            dose = Dose(
                "intranasal", amount_mg=self.dose_mg, device_interval_min=self.device_interval_min
            )
        else:
            dose = Dose(self.route, amount_mg=self.dose_mg)  # type: ignore[arg-type]
        return Regimen((dose,))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (numbers unrounded, units in the names)."""
        return {
            "protocol": self.protocol_id,
            "version": self.protocol_version,
            "route": self.route,
            "drug": self.drug,
            "session_number": self.session_number,
            "weight": self.weight.to_dict(),
            "dose_mg": self.dose_mg,
            "dose_mg_per_kg": self.dose_mg_per_kg,
            "duration_min": self.duration_min,
            "rate_mg_per_h": self.rate_mg_per_h,
            "rate_mg_per_kg_per_h": self.rate_mg_per_kg_per_h,
            "concentration_mg_per_ml": self.concentration_mg_per_ml,
            "volume_ml": self.volume_ml,
            "pump_rate_ml_per_h": self.pump_rate_ml_per_h,
            "end_min": self.end_min,
            "start": None if self.start is None else self.start.isoformat(),
            "end_time": None if self.end_time is None else self.end_time.isoformat(),
            "devices": [
                {"index": d.index, "time_min": d.time_min, "mg": d.mg} for d in self.devices
            ],
            "device_interval_min": self.device_interval_min,
            "monitoring_until_min": self.monitoring_until_min,
            "overridden": [v.to_dict() for v in self.overridden],
            "override": None if self.override is None else self.override.to_dict(),
            "warnings": list(self.warnings),
        }

    def lines(self) -> list[str]:
        """Human-readable summary; every number through the one formatter."""
        q = format_quantity
        w = self.weight
        out = [f"protocol: {self.protocol_ref} ({self.drug}, {self.route})"]
        wline = (
            f"dosing weight: {q(w.weight_kg, 'kg')} ({w.basis_used}; actual {q(w.actual_kg, 'kg')}"
        )
        if w.bmi_kg_per_m2 is not None:
            wline += f", BMI {q(w.bmi_kg_per_m2, 'kg/m2')}"
        if w.ideal_kg is not None:
            wline += f", IBW {q(w.ideal_kg, 'kg')}"
        if w.adjusted_kg is not None:
            wline += f", AdjBW {q(w.adjusted_kg, 'kg')}"
        out.append(wline + ")")
        dose = f"dose: {q(self.dose_mg, 'mg')}"
        if self.dose_mg_per_kg is not None:
            dose += f" ({q(self.dose_mg_per_kg, 'mg/kg')})"
        out.append(dose)
        if self.concentration_mg_per_ml is not None and self.volume_ml is not None:
            out.append(
                f"volume: {q(self.volume_ml, 'mL')} at {q(self.concentration_mg_per_ml, 'mg/mL')}"
            )
        if self.duration_min is not None and self.rate_mg_per_h is not None:
            rate = f"rate: {q(self.rate_mg_per_h, 'mg/h')}"
            if self.rate_mg_per_kg_per_h is not None:
                rate += f" ({q(self.rate_mg_per_kg_per_h, 'mg/kg/h')})"
            if self.pump_rate_ml_per_h is not None:
                rate += f" = pump {q(self.pump_rate_ml_per_h, 'mL/h')}"
            out.append(rate + f" over {q(self.duration_min, 'min')}")
        for d in self.devices:
            out.append(f"device {d.index}: {q(d.mg, 'mg')} at {q(d.time_min, 'min')}")
        end = f"end of administration: {q(self.end_min, 'min')}"
        if self.end_time is not None:
            end += f" ({self.end_time.isoformat(timespec='minutes')})"
        out.append(end)
        if self.monitoring_until_min is not None:
            mon = f"monitor until at least: {q(self.monitoring_until_min, 'min')}"
            if self.monitoring_until is not None:
                mon += f" ({self.monitoring_until.isoformat(timespec='minutes')})"
            out.append(mon)
        for v in self.overridden:
            out.append(f"OVERRIDDEN soft limit: {v.message}")
        if self.override is not None and self.overridden:
            out.append(
                f"override reason: {self.override.reason}; second clinician: "
                f"{self.override.second_clinician}"
            )
        out.extend(f"warning: {m}" for m in self.warnings)
        return out


def _resolve(protocol: Protocol | str, library: ProtocolLibrary | None) -> Protocol:
    if isinstance(protocol, Protocol):
        return protocol
    return (library or default_library()).get(protocol)


def check_order(
    protocol: Protocol | str,
    weight_kg: float,
    *,
    height_cm: float | None = None,
    sex: str | None = None,
    dose_mg_per_kg: float | None = None,
    dose_mg: float | None = None,
    duration_min: float | None = None,
    concentration_mg_per_ml: float | None = None,
    session_number: int = 1,
    device_interval_min: float | None = None,
    monitoring_min: float | None = None,
    weight_policy: WeightPolicy | None = None,
    library: ProtocolLibrary | None = None,
    start: datetime | None = None,
) -> tuple[DoseResult, tuple[Violation, ...]]:
    """Compute an order and list every limit it breaches, without enforcing them.

    Input errors (non-numbers, a concentration outside the protocol's list, a nasal dose
    that is not whole devices) still raise. :func:`calculate` is this plus
    :func:`~ketaclinic.dosing.limits.enforce`; the error-catch matrix uses it directly.
    """
    p = _resolve(protocol, library)
    ref = p.ref
    w_actual = _number("weight_kg", weight_kg, "kg")
    if height_cm is not None:
        _number("height_cm", height_cm, "cm")
    if sex is not None and sex not in ("female", "male"):
        raise InputError.for_field("sex", sex, "'female' or 'male'")
    if (
        isinstance(session_number, bool)
        or not isinstance(session_number, int)
        or session_number < 1
    ):
        raise InputError.for_field("session_number", session_number, "an integer >= 1")
    violations: list[Violation] = []

    def check(name: str, value: float) -> None:
        spec = p.limit(name)
        if spec is not None:
            violations.extend(check_value(spec, value, ref))

    check("weight_kg", w_actual)
    policy = weight_policy or p.weight_policy
    dw = dosing_weight(policy, w_actual, height_cm=height_cm, sex=sex)

    # The dose, in the protocol's own dosing unit.
    per_kg: float | None
    if p.dose_basis == "mg_per_kg":
        if dose_mg is not None:
            raise InputError.for_field(
                "dose_mg", dose_mg, f"left out: protocol {ref} is dosed in mg/kg (dose_mg_per_kg)"
            )
        per_kg = p.standard_doses[0] if dose_mg_per_kg is None else dose_mg_per_kg
        per_kg = _number("dose_mg_per_kg", per_kg, "mg/kg")
        total_mg = per_kg * dw.weight_kg
        check("dose_mg_per_kg", per_kg)
    else:
        if dose_mg_per_kg is not None:
            raise InputError.for_field(
                "dose_mg_per_kg",
                dose_mg_per_kg,
                f"left out: protocol {ref} has fixed doses in mg (dose_mg)",
            )
        per_kg = None
        if dose_mg is None:
            first = p.first_session_doses if session_number == 1 and p.first_session_doses else ()
            dose_mg = first[0] if first else p.standard_doses[0]
        total_mg = _number("dose_mg", dose_mg, "mg")
    check("dose_mg", total_mg)

    warnings = list(dw.warnings)
    devices: tuple[DeviceDose, ...] = ()
    gap: float | None = None
    monitoring_until: float | None = None
    end_min = 0.0
    if p.device is not None:
        per = p.device.mg_per_device
        n = total_mg / per
        if n < 1 or abs(n - round(n)) > 1e-9:
            raise LimitError(
                f"dose_mg must be a whole number of {format_quantity(per, 'mg')} devices for "
                f"protocol {ref} (hard limit), got {format_quantity(total_mg, 'mg')}",
                field="dose_mg",
                value=total_mg,
                unit="mg",
                limit=f"a multiple of {per:g} mg (hard limit, {ref})",
            )
        if session_number == 1 and p.first_session_doses:
            check_choice("dose_mg at session 1", total_mg, p.first_session_doses, "mg", ref)
        spec = p.limit("device_interval_min")
        default_gap = spec.hard_min.value if spec is not None and spec.hard_min else 5.0
        gap = default_gap if device_interval_min is None else device_interval_min
        gap = _number("device_interval_min", gap, "min")
        check("device_interval_min", gap)
        devices = tuple(DeviceDose(i + 1, i * gap, per) for i in range(round(n)))
        end_min = devices[-1].time_min
        mspec = p.limit("monitoring_min")
        default_mon = mspec.hard_min.value if mspec is not None and mspec.hard_min else 120.0
        mon = default_mon if monitoring_min is None else monitoring_min
        mon = _number("monitoring_min", mon, "min")
        check("monitoring_min", mon)
        # Conservative: the 2 h run from the LAST device (and so also from the first).
        monitoring_until = end_min + mon
    elif device_interval_min is not None or monitoring_min is not None:
        raise InputError.for_field(
            "device_interval_min", device_interval_min, f"left out: protocol {ref} has no devices"
        )

    rate_mg_per_h = rate_per_kg = duration = None
    if p.is_infusion:
        assert p.default_duration_min is not None
        duration = p.default_duration_min if duration_min is None else duration_min
        duration = _number("duration_min", duration, "min")
        check("duration_min", duration)
        # Multiply before dividing, and derive the per-kg rate from the entered mg/kg (not
        # from mg/h / kg): an order exactly on a dose limit then lands exactly on the
        # matching rate limit instead of one rounding error above it.
        rate_mg_per_h = total_mg * MIN_PER_H / duration
        if per_kg is not None:
            rate_per_kg = per_kg * MIN_PER_H / duration
        else:
            rate_per_kg = rate_mg_per_h / dw.weight_kg
        check("rate_mg_per_kg_per_h", rate_per_kg)
        check("rate_mg_per_h", rate_mg_per_h)
        end_min = duration
    elif duration_min is not None:
        raise InputError.for_field(
            "duration_min", duration_min, f"left out: route {p.route} is not an infusion"
        )

    conc = volume = pump = None
    if p.concentrations_mg_per_ml:
        conc = (
            p.concentrations_mg_per_ml[0]
            if concentration_mg_per_ml is None
            else (concentration_mg_per_ml)
        )
        conc = _number("concentration_mg_per_ml", conc, "mg/mL")
        check_choice("concentration_mg_per_ml", conc, p.concentrations_mg_per_ml, "mg/mL", ref)
        volume = total_mg / conc
        if rate_mg_per_h is not None:
            pump = rate_mg_per_h / conc
    elif concentration_mg_per_ml is not None:
        raise InputError.for_field(
            "concentration_mg_per_ml",
            concentration_mg_per_ml,
            f"left out: protocol {ref} has no standard concentration (solid unit doses)",
        )

    result = DoseResult(
        protocol_id=p.id,
        protocol_version=p.version,
        route=p.route,
        drug=p.drug,
        weight=dw,
        dose_mg=total_mg,
        dose_mg_per_kg=per_kg,
        duration_min=duration,
        rate_mg_per_h=rate_mg_per_h,
        rate_mg_per_kg_per_h=rate_per_kg,
        concentration_mg_per_ml=conc,
        volume_ml=volume,
        pump_rate_ml_per_h=pump,
        end_min=end_min,
        devices=devices,
        device_interval_min=gap,
        monitoring_until_min=monitoring_until,
        session_number=session_number,
        start=start,
        warnings=tuple(warnings),
    )
    return result, tuple(violations)


def calculate(
    protocol: Protocol | str,
    weight_kg: float,
    *,
    height_cm: float | None = None,
    sex: str | None = None,
    dose_mg_per_kg: float | None = None,
    dose_mg: float | None = None,
    duration_min: float | None = None,
    concentration_mg_per_ml: float | None = None,
    session_number: int = 1,
    device_interval_min: float | None = None,
    monitoring_min: float | None = None,
    override: Override | None = None,
    weight_policy: WeightPolicy | None = None,
    library: ProtocolLibrary | None = None,
    start: datetime | None = None,
) -> DoseResult:
    """Compute and check one order; refuse it or return the programmed dose.

    Parameters
    ----------
    protocol : Protocol or str
        A protocol or its id (latest version of the shipped library).
    weight_kg : float
        Actual body weight on the day, kg.
    height_cm, sex : optional
        For the dosing-weight policy (BMI, Devine IBW).
    dose_mg_per_kg : float, optional
        For weight-based protocols; default the protocol's first standard dose.
    dose_mg : float, optional
        For fixed-dose protocols (esketamine); default the first-session or standard dose.
    duration_min : float, optional
        Infusions only; default the protocol's duration.
    concentration_mg_per_ml : float, optional
        Must be one of the protocol's standard concentrations; default the first.
    session_number : int
        1-based session in the course (esketamine: session 1 has its own dose rule).
    device_interval_min, monitoring_min : float, optional
        Intranasal devices only; defaults are the label minima (5 min, 120 min).
    override : Override, optional
        Reason and second clinician for soft limits; recorded on the result.
    weight_policy : WeightPolicy, optional
        Replaces the protocol's policy (a configurable local choice).
    start : datetime, optional
        Wall-clock start, to report end times.

    Returns
    -------
    DoseResult

    Raises
    ------
    LimitError
        A hard limit, or a soft limit without a complete override.
    InputError
        Malformed input.
    NotFoundError
        Unknown protocol id.
    """
    result, violations = check_order(
        protocol,
        weight_kg,
        height_cm=height_cm,
        sex=sex,
        dose_mg_per_kg=dose_mg_per_kg,
        dose_mg=dose_mg,
        duration_min=duration_min,
        concentration_mg_per_ml=concentration_mg_per_ml,
        session_number=session_number,
        device_interval_min=device_interval_min,
        monitoring_min=monitoring_min,
        weight_policy=weight_policy,
        library=library,
        start=start,
    )
    overridden = enforce(violations, override)
    warnings = result.warnings
    if override is not None and not overridden:
        warnings = (*warnings, "an override was given but no soft limit was exceeded")
    return replace(
        result,
        overridden=overridden,
        override=override if overridden else None,
        warnings=warnings,
    )
