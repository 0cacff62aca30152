"""The benchmark suite: how the build scales from 100 to 10,000 articles.

    python -m benchmarks.run [--sizes 100,1000,10000] [--seed S] [--keep DIR]

For each size N it generates a corpus with benchmarks.generate (not timed), then measures:

- the full build as a fresh process from a cold start (`python build.py --content C --out O`,
  with an empty cache folder), in seconds and in milliseconds per output page (HTML pages), and
  of those seconds, how long it waited for the search index once the pages were written
  ("search s": Pagefind runs beside the rendering);
- its peak memory: the largest total resident memory of the build's process tree (the build and
  any process it starts), sampled every 20 ms from /proc;
- the output: HTML pages, files and bytes;
- the rebuild after editing one annotation, as the live preview does it (pipeline.preview_build
  after a first build; the median of five edits to different annotations, in a separate process):
  the pages, which is what the browser reloads for, then the search index brought up to date
  after the reload (pipeline.preview_index);
- in that process, the preview's first build ("preview s": every page, the data files and the
  search index, with an empty cache folder) and the peak memory of its process tree over the
  first build and the edits ("preview MiB").

Then prints the table, and the growth from each size to the next: how many times the articles,
pages, build time and time per page grew, so linear scaling (time per page staying flat) is visible
at a glance.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import generate, write_tree

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 0.02
EDITS = 5


@dataclass(frozen=True)
class Measured:
    """What one size measured."""

    articles: int
    seconds: float
    pages: int
    files: int
    bytes: int
    peak_bytes: int
    rebuild_seconds: float
    search_seconds: float  # of `seconds`, the time spent waiting for the search index after the pages
    reindex_seconds: float  # after the rebuild, bringing the search index up to date
    preview_seconds: float = float("nan")  # the preview's first build, search index included
    preview_peak_bytes: int = 0  # the preview's process tree, over its first build and the edits


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="article counts, comma-separated")
    parser.add_argument("--seed", type=int, default=0, help="the corpus seed (default: 0)")
    parser.add_argument("--keep", metavar="DIR", help="keep the corpora and sites in DIR (default: a temporary folder)")
    parser.add_argument(
        "--rebuild-up-to",
        type=int,
        default=None,
        metavar="N",
        help="time rebuilds only up to N articles (default: all)",
    )
    # The rebuild measurement's own process: its corpus and a new folder for its copy and sites.
    parser.add_argument("--rebuild", nargs=2, metavar=("CONTENT", "SCRATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rebuild:
        print(json.dumps(measure_rebuild(Path(args.rebuild[0]), Path(args.rebuild[1]))))
        return 0
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="explainer-bench-") as scratch:
        work = Path(args.keep) if args.keep else Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        disk_before = file_making_ms(work)
        warn_if_slow(disk_before)
        results = []
        # The previews' files are removed only once every size is measured: see file_making_ms.
        with tempfile.TemporaryDirectory(prefix="explainer-bench-previews-", dir=work) as previews:
            for n in sizes:
                print(f"{n} articles: generating ...", file=sys.stderr, flush=True)
                content = work / f"content-{n}"
                if not content.exists():
                    write_tree(generate(n, args.seed), content)
                print(f"{n} articles: building ...", file=sys.stderr, flush=True)
                rebuild = args.rebuild_up_to is None or n <= args.rebuild_up_to
                results.append(measure(n, content, work / f"site-{n}", Path(previews) / str(n) if rebuild else None))
                print(row(results[-1]), file=sys.stderr, flush=True)
            print(table(results))
            print(disk_note(work, disk_before))
    return 0


PROBE_FILES = 200


def file_making_ms(folder: Path) -> float:
    """How long making one small file in `folder` takes, in milliseconds (PROBE_FILES made, then removed).

    A build makes a file for every page, and this varies far more than anything the build does:
    on the project's machine from 0.03 ms to 0.9 ms. That machine's disk is ext4 without a
    journal, where making a file passes over every inode of its group freed in the last few
    minutes (60 s, or 360 s while their table is unwritten), so making files is slow for minutes
    after thousands were deleted. So the benchmarks delete nothing between the runs they time,
    and print this beside their timings.
    """
    with tempfile.TemporaryDirectory(prefix="explainer-probe-", dir=folder) as scratch:
        started = time.perf_counter()
        for number in range(PROBE_FILES):
            (Path(scratch) / f"{number}.html").write_bytes(b"<p>probe</p>\n" * 100)
        return (time.perf_counter() - started) * 1000 / PROBE_FILES


QUIET_DISK_MS = 0.1  # making a file takes 0.03-0.05 ms on the project's disk when nothing was deleted lately


def disk_warning(ms: float) -> str | None:
    """What to tell the reader before the builds when making a file took `ms` (file_making_ms): None when quick."""
    if ms <= QUIET_DISK_MS:
        return None
    return (
        f"warning: making a file took {ms:.3f} ms here, where a quiet disk takes under {QUIET_DISK_MS} ms; "
        "files deleted in the last few minutes can slow every build below (see file_making_ms)"
    )


def warn_if_slow(ms: float) -> None:
    """Print disk_warning's warning, if any, on stderr."""
    warning = disk_warning(ms)
    if warning:
        print(warning, file=sys.stderr, flush=True)


