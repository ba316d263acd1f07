"""The instrument catalogue: every shipped definition, by id."""

from __future__ import annotations

from types import MappingProxyType

from ketaclinic.errors import NotFoundError
from ketaclinic.instruments.licensed_instruments import (
    BDI2,
    CSSRS_SCREEN,
    HAMD17,
    MADRS,
    PAIN_NRS,
    PEG3,
    QIDS_SR16,
    YBOCS,
)
from ketaclinic.instruments.model import Instrument
from ketaclinic.instruments.open_instruments import GAD7, PCL5, PHQ9

__all__ = ["INSTRUMENTS", "get_instrument"]

INSTRUMENTS: MappingProxyType[str, Instrument] = MappingProxyType(
    {
        i.id: i
        for i in (
            PHQ9,
            GAD7,
            PCL5,
            QIDS_SR16,
            MADRS,
            HAMD17,
            BDI2,
            YBOCS,
            CSSRS_SCREEN,
            PAIN_NRS,
            PEG3,
        )
    }
)


def get_instrument(instrument_id: str) -> Instrument:
    """The definition with this id (NotFoundError naming the known ids)."""
    try:
        return INSTRUMENTS[instrument_id]
    except KeyError:
        raise NotFoundError(
            f"instrument_id must be one of {', '.join(INSTRUMENTS)}, got {instrument_id}",
            field="instrument_id",
            value=instrument_id,
            limit=", ".join(INSTRUMENTS),
        ) from None
