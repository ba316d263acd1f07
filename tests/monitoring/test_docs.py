"""docs/monitoring.md stays honest: every default threshold is listed with its priority
and provenance, and the refusal ranges match the code."""

from pathlib import Path

from ketaclinic.monitoring import DEFAULT_RULES, PHYSIOLOGICAL_RANGES

DOC = (Path(__file__).parents[2] / "docs" / "monitoring.md").read_text(encoding="utf-8")


def test_every_default_threshold_is_documented() -> None:
    rows = [line for line in DOC.splitlines() if line.startswith("| `")]
    for t in DEFAULT_RULES.thresholds:
        row = next((r for r in rows if r.startswith(f"| `{t.code}` |")), None)
        assert row is not None, t.code
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == t.priority
        assert cells[3] == t.provenance
    assert "configurable default, not a standard" in DOC


def test_refusal_ranges_are_documented() -> None:
    for field, (lo, hi) in PHYSIOLOGICAL_RANGES.items():
        row = next(r for r in DOC.splitlines() if r.startswith(f"| `{field}` |"))
        assert f"| {lo:g}-{hi:g}" in row, field
