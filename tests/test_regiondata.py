"""The shipped data files: complete, consistent, and editable without code."""

import shutil
from pathlib import Path

import pytest

from data import DATA_DIR
from lcsp_tui.domain.regiondata import STEPS, RegionDataError, load_region
from lcsp_tui.domain.roles import ROLES

REGION = load_region()


def test_every_step_has_items_and_a_window() -> None:
    steps = {i.step for i in REGION.checklists.item}
    assert steps == set(STEPS)
    for step in STEPS:
        assert REGION.timeline.window(step).due is not None


def test_every_working_role_has_items() -> None:
    for role in ROLES.values():
        items = REGION.checklists.for_role(role.id)
        assert bool(items) == bool(role.steps), role.id
        assert {i.step for i in items} <= set(role.steps), role.id


def test_hsl_professions_each_have_their_own_questions() -> None:
    for prof in ("sjukskoterska", "arbetsterapeut", "fysioterapeut"):
        own = [i.id for i in REGION.checklists.for_role(f"hsl-{prof}") if prof in i.id]
        assert own == [f"s5b.fragor_{prof}"]


def test_prator_action_items() -> None:
    prator = {i.id for i in REGION.checklists.item if i.prator_action}
    assert prator == {
        "s2.extrameddelande",
        "s3.extrameddelande",
        "s4.extrameddelande",
        "s5a.extrameddelande",
        "s5b.extrameddelande",
        "s6.utskrivningsmeddelande_prator",
        "s6.avsluta_prator",
        "s7.avsluta_prator",
        "s7.avsluta_ej_aktuell",
    }


def test_reminders_of_the_seed() -> None:
    texts = " ".join(REGION.checklists.reminders(("7",)))
    assert "bakåtdatera" in texts and "samordningsansvarig" in texts


def test_municipalities_and_alias() -> None:
    m = REGION.municipalities
    assert m.names == [
        "Härnösand",
        "Timrå",
        "Kramfors",
        "Sollefteå",
        "Ånge",
        "Örnsköldsvik",
        "Sundsvall",
    ]
    assert m.resolve("Övik") == "Örnsköldsvik"
    assert m.resolve(" övik ") == "Örnsköldsvik"
    assert m.resolve("SUNDSVALL") == "Sundsvall"
    assert m.resolve("Ange") is None  # Ånge keeps its ring


def _copy(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(DATA_DIR, d)
    return d


def test_a_region_changes_the_timeline_without_code(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    tl = d / "timeline.toml"
    tl.write_text(
        tl.read_text().replace("prator_read_only = 2025-10-16", "prator_read_only = 2025-10-20")
    )
    region = load_region(d)
    assert region.timeline.milestones.prator_read_only.day == 20


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('waits_for = ["s2.inskrivningsmeddelande"]', 'waits_for = ["s2.nope"]'),
            "väntar på en okänd punkt 's2.nope'",
        ),
        (('roles = ["primarvard"]', 'roles = ["chef"]'), "okänd roll 'chef'"),
        (('step = "4"', 'step = "9"'), "okänt steg '9'"),
        (("\n[conditions]\n", "\n[conditions\n"), "ogiltig TOML"),
        (('step = "4"', 'stepp = "4"'), r"item\.\d+\.step: saknas$"),
        (('step = "4"', "step = 4"), r"item\.\d+\.step: ska vara en text$"),
    ],
)
def test_broken_checklist_file_is_one_clear_error(
    tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    d = _copy(tmp_path)
    f = d / "checklists.toml"
    f.write_text(f.read_text().replace(*edit, 1))
    with pytest.raises(RegionDataError, match=message) as e:
        load_region(d)
    assert "checklists.toml" in str(e.value)
    assert "\n" not in str(e.value)
    assert "Value error" not in str(e.value)


def test_a_missing_data_file_is_named(tmp_path: Path) -> None:
    d = _copy(tmp_path)
    (d / "timeline.toml").unlink()
    with pytest.raises(RegionDataError, match=r"timeline\.toml: filen saknas$"):
        load_region(d)
