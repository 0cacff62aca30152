"""How a build reports while it runs: a progress bar on a terminal, plain lines elsewhere, a summary at the end."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TextIO

QUIET_SECONDS = 1.0  # builds quicker than this show no progress at all
BAR_WIDTH = 30
REDRAW_SECONDS = 0.1  # a terminal is redrawn at most this often

# What each kind of output file is called in the summary, by the folder it is written to.
KINDS = {
    "articles": "article pages",
    "notes": "note pages",
    "topics": "topic pages",
    "compare": "comparison pages",
    "data": "data files",
    "schemas": "schemas",
    "assets": "assets",
    "pagefind": "search index files",
}

SINGULAR = {
    **{plural: plural.replace("pages", "page").replace("files", "file") for plural in KINDS.values()},
    "schemas": "schema",
    "assets": "asset",
    "other pages": "other page",
    "other files": "other file",
}


@dataclass
class Progress:
    """Reports the steps of one build to `stream`: a redrawn bar on a terminal, plain lines otherwise.

    Nothing is shown until the build has run for QUIET_SECONDS, so quick builds print only their
    summary. Mutable by design: it is the one object that follows a build as it goes.
    """

    stream: TextIO
    terminal: bool
    clock: Callable[[], float] = time.perf_counter
    started: float = field(default=0.0)
    step: str = ""
    total: int = 0
    done: int = 0
    step_started: float = 0.0
    drawn: float = -1.0  # when the bar was last drawn
    shown: bool = False  # whether anything has been printed yet

    def __post_init__(self) -> None:
        self.started = self.step_started = self.clock()

    def begin(self, step: str, total: int) -> None:
        """Start a step of `total` items (0 when it is not counted)."""
        self.finish()
        self.step, self.total, self.done = step, total, 0
        self.step_started = self.clock()
        self._draw()

    def advance(self, count: int = 1) -> None:
        """`count` more items of the current step are done."""
        self.done += count
        now = self.clock()
        if self.terminal and now - self.drawn >= REDRAW_SECONDS:
            self._draw()

    def finish(self) -> None:
        """End the current step (plain output gets its line now)."""
        if not self.step:
            return
        seconds = self.clock() - self.step_started
        if self.clock() - self.started >= QUIET_SECONDS:
            if self.terminal:
                self._draw()
                self.stream.write("\n")
            else:
                counted = f"{self.done} " if self.total else ""
                self.stream.write(f"{self.step}: {counted}done in {seconds:.2f} s\n")
            self.stream.flush()
            self.shown = True
        self.step = ""

    def _draw(self) -> None:
        now = self.clock()
        if not self.terminal or now - self.started < QUIET_SECONDS:
            return
        if self.total:
            filled = BAR_WIDTH * min(self.done, self.total) // self.total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            line = f"{self.step:<10} [{bar}] {self.done}/{self.total}"
        else:
            line = f"{self.step:<10} ..."
        self.stream.write(f"\r{line} ({now - self.step_started:.1f} s)\x1b[K")
        self.stream.flush()
        self.drawn = now
        self.shown = True


def count_kinds(paths: Iterable[str]) -> dict[str, int]:
    """Output files by kind, in the summary's order: page kinds first, then other pages, then the rest."""
    counts: Counter[str] = Counter()
    for path in paths:
        folder = path.split("/", 1)[0] if "/" in path else ""
        if folder in KINDS:
            counts[KINDS[folder]] += 1
        elif path.endswith(".html"):
            counts["other pages"] += 1
        else:
            counts["other files"] += 1
    order = [*list(KINDS.values())[:4], "other pages", *list(KINDS.values())[4:], "other files"]
    return {kind: counts[kind] for kind in order if counts[kind]}


def summary(out: str, paths: Iterable[str], content: str, seconds: float) -> str:
    """The line that ends every successful build: files by kind, no problems, time taken."""
    kinds = count_kinds(paths)
    listed = ", ".join(f"{count} {kind if count != 1 else SINGULAR.get(kind, kind)}" for kind, count in kinds.items())
    return f"Built {out} in {seconds:.2f} s: {sum(kinds.values())} files ({listed}); no problems in {content}."
