"""Command line: parse arguments, run the pipeline, report problems and set the exit code."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import pipeline
from .problems import ContentError, report_lines
from .write import OutputRefusedError

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CODE = Path(__file__).resolve().parent  # the preview restarts when it changes

DESCRIPTION = """\
Build an annotated explainer: source articles, context notes and annotations under a content
folder become a cross-referenced static website."""

EPILOG = """\
commands:
  build   check the content and write the site (the default)
  check   check the content and report every problem; write nothing
  serve   build, then serve the site with live reload while you edit: every save rebuilds what it
          changes and reloads the browser; problems show in the browser (docs/preview.md)
  report  check the content, then print the editor's coverage report: how much of each source is
          annotated, figures and names not yet covered, links per pair of sources, notes nothing
          cites, annotations by relation

exit status: 0 when the content is clean, 1 when there are problems, 2 on bad usage.
The content format is described in docs/content-format.md."""


def parser() -> argparse.ArgumentParser:
    """The argument parser for build.py."""
    p = argparse.ArgumentParser(
        prog="python build.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "command",
        nargs="?",
        default="build",
        choices=("build", "check", "serve", "report"),
        help="what to do (default: build)",
    )
    p.add_argument("--content", default="content", metavar="DIR", help="the content folder (default: content)")
    p.add_argument("--out", default="site", metavar="DIR", help="where to write the site (default: site)")
    p.add_argument(
        "--base-url", metavar="URL", help="the published URL, e.g. https://user.github.io/repo/ (overrides site.yml)"
    )
    p.add_argument(
        "--host", default="127.0.0.1", help="serve: the address to listen on (default: 127.0.0.1, this machine only)"
    )
    p.add_argument("--port", type=int, default=8000, help="serve: the port (default: 8000)")
    p.add_argument("--open", action="store_true", help="serve: open the site in the web browser")
    return p


def main(
    argv: Sequence[str] | None = None,
    templates: Path = TEMPLATES,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command; return the exit status."""
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr
    with contextlib.redirect_stdout(out_stream), contextlib.redirect_stderr(err_stream):
        args = parser().parse_args(argv)
    content = Path(args.content)
    if args.base_url is not None and not args.base_url.startswith(("http://", "https://")):
        print(
            f"python build.py: error: --base-url must start with http:// or https://, not '{args.base_url}'",
            file=err_stream,
        )
        return 2
    started = time.perf_counter()
    try:
        if args.command == "check":
            site = pipeline.check(content, args.content, args.base_url)
            counts = _counts(site)
            print(f"No problems in {args.content}: {counts}.", file=out_stream)
            return 0
        if args.command == "report":
            from .report import coverage, format_report

            site = pipeline.check(content, args.content, args.base_url)
            out_stream.write(format_report(site, coverage(site)))
            return 0
        if args.command == "serve":
            from .serve import serve

            return serve(
                content,
                Path(args.out),
                templates,
                shown=args.content,
                base_url=args.base_url,
                host=args.host,
                port=args.port,
                stdout=out_stream,
                stderr=err_stream,
                open_browser=args.open,
                code=CODE if argv is None else None,  # only a real command line restarts itself
            )
        built = pipeline.build(content, Path(args.out), templates, shown=args.content, base_url=args.base_url)
    except ContentError as error:
        report(error, err_stream)
        return 1
    except OutputRefusedError as refused:
        print(f"python build.py: {refused}", file=err_stream)
        return 1
    seconds = time.perf_counter() - started
    print(f"Built {args.out} in {seconds:.2f} s: {built.files} files, {_counts(built.site)}.", file=out_stream)
    return 0


def report(error: ContentError, stream: TextIO) -> None:
    """Print every problem, sorted, then the one-line summary."""
    print("\n".join(report_lines(error.problems)), file=stream)


def _counts(site: pipeline.Site) -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return ", ".join(
        (
            n(len(site.articles), "article"),
            n(len(site.notes), "note"),
            n(len(site.topics), "topic"),
            n(len(site.annotations), "annotation"),
            n(len(site.pairs), "compared pair"),
        )
    )
