"""Content problems: collected through the pipeline, reported all at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, located at a file and line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.path}: {self.message}"
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """Raised once, at the end of a stage, with every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__(summarise(self.problems))


def summarise(problems: Iterable[Problem]) -> str:
    """Say how many errors there are in how many files, e.g. '3 errors in 2 files'."""
    problems = tuple(problems)
    files = len({p.path for p in problems})
    errors = "1 error" if len(problems) == 1 else f"{len(problems)} errors"
    return f"{errors} in {'1 file' if files == 1 else f'{files} files'}"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word`, or None when none is close."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean 'x'?)' for the closest choice, or '' when none is close."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""


def report_lines(problems: Iterable[Problem]) -> list[str]:
    """Every problem as `path:line: message`, sorted, then the one-line summary."""
    problems = sorted(set(problems))
    return [*(str(p) for p in problems), summarise(problems)]
