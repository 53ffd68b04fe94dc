"""Region data shipped with lcsp-tui: checklists, timeline, municipalities (TOML).

A region edits these files to change its plan without touching code.
"""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