def timed(command: list[str], environment: Mapping[str, str] | None = None) -> float:
    """The wall time of a command run from the project's folder, from starting its process until it has exited.

    What it prints is not shown, unless it fails: then its standard error is, and the benchmark stops.
    """
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed (exit {done.returncode}):\n{done.stderr}")
    return seconds


def disk_note(folder: Path, before: float) -> str:
    """The line the benchmarks print about the disk they wrote on: `before` (file_making_ms) and now."""
    now = file_making_ms(folder)
    return f"making a file in {folder}: {before:.3f} ms before the builds, {now:.3f} ms after (the disk's share)"


def cold_environment(cache: Path) -> dict[str, str]:
    """The environment of a cold build: an empty cache folder (`cache`, made here), Python's default settings.

    Python then keeps our modules' compiled bytecode, as it does for anyone who has run the build
    once (prepare_bytecode makes sure it has); PYTHONDONTWRITEBYTECODE, which some machines set, is
    left out.
    """
    cache.mkdir(parents=True, exist_ok=False)
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    return {**environment, "XDG_CACHE_HOME": str(cache)}


def prepare_bytecode() -> None:
    """Compile our modules' bytecode once, as the first run of the build on any machine does."""
    with tempfile.TemporaryDirectory(prefix="explainer-bench-cache-") as scratch:
        environment = cold_environment(Path(scratch) / "cache")
        subprocess.run([sys.executable, "-c", "import explainer.cli"], cwd=ROOT, env=environment, check=True)


def measure(n: int, content: Path, out: Path, preview: Path | None) -> Measured:
    """Build `content` cold into `out`, then (given a new folder `preview`) time a rebuild after one annotation edit.

    The preview's copy of the corpus and its sites are left in `preview` for the caller to remove.
    """
    command = [sys.executable, str(ROOT / "build.py"), "--content", str(content), "--out", str(out)]
    prepare_bytecode()
    with tempfile.TemporaryDirectory(prefix="explainer-bench-cache-") as scratch:
        environment = cold_environment(Path(scratch) / "cache")
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        peak, _, steps = _sample_peak(process)
        seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"the build of {n} articles failed (exit {process.returncode})")
    files = [path for path in out.rglob("*") if path.is_file()]
    rebuilt = {"median": float("nan"), "index": float("nan"), "first": float("nan")}
    preview_peak = 0
    if preview is not None:
        measuring = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.run", "--rebuild", str(content), str(preview)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        preview_peak, printed, problems = _sample_peak(measuring)
        if measuring.returncode != 0:
            raise SystemExit(f"the rebuild of {n} articles failed (exit {measuring.returncode}): {problems}")
        rebuilt = json.loads(printed)
    return Measured(
        articles=n,
        seconds=seconds,
        pages=sum(1 for path in files if path.suffix == ".html"),
        files=len(files),
        bytes=sum(path.stat().st_size for path in files),
        peak_bytes=peak,
        rebuild_seconds=rebuilt["median"],
        reindex_seconds=rebuilt["index"],
        search_seconds=step_seconds(steps, "search") or 0.0,  # short builds print no step lines
        preview_seconds=rebuilt["first"],
        preview_peak_bytes=preview_peak,
    )


