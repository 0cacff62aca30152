"""How long the Syria explainer (content/) takes to build, process start to finish.

    python -m benchmarks.syria [--runs R]

Runs `python build.py --out <folder>` R times each way, and `python build.py check` R times:

- first: an empty cache folder and a new output folder, as the very first build anywhere;
- cold: an empty cache folder, over the site the build before wrote (whose unchanged files are
  linked rather than written again);
- warm: with the cache the build before left (compiled templates and the search index kept);
- edited: on a copy of the content with one more sentence at the end of an article before each
  build (the templates kept, the search index made again, as after an editor's change to a source).

Prints the fastest, median and slowest wall time of each, from the moment the process is started
until it has exited, and how long making a file took in the folder the builds wrote to.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks.run import ROOT, cold_environment, disk_note, file_making_ms, prepare_bytecode, timed, warn_if_slow


def main(argv: Sequence[str] | None = None) -> int:
    """Time the builds and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.syria", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="builds of each kind (default: 5)")
    args = parser.parse_args(argv)
    prepare_bytecode()
    rows = []
    with tempfile.TemporaryDirectory(prefix="explainer-bench-syria-") as scratch:
        work = Path(scratch)
        disk_before = file_making_ms(work)
        warn_if_slow(disk_before)

        def build_into(folder: str) -> list[str]:
            return [sys.executable, str(ROOT / "build.py"), "--out", str(work / folder)]

        first = [
            timed(build_into(f"first-{run}"), cold_environment(work / f"first-{run}-cache")) for run in range(args.runs)
        ]
        rows.append(("build, first", first))
        build = build_into("site")
        timed(build, cold_environment(work / "cold-before"))  # the site the cold builds replace
        cold = [timed(build, cold_environment(work / f"cold-{run}")) for run in range(args.runs)]
        rows.append(("build, cold", cold))
        warm_environment = cold_environment(work / "warm")
        timed(build, warm_environment)  # fills the cache
        rows.append(("build, warm", [timed(build, warm_environment) for _ in range(args.runs)]))
        content = work / "content"
        shutil.copytree(ROOT / "content", content)
        article = sorted((content / "articles").glob("*.md"))[0]
        edited = [*build, "--content", str(content)]
        seconds = []
        for run in range(args.runs):
            with article.open("a", encoding="utf-8") as text:
                text.write(f"\nAn added sentence, number {run}.\n")
            seconds.append(timed(edited, warm_environment))
        rows.append(("build, edited", seconds))
        check = [sys.executable, str(ROOT / "build.py"), "check"]
        rows.append(("check", [timed(check, warm_environment) for _ in range(args.runs)]))
        print(table(rows))
        print(disk_note(work, disk_before))
    return 0


def table(rows: Sequence[tuple[str, Sequence[float]]]) -> str:
    """Fastest, median and slowest seconds of each kind of run."""
    lines = [f"{'':13} {'fastest s':>9} {'median s':>9} {'slowest s':>9}"]
    for label, seconds in rows:
        lines.append(f"{label:13} {min(seconds):9.2f} {statistics.median(seconds):9.2f} {max(seconds):9.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
