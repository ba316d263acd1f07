"""API schemas for the chair-monitor batch upload of vital-sign readings."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from ketaclinic.clinic.schemas import AlertPublic, ReadingCreate, _In, _Out

__all__ = ["MAX_BATCH_READINGS", "BatchItemPublic", "ReadingBatchCreate", "ReadingBatchPublic"]

#: Most readings one batch may carry (a monitor's backlog is sent in several batches).
MAX_BATCH_READINGS = 200


class ReadingBatchCreate(_In):
    """Up to ``MAX_BATCH_READINGS`` readings, each with its ``device_seq``."""

    readings: Annotated[list[ReadingCreate], Field(min_length=1, max_length=MAX_BATCH_READINGS)]


class BatchItemPublic(_Out):
    index: int
    id: uuid.UUID
    device_seq: int
    created: bool
    alerts: list[AlertPublic] = Field(default_factory=list)


class ReadingBatchPublic(_Out):
    session_id: uuid.UUID
    created: int
    replayed: int
    items: list[BatchItemPublic]
