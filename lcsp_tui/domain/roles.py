"""The roles of SPEC §2: id, Swedish name, and what they work on."""

from __future__ import annotations

from lcsp_tui.domain.frozen import Frozen, setfield


class Role(Frozen):
    __slots__ = ("id", "name", "steps", "needs_unit")
    id: str
    name: str  # Swedish, for the UI
    steps: tuple[str, ...]
    needs_unit: bool

    def __init__(self, id: str, name: str, steps: tuple[str, ...], needs_unit: bool = True) -> None:
        setfield(self, "id", id)
        setfield(self, "name", name)
        setfield(self, "steps", steps)
        setfield(self, "needs_unit", needs_unit)


ROLES: dict[str, Role] = {
    r.id: r
    for r in (
        Role("kommun-registrering", "Kommunens registrering (steg 1)", ("1",)),
        Role("slutenvard-somatik", "Somatisk slutenvård", ("2", "6")),
        Role("slutenvard-psykiatri", "Psykiatrisk slutenvård", ("2", "6")),
        Role("primarvard", "Primärvården (hälsocentral)", ("3",)),
        Role("psykiatri-oppenvard", "Psykiatrisk öppenvård", ("4",)),
        Role("bistandshandlaggare", "Biståndshandläggare", ("5A",)),
        Role("hsl-sjukskoterska", "HSL – sjuksköterska/distriktssköterska", ("5B",)),
        Role("hsl-arbetsterapeut", "HSL – arbetsterapeut", ("5B",)),
        Role("hsl-fysioterapeut", "HSL – fysioterapeut", ("5B",)),
        Role("samordningsansvarig", "Samordningsansvarig (SIP)", ("7",)),
        Role("support", "Support (central IT)", (), needs_unit=False),
        Role("systemforvaltning", "Systemförvaltning", (), needs_unit=False),
    )
}

HSL_ROLES = frozenset({"hsl-sjukskoterska", "hsl-arbetsterapeut", "hsl-fysioterapeut"})

# The unit types at which a role works (SPEC §2, §7); roles not listed take any unit —
# samordningsansvarig too: a SIP can be held by a unit of any type.
UNIT_TYPES_OF_ROLE: dict[str, tuple[str, ...]] = {
    "kommun-registrering": ("boendeenhet", "hemsjukvardsenhet", "bistandsenhet"),
    "slutenvard-somatik": ("slutenvard_somatik",),
    "slutenvard-psykiatri": ("slutenvard_psykiatri",),
    "primarvard": ("halsocentral",),
    "psykiatri-oppenvard": ("psykiatrisk_oppenvard",),
    "bistandshandlaggare": ("bistandsenhet",),
    **{r: ("hemsjukvardsenhet",) for r in HSL_ROLES},
}

UNIT_TYPE_NAMES = {
    "slutenvard_somatik": "somatisk slutenvård",
    "slutenvard_psykiatri": "psykiatrisk slutenvård",
    "halsocentral": "hälsocentral",
    "psykiatrisk_oppenvard": "psykiatrisk öppenvård",
    "bistandsenhet": "biståndsenhet",
    "boendeenhet": "boendeenhet",
    "hemsjukvardsenhet": "hemsjukvårdsenhet",
    "hemtjanstgrupp": "hemtjänstgrupp",
}
