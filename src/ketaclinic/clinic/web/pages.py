"""Page routes: one Jinja2 template per page; data comes from the API in the browser."""

from __future__ import annotations

import uuid
from functools import lru_cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ketaclinic.monitoring.scales import CADSS6_ITEMS
from ketaclinic.pk.bands import NO_ANTIDEPRESSANT_CR

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)

#: (path, label) of the main navigation, in order.
NAV = (
    ("/dashboard", "Dashboard"),
    ("/schedule", "Schedule"),
    ("/patients", "Patients"),
    ("/orders", "Dose order"),
    ("/workbench", "Simulation"),
    ("/outcomes", "Outcomes"),
    ("/admin", "Admin"),
)

#: Security headers for every page: no inline scripts, everything from this origin.
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=1)
def _env() -> Environment:
    from ketaclinic.clinic.web import TEMPLATE_DIR

    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"])
    )


def _page(template: str, title: str, active: str, **extra: object) -> HTMLResponse:
    html = (
        _env()
        .get_template(template)
        .render(title=title, nav=NAV, active=active, statement=NO_ANTIDEPRESSANT_CR, **extra)
    )
    return HTMLResponse(html, headers=_HEADERS)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/login")
def login_page() -> HTMLResponse:
    return _page("login.html", "Sign in", "")


@router.get("/dashboard")
def dashboard_page() -> HTMLResponse:
    return _page("dashboard.html", "Dashboard", "/dashboard")


@router.get("/sessions/{session_id}")
def session_page(session_id: uuid.UUID) -> HTMLResponse:
    return _page(
        "session.html",
        "Session monitor",
        "/dashboard",
        session_id=str(session_id),
        cadss6_items=CADSS6_ITEMS,
    )


@router.get("/orders")
def orders_page() -> HTMLResponse:
    return _page("orders.html", "Dose order", "/orders")


@router.get("/workbench")
def workbench_page() -> HTMLResponse:
    return _page("workbench.html", "Simulation workbench", "/workbench")


@router.get("/patients")
def patients_page() -> HTMLResponse:
    return _page("patients.html", "Patients", "/patients")


@router.get("/patients/{patient_id}")
def patient_page(patient_id: uuid.UUID) -> HTMLResponse:
    return _page("patient.html", "Patient chart", "/patients", patient_id=str(patient_id))


@router.get("/schedule")
def schedule_page() -> HTMLResponse:
    return _page("schedule.html", "Schedule", "/schedule")


@router.get("/outcomes")
def outcomes_page() -> HTMLResponse:
    return _page("outcomes.html", "Outcomes", "/outcomes")


@router.get("/account")
def account_page() -> HTMLResponse:
    return _page("account.html", "Your account", "/account")


@router.get("/admin")
def admin_page() -> HTMLResponse:
    return _page("admin.html", "Admin", "/admin")
