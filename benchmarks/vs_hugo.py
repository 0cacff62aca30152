"""Our build beside Hugo's on the same articles, in one run.

    python -m benchmarks.vs_hugo [N] [--runs R] [--seed S]

Generates N articles (default 1,000) with benchmarks.generate, then builds them twice, each as a
fresh process from a cold start, R times (default 3), alternating so both see the same machine:

- ours: `python build.py --content <corpus> --out <folder>`, the whole explainer (article, note,
  topic, compare and list pages, data files, search index);
- Hugo (Debian's `hugo` package, installed with apt-get when missing and run as root): the same
  articles' text as plain Markdown pages (front matter title, date and outlet; the body as
  written), with minimal single, list and home layouts, into a fresh folder each time.

Every run's output is kept until all are timed (see benchmarks.run.file_making_ms).

Our build also makes a Pagefind search index, which Hugo does not; so our whole build is compared
twice: with Hugo alone, and with Hugo followed by Pagefind over Hugo's pages (`python -m pagefind
--site`, the same binary our build uses). Our builds start cold: an empty cache folder each time.

Prints, for each, the median time, the HTML pages written and the time per page, then the ratios
of our time per page to Hugo's (below 1 means we are faster per page).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from benchmarks.generate import generate, write_tree
from benchmarks.run import cold_environment, disk_note, file_making_ms, prepare_bytecode, timed, warn_if_slow

ROOT = Path(__file__).resolve().parent.parent

HUGO_CONFIG = """\
baseURL = "https://example.org/"
title = "Benchmark corpus"
disableKinds = ["RSS", "sitemap", "taxonomy", "term"]
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>'
        '<body><main>{{ block "main" . }}{{ end }}</main></body></html>\n'
    ),
    "_default/single.html": (
        '{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Params.outlet }}, {{ .Date.Format "2 January 2006" }}'
        "</p>{{ .Content }}</article>{{ end }}\n"
    ),
    "_default/list.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">'
        "{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n"
    ),
    "index.html": (
        '{{ define "main" }}<h1>{{ .Site.Title }}</h1><ul>{{ range .Site.RegularPages }}<li>'
        '<a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n'
    ),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Build the corpus with both tools and print the comparison."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.vs_hugo", description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=1000, metavar="N", help="articles (default: 1000)")
    parser.add_argument("--runs", type=int, default=3, help="builds of each, alternating (default: 3)")
    parser.add_argument("--seed", type=int, default=0, help="the corpus seed (default: 0)")
    args = parser.parse_args(argv)
    hugo = find_hugo()
    if hugo is None:
        print("vs_hugo: Debian's hugo is not installed (apt-get install hugo, as root)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="explainer-vs-hugo-") as scratch:
        work = Path(scratch)
        disk_before = file_making_ms(work)
        warn_if_slow(disk_before)
        files = generate(args.n, args.seed)
        content = work / "content"
        write_tree(files, content)
        hugo_site = work / "hugo"
        write_hugo_site(files, hugo_site)
        prepare_bytecode()
        ours: list[float] = []
        theirs: list[float] = []
        theirs_searching: list[float] = []
        our_pages = hugo_pages = 0
        # Each run writes new folders, all removed only after the last run: see file_making_ms.
        for run in range(args.runs):
            out = work / f"ours-{run}"
            build = [sys.executable, str(ROOT / "build.py"), "--content", str(content), "--out", str(out)]
            seconds = timed(build, cold_environment(work / f"cache-{run}"))
            ours.append(seconds)
            our_pages = count_pages(out)
            public = work / f"hugo-{run}"
            seconds = timed([hugo, "--quiet", "--source", str(hugo_site), "--destination", str(public)])
            theirs.append(seconds)
            hugo_pages = count_pages(public)
            indexing = timed([sys.executable, "-m", "pagefind", "--site", str(public)])
            theirs_searching.append(seconds + indexing)
        written_in = disk_note(work, disk_before)
    version = subprocess.run([hugo, "version"], capture_output=True, text=True, check=True).stdout.split()[1]
    print(
        comparison(
            args.n,
            our_pages,
            hugo_pages,
            version,
            [
                ("hugo alone", statistics.median(ours), statistics.median(theirs)),
                ("hugo + pagefind", statistics.median(ours), statistics.median(theirs_searching)),
            ],
        )
    )
    print(written_in)
    return 0


def find_hugo() -> str | None:
    """Hugo's path, installing Debian's package first when it is missing and we may."""
    found = shutil.which("hugo")
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", "hugo"], check=False, env=env, stdout=subprocess.DEVNULL)
        found = shutil.which("hugo")
    return found


def write_hugo_site(files: Mapping[str, str], site: Path) -> None:
    """The corpus's articles as a Hugo site: one Markdown page per article, minimal layouts."""
    (site / "content" / "articles").mkdir(parents=True)
    (site / "config.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        path = site / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for path, text in files.items():
        if not (path.startswith("articles/") and path.endswith(".md")):
            continue
        front, body = _front_matter(text)
        page = {"title": front.get("title", ""), "outlet": front.get("outlet", "")}
        if front.get("published"):
            page["date"] = front["published"] if len(front["published"]) == 10 else front["published"] + "-01"
        header = "---\n" + "".join(f"{key}: {json.dumps(value)}\n" for key, value in page.items()) + "---\n"
        (site / "content" / path).write_text(header + body, encoding="utf-8")


def count_pages(folder: Path) -> int:
    """HTML pages in a built site."""
    return sum(1 for _ in folder.rglob("*.html"))


def comparison(n: int, our_pages: int, hugo_pages: int, version: str, rows: list[tuple[str, float, float]]) -> str:
    """The side-by-side table and the per-page ratio, without and with a search index."""
    lines = [
        f"{n} articles, median of the runs, each a cold process; explainer {our_pages} pages, "
        f"hugo {version} {hugo_pages} pages",
        f"{'':16} {'explainer s':>11} {'ms/page':>8} {'hugo s':>8} {'ms/page':>8} {'ratio per page':>15}",
    ]
    for label, ours, hugo in rows:
        ours_per_page, hugo_per_page = ours / our_pages, hugo / hugo_pages
        lines.append(
            f"{label:16} {ours:11.2f} {ours_per_page * 1000:8.3f} {hugo:8.2f} {hugo_per_page * 1000:8.3f} "
            f"{ours_per_page / hugo_per_page:15.2f}"
        )
    lines.append("(our whole build, search index included; hugo alone, then hugo followed by pagefind over its pages)")
    return "\n".join(lines)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """The flat front matter the generator writes (key: 'value' lines), and the body."""
    _, head, body = text.split("---\n", 2)
    front = {}
    for line in head.splitlines():
        key, _, value = line.partition(": ")
        value = value.strip()
        if value.startswith("'") and value.endswith("'"):
            value = value[1:-1].replace("''", "'")
        front[key] = value
    return front, body


if __name__ == "__main__":
    sys.exit(main())
