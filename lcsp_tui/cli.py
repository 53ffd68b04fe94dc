"""The ``lcsp`` command (SPEC §9)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("lcsp: under construction", file=sys.stderr)
    return 2
