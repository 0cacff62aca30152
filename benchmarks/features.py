"""What the search index and the side-by-side pages cost the build: the same corpus built with each left out.

    python -m benchmarks.features [N] [--runs R] [--seed S]

Generates N articles (default 1,000) with benchmarks.generate, then builds them R times (default
2) each way, alternating, each build a fresh process:

- whole: the build as `python build.py` makes it;
- no search: without the search index (Pagefind is not started, and no search documents are made);
- no compare: without the side-by-side pages (the resolved site is given no pairs);
- neither: without both.

An experiment, not an option of the build: the features are left out by replacing the pipeline's
functions in the build's own process. Prints, for each, the median seconds, the HTML pages
written and the time per page, so the cost of each feature, and what leaving it out would do to
the time per page that the comparison with Hugo (benchmarks.vs_hugo) divides, is measured.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from benchmarks.generate import generate, write_tree
from benchmarks.run import cold_environment, disk_note, file_making_ms, prepare_bytecode, timed, warn_if_slow
from benchmarks.vs_hugo import count_pages

VARIANTS = {"whole": (), "no search": ("search",), "no compare": ("compare",), "neither": ("search", "compare")}


def main(argv: Sequence[str] | None = None) -> int:
    """Build the corpus each way and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.features", description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=1000, metavar="N", help="articles (default: 1000)")
    parser.add_argument("--runs", type=int, default=2, help="builds of each, alternating (default: 2)")
    parser.add_argument("--seed", type=int, default=0, help="the corpus seed (default: 0)")
    # A build's own process: what it leaves out, the corpus and the output folder.
    parser.add_argument("--build", nargs=3, metavar=("LEFT_OUT", "CONTENT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        left_out, content, out = args.build
        status = build_without(tuple(filter(None, left_out.split(","))), Path(content), Path(out))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)  # as build.py ends: the model is not freed object by object
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    pages: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="explainer-bench-features-") as scratch:
        work = Path(scratch)
        disk_before = file_making_ms(work)
        warn_if_slow(disk_before)
        content = work / "content"
        write_tree(generate(args.n, args.seed), content)
        prepare_bytecode()
        # Every build writes a new folder, all removed only after the last one: see run.file_making_ms.
        for run in range(args.runs):
            for number, (name, left_out) in enumerate(VARIANTS.items()):
                out = work / f"site-{run}-{number}"
                command = [sys.executable, "-m", "benchmarks.features", "--build", ",".join(left_out), str(content)]
                seconds[name].append(timed([*command, str(out)], cold_environment(work / f"cache-{run}-{number}")))
                pages[name] = count_pages(out)
        print(table(args.n, {name: (statistics.median(times), pages[name]) for name, times in seconds.items()}))
        print(disk_note(work, disk_before))
    return 0


def build_without(left_out: Sequence[str], content: Path, out: Path) -> int:
    """Build `content` into `out` as `python build.py` does, leaving out "search", "compare" or both.

    Replaces functions of the pipeline for good: only for a process of its own.
    """
    from explainer import cli, pipeline, search

    if "search" in left_out:
        search.search_input = lambda *_, **__: None  # type: ignore[assignment]
        search.start_index = _no_index  # type: ignore[assignment]
    if "compare" in left_out:
        checked = pipeline.check
        pipeline.check = lambda *args, **options: dataclasses.replace(checked(*args, **options), pairs={})  # type: ignore[assignment]
    return cli.main(["--content", str(content), "--out", str(out)])


class _NoIndex:
    """An index job that makes nothing."""

    running = False

    def advance(self) -> None:
        """Nothing to start."""

    def files(self) -> dict[str, bytes]:
        """No index files."""
        return {}


@contextlib.contextmanager
def _no_index(*_: object, **__: object) -> Iterator[_NoIndex]:
    """What search.start_index gives when no index is to be made."""
    yield _NoIndex()


def table(n: int, measured: dict[str, tuple[float, int]]) -> str:
    """Seconds, pages and time per page of each way, and its time and time per page against the whole build."""
    whole_seconds, whole_pages = measured["whole"]
    lines = [
        f"{n} articles, median of the runs, each a cold process",
        f"{'':12} {'s':>7} {'pages':>7} {'ms/page':>8} {'time':>6} {'per page':>9}",
    ]
    for name, (seconds, pages) in measured.items():
        per_page = seconds / pages
        lines.append(
            f"{name:12} {seconds:7.2f} {pages:7d} {per_page * 1000:8.3f} {seconds / whole_seconds:5.2f}x "
            f"{per_page / (whole_seconds / whole_pages):8.2f}x"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
