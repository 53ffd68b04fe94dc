"""Progress reporting: ``progress(phase, done, total)`` at a phase's start, every 1,000
records and at its end."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 1000


class _Reporter:
    def __init__(self, progress: Progress | None, phase: str, total: int) -> None:
        self.progress, self.phase, self.total = progress, phase, total
        if progress:
            progress(phase, 0, total)

    def tick(self, done: int) -> None:
        if self.progress and done % PROGRESS_EVERY == 0:
            self.progress(self.phase, done, self.total)

    def finish(self) -> None:
        if self.progress and self.total % PROGRESS_EVERY:
            self.progress(self.phase, self.total, self.total)
