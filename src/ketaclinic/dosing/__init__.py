"""Safe dosing: the protocol library, hard/soft limits, the dose calculator.

* :mod:`ketaclinic.dosing.protocol` - one protocol (frozen dataclass, library rules).
* :mod:`ketaclinic.dosing.library` - versioned protocol files (``protocols/*.toml``).
* :mod:`ketaclinic.dosing.limits` - hard limits refuse; soft limits need an override.
* :mod:`ketaclinic.dosing.weight` - actual, ideal (Devine) or adjusted body weight.
* :mod:`ketaclinic.dosing.calculator` - protocol + patient -> mg, mL, mL/h, devices.
* :mod:`ketaclinic.dosing.errorcatch` - the error-catch matrix
  (``python -m ketaclinic.dosing.errorcatch``).
* :mod:`ketaclinic.dosing.report` - the library as Markdown
  (``python -m ketaclinic.dosing.report``).

Every limit carries its source or is marked a configurable local default; none is a
validated clinical limit until a pharmacist or physician signs it off.
"""

from __future__ import annotations

from ketaclinic.dosing.calculator import DeviceDose, DoseResult, calculate, check_order
from ketaclinic.dosing.library import Protocol, ProtocolLibrary, default_library, load_library
from ketaclinic.dosing.limits import Bound, LimitSpec, Override, Violation
from ketaclinic.dosing.protocol import is_esketamine_drug
from ketaclinic.dosing.weight import DosingWeight, WeightPolicy, dosing_weight

__all__ = [
    "Bound",
    "DeviceDose",
    "DoseResult",
    "DosingWeight",
    "LimitSpec",
    "Override",
    "Protocol",
    "ProtocolLibrary",
    "Violation",
    "WeightPolicy",
    "calculate",
    "check_order",
    "default_library",
    "dosing_weight",
    "is_esketamine_drug",
    "load_library",
]
