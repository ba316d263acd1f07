"""The pre-session checklist of a treatment session, and the gate on starting a dose.

Items (clinical-practice sheet section 2.2, "what clinics record"; ketaminesoftware.com
compliance checklist [S20], spravatorems.com [S10]):

- ``fasting``: hours since the last food and the last liquid, against
  :data:`FASTING_FOOD_H` / :data:`FASTING_LIQUID_H` (configurable defaults, UNVERIFIED);
- ``escort``: the escort's name and phone confirmed (ride home; Spravato label [S7],
  FDA REMS [S9]);
- ``baseline_vitals``: a reading of this session exists before the start;
- ``questionnaire``: a pre-session questionnaire for this session or the same day;
- ``consent``: the course's consent is valid (:func:`services.consents.require_valid_consent`);
- ``rems`` (esketamine protocols only): the patient's Spravato REMS enrolment id and date.

Each item is met, unmet, overridden (prescriber, documented reason) or not applicable.
The consent and REMS items cannot be overridden. :func:`require_complete` refuses (409)
naming every unmet item; ``administration.start`` calls it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ketaclinic.clinic.schemas_checklist import ChecklistOverride, ChecklistRecord
from ketaclinic.clinic.services.consents import require_valid_consent
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import ServiceError
from ketaclinic.clinic.services.rule_sets import session_protocol
from ketaclinic.clinic.services.sessions import load_session
from ketaclinic.clinic.tables import StaffUser, TreatmentSession, VitalReading
from ketaclinic.clinic.tables_checklist import SessionChecklistEntry
from ketaclinic.clinic.tables_questionnaires import QuestionnaireResponse
from ketaclinic.dosing.library import default_library
from ketaclinic.errors import DomainError

__all__ = [
    "FASTING_FOOD_H",
    "FASTING_LIQUID_H",
    "ITEMS",
    "NOT_OVERRIDABLE",
    "checklist",
    "is_esketamine",
    "override",
    "record",
    "require_complete",
]

#: Hours without food before dosing: a configurable default (Spravato: "no food for 2 h";
#: secondary source, nervanamedical.com / droracle.ai esketamine precautions [S48],
#: UNVERIFIED against the Spravato label).
FASTING_FOOD_H = 2.0
#: Hours without liquids before dosing: "no liquids for 30 min" (same source, UNVERIFIED).
FASTING_LIQUID_H = 0.5
_FASTING_SOURCE = (
    "Configurable default, UNVERIFIED against the Spravato label: no food for 2 h and no "
    "liquids for 30 min before dosing (nervanamedical.com / droracle.ai esketamine "
    "precautions, secondary); racemic IV: NPO per protocol (ketaminesoftware.com "
    "compliance checklist)"
)
_SOURCES = {
    "fasting": _FASTING_SOURCE,
    "escort": "Ride home / escort arranged: Spravato label (spravatohcp.com) and FDA Spravato "
    "REMS (accessdata.fda.gov REMS=386): no driving until the next day",
    "baseline_vitals": "Baseline BP/HR/SpO2 before dosing: ketaminesoftware.com IV-therapy EHR "
    "guide; Spravato label (assess BP before dosing)",
    "questionnaire": "Pre-session PRO (e.g. PHQ-9) and suicide screen: ketaminesoftware.com "
    "guide; Osmind measurement-based care",
    "consent": "Consent on file, re-signed per form version (ketaminesoftware.com compliance "
    "checklist); checked by services/consents.py",
    "rems": "Spravato REMS: patient enrolled before the first outpatient treatment, Patient "
    "Enrollment Form signed by patient and prescriber (spravatorems.com; FDA REMS=386)",
}
_LABELS = {
    "fasting": "Fasting",
    "escort": "Escort confirmed",
    "baseline_vitals": "Baseline vitals recorded",
    "questionnaire": "Pre-session questionnaire",
    "consent": "Consent valid",
    "rems": "Spravato REMS enrolment",
}
ITEMS = tuple(_LABELS)
NOT_OVERRIDABLE = frozenset({"consent", "rems"})


@dataclass(frozen=True)
class _State:
    state: str  # met | unmet | overridden | not_applicable
    detail: str


def is_esketamine(protocol_id: str | None) -> bool:
    """True when the protocol (dosing library) gives esketamine."""
    if protocol_id is None:
        return False
    try:
        return default_library().get(protocol_id).esketamine
    except DomainError:
        return protocol_id.startswith("esketamine")


def _latest(ctx: Ctx, sid: uuid.UUID) -> dict[tuple[str, str], SessionChecklistEntry]:
    rows = ctx.db.scalars(
        select(SessionChecklistEntry)
        .where(SessionChecklistEntry.session_id == sid)
        .order_by(SessionChecklistEntry.recorded_at, SessionChecklistEntry.id)
    )
    return {(r.item, r.kind): r for r in rows}


def _hours(now: datetime, at: datetime) -> float:
    return (now - at) / timedelta(hours=1)


def _fasting(entry: SessionChecklistEntry | None, now: datetime) -> _State:
    if entry is None:
        return _State("unmet", "last food and liquid times not recorded")
    food_h = _hours(now, datetime.fromisoformat(entry.data["last_food_at"]))
    liquid_h = _hours(now, datetime.fromisoformat(entry.data["last_liquid_at"]))
    detail = (
        f"{food_h:.1f} h since food (>= {FASTING_FOOD_H:g} h), {liquid_h:.1f} h since liquids "
        f"(>= {FASTING_LIQUID_H:g} h)"
    )
    ok = food_h >= FASTING_FOOD_H and liquid_h >= FASTING_LIQUID_H
    return _State("met" if ok else "unmet", detail)


def _computed(ctx: Ctx, s: TreatmentSession, item: str, now: datetime) -> _State:
    db = ctx.db
    if item == "baseline_vitals":
        n = db.scalar(
            select(func.count())
            .select_from(VitalReading)
            .where(VitalReading.session_id == s.id, VitalReading.measured_at <= now)
        )
        return _State("met" if n else "unmet", f"{n or 0} reading(s) of this session")
    if item == "questionnaire":
        day0 = datetime(now.year, now.month, now.day, tzinfo=now.tzinfo)
        n = db.scalar(
            select(func.count())
            .select_from(QuestionnaireResponse)
            .where(
                (QuestionnaireResponse.session_id == s.id)
                | (
                    (QuestionnaireResponse.patient_id == s.patient_id)
                    & (QuestionnaireResponse.administered_at >= day0)
                    & (QuestionnaireResponse.administered_at < day0 + timedelta(days=1))
                )
            )
        )
        return _State("met" if n else "unmet", f"{n or 0} response(s) for this session/day")
    # consent
    if s.course_id is None:
        return _State("not_applicable", "session without a course: consent is per course")
    try:
        require_valid_consent(db, s.course_id)
    except ServiceError as exc:
        return _State("unmet", exc.message)
    return _State("met", "the current version of every published form is signed")


def _names(ctx: Ctx, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = ctx.db.execute(select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(ids)))
    return {r.id: r.display_name for r in rows}


def _evaluate(ctx: Ctx, s: TreatmentSession) -> dict[str, Any]:
    now = ctx.clock()
    protocol_id = session_protocol(ctx.db, s)
    esk = is_esketamine(protocol_id)
    latest = _latest(ctx, s.id)
    names = _names(ctx, {e.recorded_by for e in latest.values()})
    items = []
    for item in ITEMS:
        rec = latest.get((item, "record"))
        if item == "fasting":
            st = _fasting(rec, now)
        elif item == "escort":
            st = (
                _State("met", f"{rec.data['escort_name']}, {rec.data['escort_phone']}")
                if rec
                else _State("unmet", "escort name and phone not confirmed")
            )
        elif item == "rems":
            if not esk:
                st = _State("not_applicable", f"protocol {protocol_id or 'none'} is not esketamine")
            elif rec is None:
                st = _State("unmet", "REMS patient enrolment id and date not recorded")
            else:
                st = _State(
                    "met",
                    f"REMS enrolment {rec.data['rems_patient_id']} on "
                    f"{rec.data['rems_enrolled_on']}",
                )
        else:
            st = _computed(ctx, s, item, now)
        ov = latest.get((item, "override"))
        if st.state == "unmet" and ov is not None and item not in NOT_OVERRIDABLE:
            st = _State("overridden", st.detail)
        items.append(
            {
                "item": item,
                "label": _LABELS[item],
                "state": st.state,
                "detail": st.detail,
                "source": _SOURCES[item],
                "overridable": item not in NOT_OVERRIDABLE,
                "data": rec.data if rec else None,
                "recorded_by": names.get(rec.recorded_by) if rec else None,
                "recorded_at": rec.recorded_at if rec else None,
                "override": (
                    {
                        "reason": ov.reason,
                        "by": names.get(ov.recorded_by),
                        "at": ov.recorded_at,
                    }
                    if ov
                    else None
                ),
            }
        )
    unmet = [i["item"] for i in items if i["state"] == "unmet"]
    return {
        "session_id": s.id,
        "protocol_id": protocol_id,
        "esketamine": esk,
        "fasting_food_h": FASTING_FOOD_H,
        "fasting_liquid_h": FASTING_LIQUID_H,
        "complete": not unmet,
        "unmet": unmet,
        "items": items,
    }


def checklist(ctx: Ctx, session_id: uuid.UUID) -> dict[str, Any]:
    """Every item's state, detail, source and record (audited read)."""
    ctx.require("checklist.read")
    s = load_session(ctx, session_id)
    out = _evaluate(ctx, s)
    ctx.audit("R", "checklist.read", f"TreatmentSession/{s.id}/checklist", s.patient_id)
    ctx.db.commit()
    return out


