"""Locations, treatment chairs and chair-monitor devices (no patient data)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ketaclinic.clinic import schemas
from ketaclinic.clinic.security import DEVICE_PREFIX, new_token
from ketaclinic.clinic.services.context import Ctx
from ketaclinic.clinic.services.errors import conflict, not_found
from ketaclinic.clinic.tables import Chair, Device, Location

__all__ = ["create_chair", "create_device", "create_location", "list_chairs", "list_locations"]


def create_location(ctx: Ctx, body: schemas.LocationCreate) -> Location:
    ctx.require("site.manage")
    loc = Location(name=body.name)
    ctx.db.add(loc)
    try:
        ctx.db.flush()
    except IntegrityError:
        ctx.db.rollback()
        raise conflict(f"location {body.name} exists", field="body.name", value=body.name) from None
    ctx.audit("C", "location.create", f"Location/{loc.id}")
    ctx.db.commit()
    return loc


def list_locations(ctx: Ctx) -> list[Location]:
    ctx.require("site.read")
    return list(ctx.db.scalars(select(Location).order_by(Location.name)))


def create_chair(ctx: Ctx, location_id: uuid.UUID, body: schemas.ChairCreate) -> Chair:
    ctx.require("site.manage")
    if ctx.db.get(Location, location_id) is None:
        raise not_found("location", location_id)
    chair = Chair(location_id=location_id, label=body.label)
    ctx.db.add(chair)
    try:
        ctx.db.flush()
    except IntegrityError:
        ctx.db.rollback()
        raise conflict(
            f"chair {body.label} exists at this location", field="body.label", value=body.label
        ) from None
    ctx.audit("C", "chair.create", f"Chair/{chair.id}")
    ctx.db.commit()
    return chair


def list_chairs(ctx: Ctx) -> list[Chair]:
    ctx.require("site.read")
    return list(ctx.db.scalars(select(Chair).order_by(Chair.location_id, Chair.label)))


def create_device(ctx: Ctx, chair_id: uuid.UUID, body: schemas.DeviceCreate) -> tuple[Device, str]:
    """Register a chair monitor; its token is returned once and stored only as SHA-256."""
    ctx.require("site.manage")
    if ctx.db.get(Chair, chair_id) is None:
        raise not_found("chair", chair_id)
    token, digest = new_token(DEVICE_PREFIX)
    dev = Device(chair_id=chair_id, name=body.name, token_sha256=digest)
    ctx.db.add(dev)
    ctx.db.flush()
    ctx.audit("C", "device.create", f"Device/{dev.id}")
    ctx.db.commit()
    return dev, token
