"""The support desk's lookup key: initial + surname + birth year, never a personnummer.

Matching is case- and accent-tolerant ("a larsson", "A. Larsson", "Å Öberg" / "A Oberg"):
names are compared in a folded form without case, accents or punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from lcsp_tui.domain.frozen import Frozen, setfield
from lcsp_tui.domain.personnummer import looks_like_personnummer

REFUSAL = "Ange aldrig hela personnummer"


class LookupRefused(ValueError):
    """The input was refused; the message is one Swedish line."""


@lru_cache(maxsize=65536)
def fold_name(text: str) -> str:
    """Lower case, no accents, letters and single spaces only."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s-]|_|\d", " ", bare).split())


def lookup_key(first_name: str, last_name: str, birth_year: int) -> str:
    """The stored key of a patient: folded initial, folded surname, birth year."""
    initial = fold_name(first_name)[:1]
    return f"{initial}|{fold_name(last_name)}|{birth_year}"


class LookupQuery(Frozen):
    __slots__ = ("initial", "surname", "birth_year")
    initial: str
    surname: str
    birth_year: int

    def __init__(self, initial: str, surname: str, birth_year: int) -> None:
        setfield(self, "initial", initial)
        setfield(self, "surname", surname)
        setfield(self, "birth_year", birth_year)

    @property
    def key(self) -> str:
        return f"{self.initial}|{self.surname}|{self.birth_year}"


def parse_query(name: str, birth_year: str) -> LookupQuery:
    """Parse ``"A Larsson"`` and ``"1945"``; refuse anything like a personnummer."""
    if looks_like_personnummer(name) or looks_like_personnummer(birth_year):
        raise LookupRefused(REFUSAL)
    if looks_like_personnummer(f"{name}{birth_year}".replace(" ", "")):
        raise LookupRefused(REFUSAL)
    year = birth_year.strip()
    if not re.fullmatch(r"\d{4}", year):
        raise LookupRefused("Födelseår ska vara fyra siffror, t.ex. 1945")
    parts = fold_name(name.replace(".", " ")).split()
    if len(parts) < 2:
        raise LookupRefused("Ange patienten som initial och efternamn, t.ex. A Larsson")
    # A whole first name is tolerated: only its initial is used.
    return LookupQuery(initial=parts[0][0], surname=" ".join(parts[1:]), birth_year=int(year))