def measure_rebuild(content: Path, scratch: Path) -> dict[str, object]:
    """Time the preview's rebuild after each of several one-annotation edits, on a copy of `content` in `scratch`.

    As the preview does it: the pages first (what the browser reloads for), then the search index,
    with a cache folder of its own (empty before the first build) where the index's parts are kept.
    `scratch` (made here, and not removed) holds the copy, the site and the cache folder.
    """
    from explainer import pipeline

    scratch.mkdir(parents=True)
    copy = scratch / "content"
    subprocess.run(["cp", "-r", str(content), str(copy)], check=True)
    out, cache = scratch / "site", scratch / "cache"
    templates = ROOT / "templates"
    every = [path for path in copy.rglob("*") if path.is_file()]
    started = time.perf_counter()
    first = pipeline.preview_build(
        pipeline.PreviewState(),
        copy,
        out,
        templates,
        every,
        shown="content",
        base_url=None,
        origin=None,
        cache=cache,
    )
    first_seconds = time.perf_counter() - started
    if first.site is None:
        raise SystemExit(f"the corpus does not build: {first.problems[:3]}")
    state = first.state
    topics = sorted((copy / "annotations").glob("*.yml"))
    pages, indexing = [], []
    for edit in range(EDITS):
        topic = topics[edit * len(topics) // EDITS]
        text = topic.read_text(encoding="utf-8")
        marker = "comment: '"
        at = text.index(marker) + len(marker)
        topic.write_text(text[:at] + f"Edited ({edit}). " + text[at:], encoding="utf-8")
        started = time.perf_counter()
        result = pipeline.preview_build(
            state,
            copy,
            out,
            templates,
            [topic],
            shown="content",
            base_url=None,
            origin=None,
            search_now=False,
            cache=cache,
        )
        pages.append(time.perf_counter() - started)
        if result.site is None:
            raise SystemExit(f"the edited corpus does not build: {result.problems[:3]}")
        started = time.perf_counter()
        state = pipeline.preview_index(result.state, out, cache=cache).state
        indexing.append(time.perf_counter() - started)
    return {
        "median": statistics.median(pages),
        "index": statistics.median(indexing),
        "times": pages,
        "first": first_seconds,
    }


def step_seconds(steps: str, step: str) -> float | None:
    """A step's time, from the lines a build prints when not on a terminal ('search: done in 1.23 s')."""
    found = re.search(rf"^{step}: (?:\d+ )?done in ([0-9.]+) s$", steps, re.MULTILINE)
    return float(found[1]) if found else None


def _sample_peak(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for `process`, sampling its tree's resident memory: the largest total, in bytes, its stdout and stderr."""
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    printed, steps = process.communicate()
    done.set()
    sampler.join()
    return peak, printed or "", steps


def _tree_rss(root: int) -> int:
    """The resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    total = 0
    pending = [root]
    page = os.sysconf("SC_PAGE_SIZE")
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * page
        except OSError:
            continue
        pending.extend(children.get(pid, ()))
    return total


COLUMNS = (("articles", 8), ("build s", 8), ("search s", 8), ("pages", 7), ("ms/page", 8), ("files", 7))
HEADER = " ".join(
    f"{name:>{width}}"
    for name, width in (
        *COLUMNS,
        ("output MB", 9),
        ("peak MiB", 8),
        ("rebuild ms", 10),
        ("reindex s", 9),
        ("preview s", 9),
        ("preview MiB", 11),
    )
)
GROWTH = ("growth", 15), ("articles", 9), ("pages", 7), ("build", 7), ("per page", 9), ("peak", 7), ("rebuild", 8)


def row(m: Measured) -> str:
    """One size's line of the table."""
    return (
        f"{m.articles:8d} {m.seconds:8.2f} {m.search_seconds:8.2f} {m.pages:7d} "
        f"{m.seconds / m.pages * 1000:8.3f} {m.files:7d} "
        f"{m.bytes / 1e6:9.1f} {m.peak_bytes / 2**20:8.0f} {m.rebuild_seconds * 1000:10.0f} {m.reindex_seconds:9.2f} "
        f"{m.preview_seconds:9.2f} {m.preview_peak_bytes / 2**20 if m.preview_peak_bytes else float('nan'):11.0f}"
    )


def table(results: Sequence[Measured]) -> str:
    """The results, then the growth from each size to the next."""
    lines = [HEADER, *(row(m) for m in results)]
    if len(results) > 1:
        lines += ["", " ".join(f"{name:>{width}}" for name, width in GROWTH)]
        for small, large in itertools.pairwise(results):
            per_page = (large.seconds / large.pages) / (small.seconds / small.pages)
            lines.append(
                f"{f'{small.articles} -> {large.articles}':>15} {large.articles / small.articles:8.1f}x "
                f"{large.pages / small.pages:6.1f}x {large.seconds / small.seconds:6.1f}x {per_page:8.2f}x "
                f"{large.peak_bytes / small.peak_bytes:6.1f}x {large.rebuild_seconds / small.rebuild_seconds:7.1f}x"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
