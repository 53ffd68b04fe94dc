"""Name pools: first names, surnames, place-name parts, streets, providers, relations."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FEMALE = _words(
    "Anna Astrid Agnes Alice Aina Amina Ann-Marie Anna-Karin Margareta Maria Elisabeth "
    "Kristina Birgitta Karin Ingrid Marianne Eva Gunnel Britt Barbro Ulla Inger Kerstin "
    "Solveig Märta Signe Elsa Greta Ingegerd Gunilla Lena Åsa Ella Sara Emma Linnéa Ebba "
    "Maja Siv Gun Berit Sonja Helena Ylva Majken Dagny Fatima Irma Hjördis Rut Elin Vera"
)
_MALE = _words(
    "Anders Arne Axel Alf Åke Ali Lars Karl Erik Per Olof Nils Gunnar Sven Bengt Bo Göran "
    "Lennart Rolf Kjell Sten Stig Hans Jan Leif Tord Ture Östen Björn Ragnar Gösta Evert "
    "Helge Ingvar Mats Johan Mikael Jonas Oskar Viktor Emil Per-Olof Jan-Erik Mohammed "
    "Torbjörn Sture Holger Yngve Ove"
)
# (surname, weight): common -son names dominate, as in the population register.
_SURNAMES: tuple[tuple[str, int], ...] = (
    ("Larsson", 9),
    ("Andersson", 9),
    ("Johansson", 8),
    ("Eriksson", 8),
    ("Nilsson", 7),
    ("Karlsson", 7),
    ("Persson", 6),
    ("Olsson", 6),
    ("Jonsson", 5),
    ("Svensson", 4),
    ("Gustafsson", 3),
    ("Pettersson", 3),
    ("Hansson", 2),
    ("Berglund", 3),
    ("Hägglund", 3),
    ("Sjölund", 2),
    ("Nordin", 3),
    ("Norberg", 2),
    ("Westin", 2),
    ("Byström", 2),
    ("Edlund", 2),
    ("Öhman", 2),
    ("Åberg", 2),
    ("Öberg", 2),
    ("Ängström", 1),
    ("Åström", 2),
    ("Östlund", 2),
    ("Sjöström", 2),
    ("Nordström", 2),
    ("Holmgren", 2),
    ("Lindström", 2),
    ("Sundqvist", 2),
    ("Forsberg", 2),
    ("Bergström", 2),
    ("Engström", 2),
    ("Wikström", 2),
    ("Dahlberg", 1),
    ("Lundgren", 1),
    ("Häggström", 1),
    ("Näslund", 1),
    ("Strömberg", 1),
    ("Hussein", 1),
    ("Nguyen", 1),
    ("Kowalski", 1),
    ("Yilmaz", 1),
)
_SURNAME_POOL = tuple(name for name, w in _SURNAMES for _ in range(w))

_PLACE_PREFIXES = _words(
    "Sol Björk Lind Ek Gran Tall Rönn Asp Hag Berg Sjö Strand Ängs Ljung Lärk Sval Fur Al "
    "Hassel Lönn Vide Ros Lilje Klöver"
)
_PLACE_SUFFIXES = tuple(
    ("gården backen hemmet lunden hagen udden höjden dalen vången torpet liden stranden").split()  # noqa: SIM905
)
_STREETS = _words(
    "Lärkvägen Tallstigen Björkgatan Storgatan Skolgatan Kyrkvägen Parkvägen Ängsvägen "
    "Backgatan Strandvägen Sjövägen Bruksgatan Nygatan Tegelbruksvägen Älvvägen Åsgatan"
)
_PROVIDERS = ("Nordomsorg AB", "Kustvård Omsorg AB", "Trygghetshemmen AB", "Omsorgshuset Mitt AB")
_RELATIONS = ("Dotter", "Son", "Maka", "Make", "Syster", "Bror", "Sambo", "God man")
