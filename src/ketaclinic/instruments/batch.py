"""Vectorised scoring of many administrations at once (bulk import, analytics, tests).

:func:`score_matrix` gives the same totals, bands and safety flags as
:func:`ketaclinic.instruments.score` for every row of an answer matrix whose columns are
the instrument's items in order. The C-SSRS screen (skip logic, yes/no triage) is not
supported here: score it one administration at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ketaclinic.errors import InputError
from ketaclinic.instruments.model import Instrument

__all__ = ["ScoreTable", "score_matrix"]


@dataclass(frozen=True, eq=False)
class ScoreTable:
    """Scores of ``n`` administrations: ``totals`` (n,), ``bands`` (n,) labels ("" when the
    instrument has no bands), ``flagged`` (n,) True where a safety flag is raised."""

    instrument_id: str
    totals: npt.NDArray[np.float64]
    bands: npt.NDArray[np.str_]
    flagged: npt.NDArray[np.bool_]


def score_matrix(instrument: Instrument, answers: npt.ArrayLike) -> ScoreTable:
    """Score an ``(n, n_items)`` integer matrix (columns in item order).

    Examples
    --------
    >>> from ketaclinic.instruments import PHQ9
    >>> t = score_matrix(PHQ9, [[0] * 9, [3] * 9])
    >>> t.totals.tolist(), t.bands.tolist(), t.flagged.tolist()
    ([0.0, 27.0], ['minimal', 'severe'], [False, True])
    """
    if instrument.scoring == "cssrs-screen":
        raise InputError.for_field(
            "instrument", instrument.id, "a summed, mean or QIDS-scored instrument"
        )
    a = np.asarray(answers)
    k = len(instrument.items)
    if a.ndim != 2 or a.shape[1] != k:
        raise InputError.for_field("answers shape", a.shape, f"(n, {k}) for {instrument.id}")
    if a.dtype.kind not in "iu":
        raise InputError.for_field("answers dtype", str(a.dtype), "an integer array")
    lo = np.array([i.min_value for i in instrument.items])
    hi = np.array([i.max_value for i in instrument.items])
    bad = (a < lo) | (a > hi)
    if bad.any():
        row, col = (int(x) for x in np.argwhere(bad)[0])
        item = instrument.items[col]
        raise InputError.for_field(
            f"{instrument.id}.{item.id} (row {row})",
            int(a[row, col]),
            f"an integer from {item.min_value} to {item.max_value}",
        )
    if instrument.scoring == "qids-sr16":
        c = a.astype(np.int64)
        totals = (
            c[:, 0:4].max(axis=1)
            + c[:, 4]
            + c[:, 5:9].max(axis=1)
            + c[:, 9:14].sum(axis=1)
            + c[:, 14:16].max(axis=1)
        ).astype(np.float64)
    elif instrument.scoring == "mean":
        totals = a.mean(axis=1, dtype=np.float64)
    else:
        totals = a.sum(axis=1, dtype=np.int64).astype(np.float64)
    if instrument.bands:
        ordered = sorted(instrument.bands, key=lambda b: b.low)
        # A total belongs to the last band whose lower bound it reaches (bands are
        # contiguous in whole points, checked by Instrument).
        idx = np.searchsorted([b.low for b in ordered[1:]], totals, side="right")
        bands = np.array([b.label for b in ordered])[idx]
    else:
        bands = np.full(len(totals), "", dtype=np.str_)
    flagged = np.zeros(len(totals), dtype=bool)
    if instrument.id == "phq-9":
        flagged = a[:, 8] > 0
    return ScoreTable(instrument.id, totals, bands, flagged)