def _missing(field: str, item: str) -> ServiceError:
    return ServiceError(
        422, "validation_error", f"{field} is required for the {item} item",
        field=f"body.{field}", limit=f"present for item {item}",
    )  # fmt: skip


def _data(body: ChecklistRecord, now: datetime, today: date) -> dict[str, Any]:
    fields = {
        "fasting": ("last_food_at", "last_liquid_at"),
        "escort": ("escort_name", "escort_phone"),
        "rems": ("rems_patient_id", "rems_enrolled_on"),
    }[body.item]
    given = body.model_dump(exclude_none=True, exclude={"item"})
    extra = sorted(set(given) - set(fields))
    if extra:
        raise ServiceError(
            422, "validation_error", f"{extra[0]} does not belong to the {body.item} item",
            field=f"body.{extra[0]}", value=str(given[extra[0]]),
            limit=f"only {', '.join(fields)}",
        )  # fmt: skip
    for f in fields:
        if f not in given:
            raise _missing(f, body.item)
    for f in ("last_food_at", "last_liquid_at"):
        if f in given and given[f] > now:
            raise ServiceError(
                422, "validation_error", f"{f} is in the future ({given[f].isoformat()})",
                field=f"body.{f}", value=given[f].isoformat(), limit=f"<= {now.isoformat()}",
            )  # fmt: skip
    if "rems_enrolled_on" in given and given["rems_enrolled_on"] > today:
        raise ServiceError(
            422, "validation_error", "rems_enrolled_on must be on or before today",
            field="body.rems_enrolled_on", value=given["rems_enrolled_on"].isoformat(),
            limit=f"<= {today.isoformat()} (enrolment precedes the treatment)",
        )  # fmt: skip
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in given.items()}


