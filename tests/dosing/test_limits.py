"""Every limit of every shipped protocol at, just inside and just outside its boundary,
the override rule, and the refusal messages (field, value, unit, limit, protocol version).

Boundary practice: the limit itself, the limit +/- 1 ulp and +/- 1 % (safety reference
sheet, goal G1).
"""

import math

import pytest

from ketaclinic.dosing.library import default_library
from ketaclinic.dosing.limits import (
    Bound,
    LimitSpec,
    Override,
    Violation,
    check_choice,
    check_value,
    enforce,
)
from ketaclinic.errors import InputError, LimitError

LIB = default_library()
CASES = [
    pytest.param(p, spec, name, bound, id=f"{p.id}-{spec.field}-{name}")
    for p in LIB
    for spec in p.limits
    for name, bound in spec.bounds()
]


def _outside(value: float, side: str) -> list[float]:
    up = side == "max"
    ulp = math.nextafter(value, math.inf if up else -math.inf)
    pct = value * (1.01 if up else 0.99)
    return [ulp, pct]


def _inside(value: float, side: str) -> list[float]:
    up = side == "max"
    ulp = math.nextafter(value, -math.inf if up else math.inf)
    pct = value * (0.99 if up else 1.01)
    return [value, ulp, pct]


@pytest.mark.parametrize(("proto", "spec", "name", "bound"), CASES)
def test_boundary(proto, spec: LimitSpec, name: str, bound: Bound) -> None:
    severity, side = name.split("_")
    same_side = [
        b.value for n, b in spec.bounds() if n.endswith(side) and n != name
    ]  # the other bound on this side (soft vs hard)
    for v in _inside(bound.value, side):
        hits = [x for x in check_value(spec, v, proto.ref) if x.side == side]
        # At or inside this bound: this bound is not reported.
        assert all(h.limit != bound.value or h.severity != severity for h in hits), (v, hits)
    for v in _outside(bound.value, side):
        if any((v > o if side == "max" else v < o) for o in same_side if severity == "soft"):
            continue  # 1 % past a soft limit may already be past the hard one
        hits = [x for x in check_value(spec, v, proto.ref) if x.side == side]
        assert len(hits) == 1, (v, hits)
        assert hits[0].severity == severity
        assert hits[0].limit == bound.value


@pytest.mark.parametrize(("proto", "spec", "name", "bound"), CASES)
def test_every_refusal_names_field_value_unit_limit_protocol(
    proto, spec: LimitSpec, name: str, bound: Bound
) -> None:
    side = name.split("_")[1]
    value = bound.value * (3.0 if side == "max" else 0.5) if bound.value else -1.0
    hits = check_value(spec, value, proto.ref)
    assert hits
    v = hits[0]
    msg = v.message
    assert msg.startswith(f"{spec.field} must be ")
    assert f"for protocol {proto.id} v{proto.version} " in msg
    assert f"({v.severity} limit)" in msg
    assert msg.endswith(f" {spec.unit}".replace("ml", "mL"))
    assert v.unit == spec.unit
    err = v.error()
    assert isinstance(err, LimitError)
    assert err.field == spec.field
    assert err.value == value
    assert err.unit == spec.unit
    assert proto.ref in (err.limit or "")


def test_house_example_message() -> None:
    spec = LIB.get("depression-iv-40min").limit("dose_mg_per_kg")
    assert spec is not None
    (v,) = check_value(spec, 5.0, "depression-iv-40min v1")
    assert v.message == (
        "dose_mg_per_kg must be <= 1 mg/kg for protocol depression-iv-40min v1 "
        "(hard limit), got 5 mg/kg"
    )


def test_hard_breach_reported_once_per_side() -> None:
    spec = LIB.get("depression-iv-40min").limit("dose_mg_per_kg")
    assert spec is not None
    (v,) = check_value(spec, 2.0, "x v1")
    assert v.severity == "hard"


def _soft() -> tuple[Violation, ...]:
    spec = LIB.get("depression-iv-40min").limit("dose_mg_per_kg")
    assert spec is not None
    return tuple(check_value(spec, 0.9, "depression-iv-40min v1"))


def test_soft_without_override_refused() -> None:
    with pytest.raises(LimitError, match=r"soft limit\), got 0.9 mg/kg; an override needs"):
        enforce(_soft(), None)


@pytest.mark.parametrize(
    ("override", "missing"),
    [
        (Override(None, "Dr B"), "an override reason"),
        (Override("   ", "Dr B"), "an override reason"),
        (Override("partial responder", None), "a second clinician"),
        (Override("partial responder", ""), "a second clinician"),
        (Override("partial responder", "Dr A", "dr a"), "different from the ordering"),
    ],
)
def test_incomplete_override_refused(override: Override, missing: str) -> None:
    with pytest.raises(LimitError, match=missing):
        enforce(_soft(), override)


def test_complete_override_records_the_soft_violation() -> None:
    got = enforce(_soft(), Override("partial responder", "Dr B", "Dr A"))
    assert [v.field for v in got] == ["dose_mg_per_kg"]
    assert got[0].severity == "soft"


def test_hard_limit_cannot_be_overridden() -> None:
    spec = LIB.get("depression-iv-40min").limit("dose_mg_per_kg")
    assert spec is not None
    hard = tuple(check_value(spec, 1.5, "depression-iv-40min v1"))
    with pytest.raises(LimitError, match="hard limit"):
        enforce(hard, Override("really", "Dr B", "Dr A"))


def test_choice_refusal_names_the_list() -> None:
    with pytest.raises(LimitError) as exc:
        check_choice("concentration_mg_per_ml", 100, (10, 5), "mg/mL", "depression-iv-40min v1")
    assert str(exc.value) == (
        "concentration_mg_per_ml must be one of 10, 5 mg/mL for protocol "
        "depression-iv-40min v1 (hard limit), got 100 mg/mL"
    )
    check_choice("concentration_mg_per_ml", 10.0, (10, 5), "mg/mL", "p v1")


def test_limit_spec_refuses_bounds_out_of_order() -> None:
    b = lambda v: Bound(v, "local-default", "test")  # noqa: E731
    with pytest.raises(InputError, match="soft_max"):
        LimitSpec("dose_mg", "mg", soft_max=b(10), hard_max=b(5))
    with pytest.raises(InputError, match="unit"):
        LimitSpec("dose_mg", "mcg", hard_max=b(5))
    with pytest.raises(InputError, match="source"):
        Bound(1.0, "published", " ")
    with pytest.raises(InputError, match="basis"):
        Bound(1.0, "folklore", "x")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, "1"])
def test_non_numbers_refused(bad: object) -> None:
    spec = LimitSpec("dose_mg", "mg", hard_max=Bound(5, "local-default", "t"))
    with pytest.raises(InputError, match="dose_mg"):
        check_value(spec, bad, "p v1")  # type: ignore[arg-type]


def test_every_shipped_bound_has_provenance() -> None:
    for p in LIB:
        for spec in p.limits:
            for _, b in spec.bounds():
                assert b.basis in ("published", "unverified", "local-default")
                assert len(b.source) > 8
                if b.basis == "unverified":
                    assert "UNVERIFIED" in b.source or "unverified" in b.source.lower()
