"""Tools a test needs from the machine (tmux, Chromium, PostgreSQL, ...).

A missing tool skips the test with the reason on a developer's machine, and fails it in CI
(``CI=true``), where ``.ci/run`` installs every one of them: the suite never hides a
failure as a skip there.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def missing(reason: str) -> NoReturn:
    """A tool is missing: skip with ``reason``, or fail under ``CI=true``."""
    if in_ci():
        pytest.fail(f"this test must run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def need(available: bool, reason: str) -> None:
    """Go on when ``available``; otherwise :func:`missing` (skip, or fail under ``CI=true``)."""
    if not available:
        missing(reason)