def record(ctx: Ctx, session_id: uuid.UUID, body: ChecklistRecord) -> dict[str, Any]:
    """A nurse records one item (fasting times, escort, REMS enrolment)."""
    ctx.require("checklist.record")
    s = load_session(ctx, session_id)
    now = ctx.clock()
    row = SessionChecklistEntry(
        session_id=s.id, item=body.item, kind="record", data=_data(body, now, now.date()),
        recorded_by=ctx.principal.id, recorded_at=now,
    )  # fmt: skip
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "checklist.record", f"SessionChecklistEntry/{row.id}", s.patient_id)
    out = _evaluate(ctx, s)
    ctx.db.commit()
    return out


def override(ctx: Ctx, session_id: uuid.UUID, body: ChecklistOverride) -> dict[str, Any]:
    """A prescriber overrides an overridable item with a documented reason (stored)."""
    ctx.require("checklist.override")
    s = load_session(ctx, session_id)
    if body.item in NOT_OVERRIDABLE:
        raise ServiceError(
            422, "not_overridable",
            f"the {body.item} item cannot be overridden: record it instead",
            field="body.item", value=body.item,
            limit="one of " + ", ".join(i for i in ITEMS if i not in NOT_OVERRIDABLE),
        )  # fmt: skip
    row = SessionChecklistEntry(
        session_id=s.id, item=body.item, kind="override", data={}, reason=body.reason,
        recorded_by=ctx.principal.id, recorded_at=ctx.clock(),
    )  # fmt: skip
    ctx.db.add(row)
    ctx.db.flush()
    ctx.audit("C", "checklist.override", f"SessionChecklistEntry/{row.id}", s.patient_id)
    out = _evaluate(ctx, s)
    ctx.db.commit()
    return out


def require_complete(ctx: Ctx, s: TreatmentSession) -> None:
    """Refuse (409 ``checklist_incomplete``) naming every unmet item of the session."""
    out = _evaluate(ctx, s)
    if out["unmet"]:
        details = "; ".join(
            f"{i['item']} ({i['detail']})" for i in out["items"] if i["state"] == "unmet"
        )
        raise ServiceError(
            409, "checklist_incomplete",
            f"the pre-session checklist of session {s.id} is incomplete: {details}",
            field="checklist", value=", ".join(out["unmet"]),
            limit="every item met, or overridden by a prescriber (not consent or REMS)",
        )  # fmt: skip
