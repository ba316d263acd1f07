"""docs/dosing.md quotes the generated protocol section verbatim (docs kept honest)."""

from pathlib import Path

from ketaclinic.dosing.library import default_library
from ketaclinic.dosing.report import main, protocols_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dosing.md"


def test_docs_quote_the_protocol_section() -> None:
    assert protocols_markdown() in DOCS.read_text(), (
        "docs/dosing.md is stale: regenerate with `python -m ketaclinic.dosing.report`"
    )


def test_every_bound_and_its_source_is_in_the_section() -> None:
    text = protocols_markdown()
    for p in default_library():
        assert f"### {p.ref}: " in text
        for spec in p.limits:
            for name, b in spec.bounds():
                assert f"`{spec.field}` {name} " in text
                assert b.source in text


def test_main_prints(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([]) == 0
    assert "### depression-iv-40min v1" in capsys.readouterr().out
