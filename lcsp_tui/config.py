"""Global options (SPEC §9): each a flag and an environment variable."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

ENVIRONMENTS = ("utbildning", "acceptanstest", "produktion")
ENV_LABELS = {
    "utbildning": "UTBILDNING",
    "acceptanstest": "ACCEPTANSTEST",
    "produktion": "PRODUKTION",
}


class ConfigError(ValueError):
    """A bad option value; one line for the user (exit 2)."""


def default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("lcsp-tui", appauthor=False))


# The two forms as written out in full: read without strptime, whose first use costs as
# much as a small command's whole work (issue 14); anything else goes through strptime.
_FULL_FORM = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?")


def parse_today(text: str) -> dt.datetime:
    """``YYYY-MM-DD`` (midnight) or ``YYYY-MM-DDTHH:MM``."""
    if _FULL_FORM.fullmatch(text.strip()):
        try:
            return dt.datetime.fromisoformat(text.strip())
        except ValueError:
            pass  # not a real day or time: strptime says so below
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise ConfigError(f"--today: ange ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTHH:MM (fick {text!r})")


class Settings:
    """What the global options say (a plain class, not a dataclass: ``dataclasses`` costs a
    command's start-up, issue 14). Compared by everything but ``started``."""

    __slots__ = ("env", "home", "ledger", "role", "started", "today", "unit", "user")

    def __init__(
        self,
        home: Path,
        ledger: str | None,  # None: the home's remembered ledger, else the default SQLite file
        user: str,
        role: str | None,
        unit: str | None,
        today: dt.datetime | None,  # None: the real clock
        env: str | None,  # None: the home's environment (utbildning for a new home)
        started: float | None = None,
    ) -> None:
        self.home = home
        self.ledger = ledger
        self.user = user
        self.role = role
        self.unit = unit
        self.today = today
        self.env = env
        # The real moment the process started: a simulated clock runs on from ``today``.
        self.started = time.monotonic() if started is None else started

    def _compared(self) -> tuple[object, ...]:
        return (self.home, self.ledger, self.user, self.role, self.unit, self.today, self.env)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Settings):
            return self._compared() == other._compared()
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def __repr__(self) -> str:
        return (
            f"Settings(home={self.home!r}, ledger={self.ledger!r}, user={self.user!r}, "
            f"role={self.role!r}, unit={self.unit!r}, today={self.today!r}, env={self.env!r})"
        )

    @property
    def simulated(self) -> bool:
        return self.today is not None

    def now(self) -> dt.datetime:
        """The real time, or the rehearsal's: ``today`` plus the time since the process started
        (actions, ages of help requests and the audit trail move on during a rehearsal)."""
        if self.today is None:
            return dt.datetime.now().replace(microsecond=0)
        return self.today + dt.timedelta(seconds=int(time.monotonic() - self.started))

    @property
    def store_path(self) -> Path:
        return self.home / "store.sqlite"

    @property
    def default_ledger(self) -> str:
        return str(self.home / "ledger.sqlite")


def _opt(value: str | None, env: str) -> str | None:
    if value is not None:
        return value
    v = os.environ.get(env)
    return v if v else None


def _login_name() -> str:
    """``getpass.getuser()`` without importing getpass (and with it termios): the login
    name from the environment, else the password database."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if user := os.environ.get(name):
            return user
    import pwd

    return pwd.getpwuid(os.getuid())[0]


def settings_from(
    home: str | None = None,
    ledger: str | None = None,
    user: str | None = None,
    role: str | None = None,
    unit: str | None = None,
    today: str | None = None,
    env: str | None = None,
) -> Settings:
    from lcsp_tui.domain.personnummer import looks_like_personnummer
    from lcsp_tui.domain.roles import ROLES
    from lcsp_tui.paths import absolute

    # ``--home ''`` is a mistake; an empty LCSP_HOME means unset (the platform's data dir).
    if home is not None and not home.strip():
        raise ConfigError("--home: ange en katalog (värdet är tomt)")
    if ledger is not None and not ledger.strip():
        raise ConfigError("--ledger: ange en fil eller en postgresql://-adress (värdet är tomt)")
    home_s = _opt(home, "LCSP_HOME")
    ledger_s = _opt(ledger, "LCSP_LEDGER")
    if ledger_s is not None:
        from lcsp_tui.ledger.base import is_postgres  # only when a ledger is named

        if not is_postgres(ledger_s):
            ledger_s = str(absolute(ledger_s))  # a home records it: never relative
    role_s = _opt(role, "LCSP_ROLE")
    if role_s is not None and role_s not in ROLES:
        raise ConfigError(f"okänd roll {role_s!r}; välj en av: {', '.join(ROLES)}")
    env_s = _opt(env, "LCSP_ENV")
    if env_s is not None and env_s not in ENVIRONMENTS:
        raise ConfigError(f"okänd miljö {env_s!r}; välj en av: {', '.join(ENVIRONMENTS)}")
    today_s = _opt(today, "LCSP_TODAY")
    try:
        login = _login_name()
    except Exception:  # no login name in some containers
        login = "okand"
    user_s = _opt(user, "LCSP_USER") or login
    unit_s = _opt(unit, "LCSP_UNIT")
    # Every event carries its user and unit into the audit trail: never a personnummer
    # (a login proxy passing BankID identities). Refused without echoing the value.
    if looks_like_personnummer(user_s):
        raise ConfigError("--user: ett användarnamn får aldrig vara ett personnummer")
    if unit_s is not None and looks_like_personnummer(unit_s):
        raise ConfigError("--unit: ett enhets-id får aldrig vara ett personnummer")
    return Settings(
        home=absolute(home_s) if home_s and home_s.strip() else default_home(),
        ledger=ledger_s,
        user=user_s,
        role=role_s,
        unit=unit_s,
        today=parse_today(today_s) if today_s else None,
        env=env_s,
    )
