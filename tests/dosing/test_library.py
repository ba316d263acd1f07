"""The protocol library: shipped files load; malformed files are refused clearly."""

from pathlib import Path

import pytest

from ketaclinic.dosing.library import (
    ProtocolLibrary,
    default_library,
    load_library,
    load_protocol_file,
    protocols_dir,
)
from ketaclinic.errors import InputError, NotFoundError

LIB = default_library()
EXPECTED_IDS = {
    "depression-iv-40min",
    "pain-iv-lowdose",
    "crps-iv-10day",
    "im-depression",
    "kap-sublingual",
    "oral-depression",
    "esketamine-nasal-trd",
    "esketamine-nasal-mdsi",
}


def test_shipped_library_has_the_issue_protocols() -> None:
    assert set(LIB.ids()) == EXPECTED_IDS
    routes = {p.route for p in LIB}
    assert routes == {"iv-infusion", "im", "sublingual", "oral", "intranasal"}


def test_each_protocol_is_versioned_and_sourced() -> None:
    for p in LIB:
        assert p.version >= 1
        assert p.ref == f"{p.id} v{p.version}"
        assert p.source
        assert p.standard_doses_source
        assert p.weight_policy.source
        assert p.limit("dose_mg") is not None  # absolute mg cap everywhere
        assert p.limit("dose_mg").hard_max is not None  # type: ignore[union-attr]


def test_depression_and_pain_have_separate_rate_limits() -> None:
    # One "ketamine" entry cannot serve both (safety sheet section 1.2): the depression
    # infusion runs at 0.75 mg/kg/h, above the ~0.5 mg/kg/h analgesic soft cap.
    dep = LIB.get("depression-iv-40min").limit("rate_mg_per_kg_per_h")
    pain = LIB.get("pain-iv-lowdose").limit("rate_mg_per_kg_per_h")
    assert dep is not None
    assert pain is not None
    assert pain.soft_max is not None
    assert pain.soft_max.value == 0.5
    assert dep.soft_max is not None
    assert dep.soft_max.value > 0.75


def test_esketamine_label_numbers() -> None:
    p = LIB.get("esketamine-nasal-trd")
    assert p.device is not None
    assert p.device.mg_per_device == 28
    assert 56 in p.first_session_doses
    assert set(p.standard_doses) >= {56, 84}
    interval = p.limit("device_interval_min")
    monitoring = p.limit("monitoring_min")
    assert interval is not None
    assert interval.hard_min is not None
    assert interval.hard_min.value == 5
    assert monitoring is not None
    assert monitoring.hard_min is not None
    assert monitoring.hard_min.value == 120
    assert [ph.sessions for ph in p.schedule[:2]] == [8, 4]


def test_concentrations_within_ten_fold() -> None:
    for p in LIB:
        c = p.concentrations_mg_per_ml
        if c:
            assert max(c) / min(c) < 10


def test_unknown_protocol_lists_ids() -> None:
    with pytest.raises(NotFoundError) as exc:
        LIB.get("ketamine")
    msg = str(exc.value)
    assert "protocol 'ketamine' not found" in msg
    for i in EXPECTED_IDS:
        assert i in msg
    with pytest.raises(NotFoundError, match="depression-iv-40min v9"):
        LIB.get("depression-iv-40min", version=9)


def test_protocols_dir_is_package_data() -> None:
    files = sorted(f.name for f in protocols_dir().glob("*.toml"))
    assert "depression-iv-40min.v1.toml" in files
    assert (protocols_dir() / "__init__.py").exists()  # found by setuptools as a package


def _copy(tmp_path: Path, name: str = "depression-iv-40min.v1.toml") -> Path:
    src = (protocols_dir() / name).read_text()
    dst = tmp_path / name
    dst.write_text(src)
    return dst


def _edit(path: Path, old: str, new: str) -> Path:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return path


def test_newer_version_wins(tmp_path: Path) -> None:
    f = _copy(tmp_path)
    v2 = tmp_path / "depression-iv-40min.v2.toml"
    v2.write_text(f.read_text().replace("version = 1", "version = 2", 1))
    lib = load_library(tmp_path)
    assert lib.get("depression-iv-40min").version == 2
    assert lib.get("depression-iv-40min", version=1).version == 1


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("version = 1", "version = 1\nfoo = 2", r"unknown key .foo.*unknown keys are refused"),
        ("hard_max = { value = 1.0,", "hard_maximum = { value = 1.0,", "hard_maximum"),
        (
            'source = "Andrade 2017: others need up to 0.75 mg/kg" }',
            'source = "  " }',
            r"limits\.dose_mg_per_kg\.soft_max\.source",
        ),
        (
            'basis = "published", source = "Andrade 2017: others',
            'basis = "folk", source = "x',
            "folk",
        ),
        ("{ value = 0.75,", "{ value = 1.25,", r"soft_max \(1.25 mg/kg\) must be <= hard_max"),
        ("concentrations_mg_per_ml = [10, 5]", "concentrations_mg_per_ml = [10, 1]", "factor"),
        ("standard_doses = [0.5, 0.75, 1.0]", "standard_doses = [0.5, 5.0]", "standard_doses"),
        ('route = "iv-infusion"', 'route = "iv-push"', "route"),
        ("version = 1", "version = 0", "version"),
        ("default_duration_min = 40", "default_duration_min = 'forty'", "default_duration_min"),
        ('value = 100, basis = "local-default"', 'value = "100", basis = "local-default"', "value"),
    ],
)
def test_malformed_file_refused(tmp_path: Path, old: str, new: str, match: str) -> None:
    f = _edit(_copy(tmp_path), old, new)
    with pytest.raises(InputError, match=match) as exc:
        load_protocol_file(f)
    assert str(exc.value).startswith("depression-iv-40min.v1.toml: ")


def test_missing_hard_cap_refused(tmp_path: Path) -> None:
    f = _copy(tmp_path)
    text = f.read_text()
    start = text.index("[limits.dose_mg]")
    end = text.index("[limits.rate_mg_per_kg_per_h]")
    f.write_text(text[:start] + text[end:])
    with pytest.raises(InputError, match=r"limits\.dose_mg\.hard_max must be set"):
        load_protocol_file(f)


def test_bad_toml_refused(tmp_path: Path) -> None:
    f = tmp_path / "x.v1.toml"
    f.write_text("id = \n")
    with pytest.raises(InputError, match=r"x\.v1\.toml: not valid TOML"):
        load_protocol_file(f)


def test_file_name_must_match_id_and_version(tmp_path: Path) -> None:
    f = _copy(tmp_path)
    wrong = f.rename(tmp_path / "depression.v1.toml")
    with pytest.raises(InputError, match=r"depression-iv-40min\.v1\.toml"):
        load_protocol_file(wrong)


def test_duplicate_versions_refused() -> None:
    p = LIB.get("depression-iv-40min")
    with pytest.raises(InputError, match="unique"):
        ProtocolLibrary((p, p))


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no protocol files"):
        load_library(tmp_path)


def test_to_dict_carries_sources() -> None:
    d = LIB.get("crps-iv-10day").to_dict()
    assert d["limits"]["rate_mg_per_kg_per_h"]["soft_max"]["value"] == 0.35
    assert "Cohen" in d["limits"]["rate_mg_per_kg_per_h"]["soft_max"]["source"]
    assert d["schedule"][0]["sessions"] == 10
