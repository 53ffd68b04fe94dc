"""The simulated clock runs on from --today (issue 12): a rehearsal's actions get their own times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from lcsp_tui import config


def test_simulated_clock_runs_on_from_today(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(config.time, "monotonic", lambda: clock[0])
    s = config.settings_from(home=str(tmp_path), today="2025-09-30T10:00")
    assert s.now() == dt.datetime(2025, 9, 30, 10, 0)
    clock[0] += 95.7  # a minute and a half of work
    assert s.now() == dt.datetime(2025, 9, 30, 10, 1, 35)
    clock[0] += 3 * 3600
    assert s.now() == dt.datetime(2025, 9, 30, 13, 1, 35)


def test_real_clock_without_today(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LCSP_TODAY", raising=False)
    s = config.settings_from(home=str(tmp_path))
    assert not s.simulated
    assert abs((s.now() - dt.datetime.now()).total_seconds()) < 5
