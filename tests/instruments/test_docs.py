"""docs/instruments.md stays honest: every instrument is listed with its licence."""

from pathlib import Path

from ketaclinic.instruments import INSTRUMENTS

DOC = (Path(__file__).parents[2] / "docs" / "instruments.md").read_text(encoding="utf-8")


def test_every_instrument_is_documented_with_its_licence() -> None:
    for instrument in INSTRUMENTS.values():
        row = next(r for r in DOC.splitlines() if f"| `{instrument.id}` |" in r)
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == instrument.licence.kind, instrument.id
        shipped = all(i.text for i in instrument.items)
        assert cells[4].startswith("yes") == shipped, instrument.id
