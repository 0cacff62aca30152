"""The preview's watch loop: wait for a burst of saves to end, then rebuild once with every change.

It runs on a thread of its own, never the web server's: a build can take seconds on a large
site, and the server keeps answering meanwhile. A save made during a build is seen by the next
snapshot (taken against the one before the build), so it gets a build of its own right after.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from .watch import Snapshot, changed, take


@dataclass(frozen=True)
class Timing:
    """How often to look for changes, and how long the files must stay unchanged before a build."""

    poll: float = 0.05  # seconds between snapshots (longer on big sites: at most a tenth of the time goes to looking)
    quiet: float = 0.1  # a burst of saves has ended after this long without one


def watch(
    roots: Collection[Path],
    build: Callable[[set[Path], Callable[[], bool]], None],
    stop: threading.Event,
    baseline: Snapshot,
    *,
    exclude: Collection[Path] = (),
    timing: Timing = Timing(),
) -> None:
    """Until `stop` is set: when files under `roots` change, wait for quiet, then call `build` with every changed file.

    `baseline` is the snapshot the files were last built from (taken before that build read them).
    `build` is also given a test it may ask during its long steps: true once `stop` is set or a
    file changed again, when what is left can wait for the build that change needs.
    """
    interval = timing.poll
    while not stop.wait(interval):
        started = time.perf_counter()
        current = take(roots, baseline, exclude)
        interval = max(timing.poll, 10 * (time.perf_counter() - started))
        pending = changed(baseline, current)
        baseline = current
        if not pending:
            continue
        settled = time.monotonic()
        while time.monotonic() - settled < timing.quiet:
            if stop.wait(timing.poll):
                return
            current = take(roots, baseline, exclude)
            more = changed(baseline, current)
            baseline = current
            if more:
                pending |= more
                settled = time.monotonic()
        # The build reads the files after `baseline` was taken: whatever changes from here on is seen next time.
        build(pending, changed_since(roots, baseline, stop, exclude=exclude, timing=timing))


def changed_since(
    roots: Collection[Path],
    baseline: Snapshot,
    stop: threading.Event,
    *,
    exclude: Collection[Path] = (),
    timing: Timing = Timing(),
) -> Callable[[], bool]:
    """A test that is true once `stop` is set or a file under `roots` differs from `baseline`.

    It looks at the files at most every `timing.poll` seconds, and less often when looking takes
    long (at most a tenth of the time goes to it); in between, it answers as it last did.
    """
    interval, looked, found = timing.poll, float("-inf"), False

    def test() -> bool:
        nonlocal interval, looked, found
        if stop.is_set() or found:
            return True
        if time.monotonic() - looked >= interval:
            started = time.perf_counter()
            found = bool(changed(baseline, take(roots, baseline, exclude)))
            looked = time.monotonic()
            interval = max(timing.poll, 10 * (time.perf_counter() - started))
        return found

    return test
